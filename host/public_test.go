package host

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitLong bounds what the tests of the limits wait for.
const waitLong = 15 * time.Second

// rawConn is a keep-alive HTTP/1.1 client connection.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), waitLong)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// do sends a GET of path (with extra header lines) and reads the answer.
func (c *rawConn) do(t *testing.T, path, header string) (*http.Response, string) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitLong)))
	_, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, c.RemoteAddr(), header)
	require.NoError(t, err)
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, string(b)
}

// closedByServer reports whether the server closes the connection within
// waitLong.
func (c *rawConn) closedByServer(t *testing.T) bool {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitLong)))
	_, err := c.br.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout()) // EOF, or a reset if the server left bytes unread
}

const handshakePath = "/socket.io/?EIO=4&transport=polling"

// Finding 1: a keep-alive connection that sends nothing more is closed
// after IdleTimeout.
func TestIdleConnectionClosed(t *testing.T) {
	r := start(t, Config{Addr: "127.0.0.1:0", IdleTimeout: 200 * time.Millisecond}, defineArena)
	c := dialRaw(t, r.url)
	resp, _ := c.do(t, PathHealthz, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, c.closedByServer(t), "idle keep-alive connection still open")
}

// Finding 1: a long-polling POST whose body drips is cut after
// PostTimeout (its connection closed), not held.
func TestSlowPostClosed(t *testing.T) {
	r := start(t, Config{Addr: "127.0.0.1:0", PostTimeout: 200 * time.Millisecond, PingInterval: time.Minute, PingTimeout: time.Minute}, defineArena)
	c := dialRaw(t, r.url)
	resp, body := c.do(t, handshakePath, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	sid := body[strings.Index(body, `"sid":"`)+7:]
	sid = sid[:strings.IndexByte(sid, '"')]
	post := dialRaw(t, r.url)
	_, err := fmt.Fprintf(post, "POST %s&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n4", handshakePath, sid)
	require.NoError(t, err)
	require.NoError(t, post.SetReadDeadline(time.Now().Add(waitLong)))
	resp, err = http.ReadResponse(post.br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.True(t, post.closedByServer(t))
	require.Eventually(t, func() bool { return r.srv.SocketIO().Engine().Stats().Sessions == 0 }, waitLong, time.Millisecond)
}

// Finding 1: one IP address holds at most MaxConnsPerIP connections; one
// more is answered 429 with the Engine.IO error JSON. A trusted proxy's
// connections are not counted.
func TestConnsPerIP(t *testing.T) {
	r := start(t, Config{Addr: "127.0.0.1:0", MaxConnsPerIP: 3, LimitLoopback: true}, defineArena)
	var held []*rawConn
	for range 3 {
		c := dialRaw(t, r.url)
		resp, _ := c.do(t, PathHealthz, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		held = append(held, c)
	}
	extra := dialRaw(t, r.url)
	resp, body := extra.do(t, PathHealthz, "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.JSONEq(t, `{"code":3,"message":"Too many connections from this address"}`, body)
	require.True(t, extra.closedByServer(t))

	require.NoError(t, held[0].Close()) // gives its place back
	require.Eventually(t, func() bool {
		c := dialRaw(t, r.url)
		defer c.Close()
		resp, _ := c.do(t, PathHealthz, "")
		return resp.StatusCode == http.StatusOK
	}, waitLong, 10*time.Millisecond)

	proxied := start(t, Config{Addr: "127.0.0.1:0", MaxConnsPerIP: 1, TrustedProxies: []string{"127.0.0.1"}}, defineArena)
	for range 3 {
		c := dialRaw(t, proxied.url)
		resp, _ := c.do(t, PathHealthz, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "a trusted proxy's connections are not limited")
	}

	local := start(t, Config{Addr: "127.0.0.1:0", MaxConnsPerIP: 1, MaxSessionsPerIP: 1, HandshakeRate: 0.001, HandshakeBurst: 1}, defineArena)
	for range 3 {
		c := dialRaw(t, local.url)
		resp, body := c.do(t, handshakePath, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "loopback clients are not limited by default: %s", body)
	}
}

// Finding 5: one client address holds at most MaxSessionsPerIP sessions
// and opens at most HandshakeBurst at once; X-Forwarded-For names the
// client only for a trusted proxy.
func TestSessionsAndHandshakesPerIP(t *testing.T) {
	handshake := func(t *testing.T, url, header string) (int, string) {
		t.Helper()
		c := dialRaw(t, url)
		defer c.Close()
		resp, body := c.do(t, handshakePath, header)
		return resp.StatusCode, body
	}
	t.Run("sessions", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", MaxSessionsPerIP: 2, LimitLoopback: true}, defineArena)
		for range 2 {
			status, body := handshake(t, r.url, "X-Forwarded-For: 192.0.2.1\r\n")
			require.Equal(t, http.StatusOK, status, body)
		}
		status, body := handshake(t, r.url, "X-Forwarded-For: 192.0.2.2\r\n")
		require.Equal(t, http.StatusTooManyRequests, status, "X-Forwarded-For of an untrusted peer is ignored")
		require.JSONEq(t, `{"code":3,"message":"Too many sessions from this address"}`, body)
	})
	t.Run("sessions behind a trusted proxy", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", MaxSessionsPerIP: 1, TrustedProxies: []string{"127.0.0.0/8"}}, defineArena)
		status, _ := handshake(t, r.url, "X-Forwarded-For: 192.0.2.1\r\n")
		require.Equal(t, http.StatusOK, status)
		status, _ = handshake(t, r.url, "X-Forwarded-For: 192.0.2.1\r\n")
		require.Equal(t, http.StatusTooManyRequests, status)
		status, _ = handshake(t, r.url, "X-Forwarded-For: 192.0.2.1, 192.0.2.2\r\n")
		require.Equal(t, http.StatusOK, status, "the nearest untrusted address is the client")
	})
	t.Run("handshake rate", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", HandshakeRate: 0.001, HandshakeBurst: 2, LimitLoopback: true}, defineArena)
		for range 2 {
			status, _ := handshake(t, r.url, "")
			require.Equal(t, http.StatusOK, status)
		}
		status, body := handshake(t, r.url, "")
		require.Equal(t, http.StatusTooManyRequests, status)
		require.JSONEq(t, `{"code":3,"message":"Too many handshakes from this address"}`, body)
	})
}

// Finding 9: by default a page of another origin is refused, the
// server's own page and non-browser clients are not; --dev-any-origin
// allows any origin without credentials.
func TestOriginDefault(t *testing.T) {
	r := start(t, Config{Addr: "127.0.0.1:0"}, defineArena)
	host := strings.TrimPrefix(r.url, "http://")
	for _, tc := range []struct {
		origin string
		status int
	}{{"", 200}, {r.url, 200}, {"https://evil.example", 403}, {"null", 403}} {
		header := ""
		if tc.origin != "" {
			header = "Origin: " + tc.origin + "\r\n"
		}
		resp, body := dialRaw(t, r.url).do(t, handshakePath, header)
		require.Equal(t, tc.status, resp.StatusCode, "Origin %q (Host %s): %s", tc.origin, host, body)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
	}

	dev := start(t, Config{Addr: "127.0.0.1:0", DevAnyOrigin: true}, defineArena)
	resp, _ := dialRaw(t, dev.url).do(t, handshakePath, "Origin: https://elsewhere.example\r\n")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
}

func TestClientKey(t *testing.T) {
	trusted, err := parseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	require.NoError(t, err)
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"192.0.2.7:4000", "", "192.0.2.7"},
		{"192.0.2.7:4000", "198.51.100.1", "192.0.2.7"}, // untrusted peer: header ignored
		{"10.1.2.3:4000", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:4000", "203.0.113.9, 198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"10.1.2.3:4000", "", "10.1.2.3"},
		{"10.1.2.3:4000", "10.4.4.4", "10.4.4.4"}, // all trusted: the farthest proxy
		{"10.1.2.3:4000", "garbage", "10.1.2.3"},
		{"[::1]:4000", "2001:db8::1", "2001:db8::/64"}, // IPv6 counts by /64
		{"[2001:db8:0:1:aaaa::1]:4000", "", "2001:db8:0:1::/64"},
		{"[::ffff:192.0.2.7]:4000", "", "192.0.2.7"},
		{"127.0.0.1:4000", "", "127.0.0.1"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		require.Equal(t, tc.want, trusted.clientKey(r, true), "%s %s", tc.remote, tc.xff)
	}
	// Unless limited, a loopback client has no key (is not limited); a
	// trusted proxy on loopback still names its clients.
	r := &http.Request{RemoteAddr: "127.0.0.1:4000", Header: http.Header{}}
	require.Equal(t, "", trusted.clientKey(r, false))
	r = &http.Request{RemoteAddr: "[::1]:4000", Header: http.Header{"X-Forwarded-For": {"2001:db8::1"}}}
	require.Equal(t, "2001:db8::/64", trusted.clientKey(r, false))
	_, err = parseTrustedProxies([]string{"10.0.0.0/40"})
	require.Error(t, err)
	require.True(t, trusted.contains(netip.MustParseAddr("::ffff:10.0.0.1")))
}
