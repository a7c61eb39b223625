package engineio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawWS opens a WebSocket session with a hand-written client that reads
// frames only when asked.
func rawWS(t *testing.T, ts *testServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, waitFor)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(64<<10)) // fills sooner when not read
	_, err = fmt.Fprintf(conn, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", ts.addr)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return conn, br
}

// readWSFrame reads one unmasked server frame.
func readWSFrame(t *testing.T, conn net.Conn, br *bufio.Reader) (opcode byte, payload []byte) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitFor)))
	var h [2]byte
	_, err := io.ReadFull(br, h[:])
	require.NoError(t, err)
	require.Equal(t, byte(0x80), h[0]&0xf0, "FIN set, no RSV bits")
	require.Zero(t, h[1]&0x80, "server frames are not masked")
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	require.NoError(t, err)
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	require.NoError(t, err)
	return h[0] & 0x0f, payload
}

// A peer that stops reading fills the socket: the inline write that meets
// the full buffer is finished by the writer goroutine, Send never blocks,
// and once the peer reads again every frame arrives whole and in order
// (all three WebSocket length encodings, text and binary, inline-sized and
// larger frames).
func TestInlineWritesSurviveFullSocket(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("DisableInlineWrites=%v", disable), func(t *testing.T) { testFullSocket(t, disable) })
	}
}

func testFullSocket(t *testing.T, disableInline bool) {
	// The test reads nothing until it has queued every frame, which under a
	// loaded -race run can take longer than the default WriteTimeout.
	ts := startServer(t, Config{SendQueueBytes: 256 << 20, SendQueueFrames: 1 << 20, PingInterval: time.Hour, PingTimeout: time.Hour,
		WriteTimeout: time.Hour, DisableInlineWrites: disableInline})
	conn, br := rawWS(t, ts)
	rec := ts.nextConn(t)
	sizes := []int{1, 100, 124, 125, 126, 1000, 3000, 4090, 70000}
	const n = 16000
	want := make([][]byte, 0, n)
	for i := range n {
		size := sizes[i%len(sizes)]
		if i < n/2 && size > 3000 { // the first half fills the socket inline
			size = 2000
		}
		data := []byte(fmt.Sprintf("%08d", i) + strings.Repeat("x", size))
		if i%3 == 0 {
			require.NoError(t, rec.conn.Send(BinaryFrame(data)))
			want = append(want, data)
		} else {
			require.NoError(t, rec.conn.Send(TextFrame(data), TextFrame(data[:8])))
			want = append(want, append([]byte{'4'}, data...), append([]byte{'4'}, data[:8]...))
		}
	}
	op, open := readWSFrame(t, conn, br)
	require.Equal(t, byte(1), op)
	require.Equal(t, byte('0'), open[0])
	for i, w := range want {
		op, got := readWSFrame(t, conn, br)
		if w[0] == '4' {
			require.Equal(t, byte(1), op, "frame %d", i)
		} else {
			require.Equal(t, byte(2), op, "frame %d", i)
		}
		require.Equal(t, string(w), string(got), "frame %d", i)
	}
	require.Equal(t, TransportWebSocket, rec.conn.Transport())
	require.Equal(t, 1, ts.Stats().WebSocketSessions)
}

// A WebSocket ping is answered by the session's writer with a pong.
func TestWebSocketPingGetsPong(t *testing.T) {
	ts := startServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour})
	conn, br := rawWS(t, ts)
	rec := ts.nextConn(t)
	_, open := readWSFrame(t, conn, br)
	require.Equal(t, byte('0'), open[0])
	mask := [4]byte{1, 2, 3, 4}
	ping := []byte{0x89, 0x80 | 2, mask[0], mask[1], mask[2], mask[3], 'h' ^ mask[0], 'i' ^ mask[1]}
	_, err := conn.Write(ping)
	require.NoError(t, err)
	op, payload := readWSFrame(t, conn, br)
	require.Equal(t, byte(0xa), op)
	require.Equal(t, "hi", string(payload))
	require.NoError(t, rec.conn.Send(TextFrame([]byte("after"))))
	op, payload = readWSFrame(t, conn, br)
	require.Equal(t, byte(1), op)
	require.Equal(t, "4after", string(payload))
}

func TestAppendWSFrameSizes(t *testing.T) {
	for _, n := range []int{0, 124, 125, 126, 65534, 65535, 65536} {
		for _, f := range []*Frame{OwnedTextFrame(make([]byte, n)), OwnedBinaryFrame(make([]byte, n))} {
			b := appendWSFrame(nil, f)
			require.Len(t, b, wsFrameSize(f), "size %d", n)
		}
	}
}
