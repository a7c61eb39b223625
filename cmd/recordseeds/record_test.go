package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// clientFrame is a masked client WebSocket frame.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 1<<16:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	mask := []byte{1, 2, 3, 4}
	out = append(out, mask...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}

func TestParseStreamAndCut(t *testing.T) {
	t.Parallel()
	post := "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s"
	body := "40{\"token\":\"a\"}\x1e451-[\"echo\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID"
	var polling bytes.Buffer
	polling.WriteString("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: h\r\n\r\n")
	fmt.Fprintf(&polling, post, len(body), body)

	var ws bytes.Buffer
	ws.WriteString("GET /socket.io/?EIO=4&transport=websocket&sid=x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	ws.Write(clientFrame(true, 1, []byte("2probe")))
	ws.Write(clientFrame(true, 1, []byte("5")))
	ws.Write(clientFrame(false, 2, []byte{0x83, 0xa4}))            // msgpack packet, fragmented
	ws.Write(clientFrame(true, 0, []byte("type\x02")))             // (not valid msgpack: only a seed)
	ws.Write(clientFrame(true, 9, nil))                            // ping: skipped
	ws.Write(clientFrame(true, 1, bytes.Repeat([]byte("4"), 300))) // 16-bit length
	ws.Write(clientFrame(true, 8, nil))

	var units []unit
	for _, s := range [][]byte{polling.Bytes(), ws.Bytes()} {
		us, err := parseStream(s)
		require.NoError(t, err)
		units = append(units, us...)
	}
	require.Len(t, units, 2)
	require.Equal(t, []byte(body), units[0].body)
	require.Len(t, units[0].messages, 3)
	require.Equal(t, message{frame: []byte{1, 2, 3}, binary: true}, units[0].messages[2])
	require.True(t, units[1].websocket)
	require.Equal(t, []message{
		{frame: []byte("2probe")}, {frame: []byte("5")},
		{frame: []byte("\x83\xa4type\x02"), binary: true},
		{frame: bytes.Repeat([]byte("4"), 300)},
	}, units[1].messages)

	corpora := cut(units)
	seeds := map[string][]string{}
	for _, c := range corpora {
		for _, s := range c.seeds {
			seeds[filepath.Base(c.dir)] = append(seeds[filepath.Base(c.dir)], string(s))
		}
	}
	require.ElementsMatch(t, []string{body}, seeds["FuzzDecodePayload"])
	require.ElementsMatch(t, []string{
		"\x0040{\"token\":\"a\"}", "\x00451-[\"echo\",{\"_placeholder\":true,\"num\":0}]", "\x01\x01\x02\x03",
		"\x002probe", "\x005", "\x01\x83\xa4type\x02", "\x00" + strings.Repeat("4", 300),
	}, seeds["FuzzDecodePacket"])
	require.ElementsMatch(t, []string{
		"0{\"token\":\"a\"}", "51-[\"echo\",{\"_placeholder\":true,\"num\":0}]\x1e\x01\x02\x03", strings.Repeat("4", 299),
	}, seeds["FuzzDecodeDefault"])
	require.ElementsMatch(t, []string{"\x83\xa4type\x02"}, seeds["FuzzDecodeMsgpack"])
	require.ElementsMatch(t, []string{"\x83\xa4type\x02"}, seeds["FuzzReadValue"])

	// Writing replaces old recorded seeds only.
	repo := t.TempDir()
	dir := filepath.Join(repo, "codec/mpack/testdata/fuzz/FuzzReadValue")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "recorded-old"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-hand"), []byte("y"), 0o644))
	n, err := corpora[4].write(repo)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	for _, f := range files {
		if strings.Contains(f, "recorded-") {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			require.Equal(t, "go test fuzz v1\n[]byte(\"\\x83\\xa4type\\x02\")\n", string(b))
		}
	}
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"51-[]": 1, "612-/a,3[]": 12, "2[]": 0, "5[]": 0, "5x-[]": 0, "": 0, "599-": 0} {
		require.Equal(t, want, attachments([]byte(in)), in)
	}
}

func TestCorpusFileRoundTrips(t *testing.T) {
	t.Parallel()
	in := []byte("a\"b\\c\x00\x1e\xc3\xa2\xff\n~ ")
	got := string(corpusFile(in))
	require.Equal(t, "go test fuzz v1\n[]byte(\"a\\\"b\\\\c\\x00\\x1e\\xc3\\xa2\\xff\\x0a~ \")\n", got)
	lit := strings.TrimSuffix(strings.TrimPrefix(got, "go test fuzz v1\n[]byte("), ")\n")
	unq, err := strconv.Unquote(lit)
	require.NoError(t, err)
	require.Equal(t, in, []byte(unq))
}
