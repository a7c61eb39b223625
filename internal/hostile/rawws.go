package hostile

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// rawWS is a minimal WebSocket client on a bare net.Conn: it writes any
// frame it is told to (valid or not) and reads frames one at a time, so an
// attack controls exactly what goes on the wire and when it stops reading.
type rawWS struct {
	conn net.Conn
	br   *bufio.Reader
}

// WebSocket opcodes used here.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// errUpgradeRefused is a handshake answered with something other than 101.
type errUpgradeRefused struct{ Status int }

func (e *errUpgradeRefused) Error() string {
	return fmt.Sprintf("hostile: websocket upgrade refused with status %d", e.Status)
}

// dialOptions are the knobs of dialRawWS.
type dialOptions struct {
	Origin  string // Origin header; "" sends none
	RcvBuf  int    // SO_RCVBUF of the client socket; 0: the kernel's default
	Timeout time.Duration
}

// engineURL is base's Engine.IO endpoint for transport with EIO=4 (and sid
// if set).
func engineURL(base, transport, sid string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("hostile: parse URL %q: %w", base, err)
	}
	u.Path = "/socket.io/"
	q := url.Values{"EIO": {"4"}, "transport": {transport}}
	if sid != "" {
		q.Set("sid", sid)
	}
	u.RawQuery = q.Encode()
	return u, nil
}

// dialRawWS opens a WebSocket to base's Engine.IO endpoint.
func dialRawWS(ctx context.Context, base string, opt dialOptions) (*rawWS, error) {
	u, err := engineURL(base, "websocket", "")
	if err != nil {
		return nil, err
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	d := net.Dialer{Timeout: opt.Timeout}
	if opt.RcvBuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, opt.RcvBuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("hostile: dial %s: %w", u.Host, err)
	}
	var keyBytes [16]byte
	_, _ = rand.Read(keyBytes[:])
	key := base64.StdEncoding.EncodeToString(keyBytes[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n"
	if opt.Origin != "" {
		req += "Origin: " + opt.Origin + "\r\n"
	}
	req += "\r\n"
	_ = conn.SetDeadline(time.Now().Add(opt.Timeout))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("hostile: write upgrade: %w", err)
	}
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("hostile: read upgrade answer: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		conn.Close()
		return nil, &errUpgradeRefused{Status: resp.StatusCode}
	}
	_ = conn.SetDeadline(time.Time{})
	return &rawWS{conn: conn, br: br}, nil
}

// writeFrame writes one final, masked frame (as a client must).
func (w *rawWS) writeFrame(op byte, payload []byte) error {
	hdr := make([]byte, 0, 14)
	hdr = append(hdr, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 0x80|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	buf := append(hdr, payload...)
	for i := range payload {
		buf[len(hdr)+i] ^= mask[i%4]
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := w.conn.Write(buf)
	if err != nil {
		return fmt.Errorf("hostile: write frame: %w", err)
	}
	return nil
}

// writeText writes an Engine.IO packet as a text frame.
func (w *rawWS) writeText(s string) error { return w.writeFrame(opText, []byte(s)) }

// readFrame reads one frame (server frames are not masked); payloads over
// 1 MiB are an error.
func (w *rawWS) readFrame() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	op = h[0] & 0x0F
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("hostile: frame of %d bytes", n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, payload); err != nil {
		return 0, nil, err
	}
	return op, payload, nil
}

// closeCode reads frames until the server's close frame or the end of the
// connection (or deadline) and returns the close code: 0 when the
// connection ended without a close frame (a bare TCP close, 1006 to a
// browser), -1 when the deadline passed first.
func (w *rawWS) closeCode(deadline time.Time) int {
	_ = w.conn.SetReadDeadline(deadline)
	for {
		op, p, err := w.readFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return -1
			}
			return 0
		}
		switch op {
		case opClose:
			if len(p) >= 2 {
				return int(binary.BigEndian.Uint16(p))
			}
			return 1005
		case opPing:
			_ = w.writeFrame(opPong, p)
		}
	}
}

// readText reads frames until a text frame arrives and returns it (pings
// are answered at the WebSocket layer; Engine.IO pings with "3").
func (w *rawWS) readText(deadline time.Time) (string, error) {
	_ = w.conn.SetReadDeadline(deadline)
	for {
		op, p, err := w.readFrame()
		if err != nil {
			return "", err
		}
		switch op {
		case opText:
			if string(p) == "2" {
				if err := w.writeText("3"); err != nil {
					return "", err
				}
				continue
			}
			return string(p), nil
		case opClose:
			return "", fmt.Errorf("hostile: server closed the websocket: %w", io.EOF)
		case opPing:
			_ = w.writeFrame(opPong, p)
		}
	}
}

func (w *rawWS) Close() error { return w.conn.Close() }
