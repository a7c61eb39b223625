package engineio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/stretchr/testify/require"
)

const waitFor = 30 * time.Second // upper bound for anything a test waits on

// recorder is a Handler that records what a session receives.
type recorder struct {
	conn   *Conn
	msgs   chan message
	closed chan closeEvent
}

type message struct {
	data   string
	binary bool
}

type closeEvent struct {
	reason CloseReason
	err    error
}

func (r *recorder) OnMessage(c *Conn, data []byte, binary bool) {
	r.msgs <- message{string(data), binary}
}

func (r *recorder) OnClose(c *Conn, reason CloseReason, err error) {
	r.closed <- closeEvent{reason, err}
}

func (r *recorder) nextMessage(t *testing.T) message {
	t.Helper()
	return receive(t, r.msgs, "no message")
}

func (r *recorder) waitClose(t *testing.T) closeEvent {
	t.Helper()
	return receive(t, r.closed, "session not closed")
}

// receive returns the next value from ch; the test fails with what if
// none comes within waitFor.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatal(what)
		var zero T
		return zero
	}
}

// testServer is a Server on 127.0.0.1 whose sessions are recorded.
type testServer struct {
	*Server
	addr  string
	conns chan *recorder
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	conns := make(chan *recorder, 100)
	srv.OnConnection(func(c *Conn) {
		rec := &recorder{conn: c, msgs: make(chan message, 1000), closed: make(chan closeEvent, 1)}
		c.SetHandler(rec)
		conns <- rec
	})
	ts := startServerWith(t, srv)
	ts.conns = conns
	return ts
}

func (ts *testServer) nextConn(t *testing.T) *recorder {
	t.Helper()
	return receive(t, ts.conns, "no session")
}

func (ts *testServer) url(query string) string {
	return "http://" + ts.addr + "/socket.io/?" + query
}

type openPacket struct {
	Sid          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t *testing.T, s string) openPacket {
	t.Helper()
	require.True(t, strings.HasPrefix(s, "0"), "open packet: %q", s)
	var op openPacket
	require.NoError(t, json.Unmarshal([]byte(s[1:]), &op))
	return op
}

// poller is a raw long-polling client.
type poller struct {
	t    *testing.T
	ts   *testServer
	sid  string
	http *http.Client
}

func dialPoll(t *testing.T, ts *testServer) (*poller, openPacket) {
	t.Helper()
	p := &poller{t: t, ts: ts, http: &http.Client{Timeout: waitFor}}
	status, body := p.do(http.MethodGet, ts.url("EIO=4&transport=polling"), "")
	require.Equal(t, http.StatusOK, status, body)
	op := parseOpen(t, body)
	p.sid = op.Sid
	t.Cleanup(func() { // the client goes away: its session needs no drain at Shutdown
		if resp, err := p.http.Post(p.url(), "text/plain", strings.NewReader("1")); err == nil {
			_ = resp.Body.Close()
		}
	})
	return p, op
}

func (p *poller) url() string { return p.ts.url("EIO=4&transport=polling&sid=" + p.sid) }

func (p *poller) do(method, url, body string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(p.t, err)
	resp, err := p.http.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return resp.StatusCode, string(b)
}

func (p *poller) get() (int, string)             { return p.do(http.MethodGet, p.url(), "") }
func (p *poller) post(body string) (int, string) { return p.do(http.MethodPost, p.url(), body) }

// getAsync starts a GET and returns a channel with its result.
func (p *poller) getAsync() chan [2]any {
	ch := make(chan [2]any, 1)
	go func() {
		resp, err := p.http.Get(p.url())
		if err != nil {
			ch <- [2]any{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- [2]any{resp.StatusCode, string(b)}
	}()
	return ch
}

func waitResult(t *testing.T, ch chan [2]any) (int, string) {
	t.Helper()
	r := receive(t, ch, "request did not complete")
	return r[0].(int), r[1].(string)
}

// wsClient is a gws WebSocket client recording the frames it receives.
type wsClient struct {
	gws.BuiltinEventHandler
	conn     *gws.Conn
	frames   chan message
	closed   chan struct{}
	closeErr error // why it closed, once closed is
}

func (c *wsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	c.frames <- message{string(m.Bytes()), m.Opcode == gws.OpcodeBinary}
	m.Close()
}

func (c *wsClient) OnClose(_ *gws.Conn, err error) {
	c.closeErr = err
	close(c.closed)
}

// requireExtraWebSocketClosed asserts that a WebSocket for an existing sid
// is accepted, then closed by the server with a close frame (1000) before
// any message.
func requireExtraWebSocketClosed(t *testing.T, ts *testServer, sid string) {
	t.Helper()
	extra, _, err := dialWS(t, ts, "EIO=4&transport=websocket&sid="+sid, nil)
	require.NoError(t, err)
	extra.waitClosed(t)
	var ce *gws.CloseError
	require.ErrorAs(t, extra.closeErr, &ce)
	require.Equal(t, uint16(1000), ce.Code)
	require.Empty(t, extra.frames)
}

func dialWS(t *testing.T, ts *testServer, query string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	c := &wsClient{frames: make(chan message, 10000), closed: make(chan struct{})}
	conn, resp, err := gws.NewClient(c, &gws.ClientOption{
		Addr:          "ws://" + ts.addr + "/socket.io/?" + query,
		RequestHeader: header,
	})
	if err != nil {
		return nil, resp, err
	}
	c.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.NetConn().Close() })
	return c, resp, nil
}

func (c *wsClient) next(t *testing.T) message {
	t.Helper()
	return receive(t, c.frames, "no WebSocket frame")
}

// nextMessage returns the next frame that is not a ping, answering pings.
func (c *wsClient) nextMessage(t *testing.T) message {
	t.Helper()
	for {
		m := c.next(t)
		if !m.binary && m.data == "2" {
			_ = c.conn.WriteString("3")
			continue
		}
		return m
	}
}

func (c *wsClient) waitClosed(t *testing.T) {
	t.Helper()
	receive(t, c.closed, "WebSocket not closed")
}

// rawWebSocketRequest sends a WebSocket handshake on a plain TCP connection
// and returns the response status line and the connection (never read
// again by the caller, which makes a consumer that does not read).
func rawWebSocketRequest(t *testing.T, ts *testServer, query string, extra string) (string, net.Conn) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, waitFor)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "GET /socket.io/?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", query, ts.addr, extra)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitFor)))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NoError(t, conn.SetReadDeadline(time.Time{}))
	return resp.Status, conn
}

// checkGoroutines waits until the goroutine count is back to base.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want <= %d:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// funcHandler adapts functions to Handler.
type funcHandler struct {
	msg   func(data []byte)
	close func(reason CloseReason)
}

func (h funcHandler) OnMessage(_ *Conn, data []byte, _ bool) {
	if h.msg != nil {
		h.msg(data)
	}
}

func (h funcHandler) OnClose(_ *Conn, reason CloseReason, _ error) {
	if h.close != nil {
		h.close(reason)
	}
}

// startServerWith serves an already configured Server on 127.0.0.1; its
// sessions are left to the caller's OnConnection (nextConn has none).
func startServerWith(t *testing.T, srv *Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		_ = hs.Close()
	})
	return &testServer{Server: srv, addr: ln.Addr().String()}
}

func itoa(i int) string { return fmt.Sprint(i) }

func runtimeGoroutines() int { return runtime.NumGoroutine() }

// waitGetPending waits until c has a long-polling GET waiting (parked,
// with ParkIdlePolls).
func waitGetPending(t *testing.T, c *Conn) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.getActive && (!c.srv.cfg.ParkIdlePolls || c.parked != nil)
	}, waitFor, time.Millisecond)
}

// bothPollModes runs a polling test with and without ParkIdlePolls.
func bothPollModes(t *testing.T, test func(t *testing.T, park bool)) {
	t.Run("waiting", func(t *testing.T) { test(t, false) })
	t.Run("parked", func(t *testing.T) { test(t, true) })
}
