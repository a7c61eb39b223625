package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roomcast/roomcast/examples/sioecho"
)

// Limits of the recorded corpus.
const (
	maxSeedBytes     = 8 << 10 // larger captures are left out
	maxSeedsPerDir   = 128
	trafficTimeout   = 2 * time.Minute
	trafficScriptRel = "clients/js/test/support/record-traffic.js"
)

// corpus is one fuzz target's seed folder and the seeds found for it.
type corpus struct {
	dir   string // relative to the repository root
	seeds map[string][]byte
}

func newCorpus(dir string) *corpus { return &corpus{dir: dir, seeds: map[string][]byte{}} }

func (c *corpus) add(source string, data []byte) {
	if len(data) == 0 || len(data) > maxSeedBytes {
		return
	}
	sum := sha256.Sum256(data)
	c.seeds["recorded-"+source+"-"+hex.EncodeToString(sum[:6])] = bytes.Clone(data)
}

type count struct {
	dir string
	n   int
}

// record runs the traffic script against a tapped demo server and rewrites
// the recorded seeds under repo.
func record(ctx context.Context, repo, node string, logOut io.Writer) ([]count, error) {
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	demo, err := sioecho.New(sioecho.Config{PingInterval: 500 * time.Millisecond, PingTimeout: 2 * time.Second, Logger: log})
	if err != nil {
		return nil, err
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	ln := &tapListener{Listener: inner}
	hs := &http.Server{Handler: demo, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()

	runCtx, cancel := context.WithTimeout(ctx, trafficTimeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join(repo, trafficScriptRel), "http://"+inner.Addr().String())
	cmd.Stdout, cmd.Stderr = logOut, logOut
	runErr := cmd.Run()

	shutCtx, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	err = errors.Join(demo.Shutdown(shutCtx), hs.Shutdown(shutCtx))
	if runErr != nil {
		return nil, fmt.Errorf("traffic script: %w", runErr)
	}
	if err != nil {
		return nil, fmt.Errorf("shutdown: %w", err)
	}

	var units []unit
	for i, data := range ln.captured() {
		us, err := parseStream(data)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		units = append(units, us...)
	}
	corpora := cut(units)
	var counts []count
	for _, c := range corpora {
		n, err := c.write(repo)
		if err != nil {
			return nil, err
		}
		counts = append(counts, count{c.dir, n})
	}
	return counts, nil
}

// cut turns captured units into the five corpora.
func cut(units []unit) []*corpus {
	var (
		packet  = newCorpus("codec/engineio/testdata/fuzz/FuzzDecodePacket")
		payload = newCorpus("codec/engineio/testdata/fuzz/FuzzDecodePayload")
		def     = newCorpus("codec/socketio/testdata/fuzz/FuzzDecodeDefault")
		msgpack = newCorpus("codec/socketio/testdata/fuzz/FuzzDecodeMsgpack")
		value   = newCorpus("codec/mpack/testdata/fuzz/FuzzReadValue")
	)
	for _, u := range units {
		source := "polling"
		if u.websocket {
			source = "ws"
		}
		if u.path == sioecho.EngineIOPath {
			source = "eio-" + source
		}
		if u.body != nil {
			payload.add(source, u.body)
		}
		for _, m := range u.messages {
			kind := byte(0)
			if m.binary {
				kind = 1
			}
			packet.add(source, append([]byte{kind}, m.frame...))
		}
		if u.path != sioecho.SocketIOPath {
			continue
		}
		msgs := u.messages
		for i := 0; i < len(msgs); i++ {
			m := msgs[i]
			if m.binary { // a binary message no header claimed: socket.io-msgpack-parser
				msgpack.add(source, m.frame)
				value.add(source, m.frame)
				continue
			}
			if len(m.frame) < 2 || m.frame[0] != '4' {
				continue // ping/pong/upgrade, not a Socket.IO packet
			}
			text := m.frame[1:]
			n := attachments(text)
			seed := bytes.Clone(text)
			ok := true
			for j := 0; j < n; j++ {
				if i+1 >= len(msgs) || !msgs[i+1].binary || bytes.IndexByte(msgs[i+1].frame, 0x1e) >= 0 {
					ok = false // incomplete, or an attachment the seed layout cannot carry
					break
				}
				i++
				seed = append(append(seed, 0x1e), msgs[i].frame...)
			}
			if ok {
				def.add(source, seed)
			}
		}
	}
	return []*corpus{packet, payload, def, msgpack, value}
}

// attachments returns the attachment count of a default-parser
// BINARY_EVENT/BINARY_ACK header ("51-..."), else 0.
func attachments(text []byte) int {
	if len(text) == 0 || (text[0] != '5' && text[0] != '6') {
		return 0
	}
	digits, _, ok := strings.Cut(string(text[1:]), "-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n > 16 {
		return 0
	}
	return n
}

// write replaces the recorded-* files of c's folder with c's seeds (at most
// maxSeedsPerDir, the first by name) in Go's corpus file format.
func (c *corpus) write(repo string) (int, error) {
	dir := filepath.Join(repo, filepath.FromSlash(c.dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	old, err := filepath.Glob(filepath.Join(dir, "recorded-*"))
	if err != nil {
		return 0, err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return 0, err
		}
	}
	names := make([]string, 0, len(c.seeds))
	for name := range c.seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > maxSeedsPerDir {
		names = names[:maxSeedsPerDir]
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), corpusFile(c.seeds[name]), 0o644); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}

// corpusFile is Go's fuzz corpus encoding of one []byte argument, with
// every byte outside printable ASCII written as \xNN (so the file shows the
// bytes, not whatever UTF-8 they happen to form).
func corpusFile(data []byte) []byte {
	const hexDigits = "0123456789abcdef"
	out := []byte("go test fuzz v1\n[]byte(\"")
	for _, b := range data {
		switch {
		case b == '"' || b == '\\':
			out = append(out, '\\', b)
		case b >= 0x20 && b < 0x7f:
			out = append(out, b)
		default:
			out = append(out, '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
		}
	}
	return append(out, "\")\n"...)
}
