package engineio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandshakePolling(t *testing.T) {
	ts := startServer(t, Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1234})
	p, op := dialPoll(t, ts)
	require.Len(t, op.Sid, 20)
	require.Equal(t, []string{"websocket"}, op.Upgrades)
	require.Equal(t, 300, op.PingInterval)
	require.Equal(t, 200, op.PingTimeout)
	require.Equal(t, 1234, op.MaxPayload)
	rec := ts.nextConn(t)
	require.Equal(t, op.Sid, rec.conn.ID())
	require.Equal(t, TransportPolling, rec.conn.Transport())
	require.Empty(t, rec.conn.Handshake().Query) // only Engine.IO's own parameters
	require.NotEmpty(t, rec.conn.Handshake().RemoteAddr)
	require.Equal(t, 1, ts.Stats().PollingSessions)
	_ = p
}

func TestHandshakeWebSocket(t *testing.T) {
	ts := startServer(t, Config{})
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	op := parseOpen(t, c.next(t).data)
	require.Empty(t, op.Upgrades)
	require.Equal(t, 25000, op.PingInterval)
	require.Equal(t, 20000, op.PingTimeout)
	require.Equal(t, 1000000, op.MaxPayload)
	rec := ts.nextConn(t)
	require.Equal(t, TransportWebSocket, rec.conn.Transport())
	require.Equal(t, 1, ts.Stats().WebSocketSessions)

	require.NoError(t, c.conn.WriteString("4hello"))
	require.NoError(t, c.conn.WriteMessage(2, []byte{0xca, 0xfe})) // binary
	require.Equal(t, message{"hello", false}, rec.nextMessage(t))
	require.Equal(t, message{"\xca\xfe", true}, rec.nextMessage(t))

	require.NoError(t, rec.conn.Send(TextFrame([]byte("hi")), BinaryFrame([]byte{1, 2})))
	require.Equal(t, message{"4hi", false}, c.next(t))
	require.Equal(t, message{"\x01\x02", true}, c.next(t))

	require.NoError(t, c.conn.WriteString("1")) // close packet
	require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
	require.ErrorIs(t, rec.conn.Send(TextFrame(nil)), ErrClosed)
}

func TestRequestErrors(t *testing.T) {
	ts := startServer(t, Config{
		AllowedOrigins: []string{"https://ok.example"},
		AllowRequest: func(r *http.Request) error {
			if r.Header.Get("X-Deny") != "" {
				return http.ErrNoCookie
			}
			return nil
		},
	})
	p, _ := dialPoll(t, ts)
	for _, tc := range []struct {
		name   string
		method string
		query  string
		header http.Header
		status int
		code   int
		msg    string
	}{
		{"no EIO", "GET", "transport=polling", nil, 400, 5, "Unsupported protocol version"},
		{"EIO 3", "GET", "EIO=3&transport=polling", nil, 400, 5, "Unsupported protocol version"},
		{"no transport", "GET", "EIO=4", nil, 400, 0, "Transport unknown"},
		{"unknown transport", "GET", "EIO=4&transport=flashsocket", nil, 400, 0, "Transport unknown"},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", nil, 400, 1, "Session ID unknown"},
		{"POST handshake", "POST", "EIO=4&transport=polling", nil, 400, 2, "Bad handshake method"},
		{"PUT on session", "PUT", "EIO=4&transport=polling&sid=" + p.sid, nil, 400, 3, "Bad request"},
		{"origin refused", "GET", "EIO=4&transport=polling", http.Header{"Origin": {"https://evil.example"}}, 403, 4, "Forbidden"},
		{"AllowRequest refused", "GET", "EIO=4&transport=polling", http.Header{"X-Deny": {"1"}}, 403, 4, "Forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.url(tc.query), nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var body struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			require.Equal(t, tc.code, body.Code)
			require.Equal(t, tc.msg, body.Message)
		})
	}
}

func TestPollingRoundTrip(t *testing.T) { bothPollModes(t, testPollingRoundTrip) }

func testPollingRoundTrip(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, MaxPayload: 100})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)

	status, body := p.post("4hello\x1eb" + base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}) + "\x1e4€")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", body)
	require.Equal(t, message{"hello", false}, rec.nextMessage(t))
	require.Equal(t, message{"\x00\x01\xff", true}, rec.nextMessage(t))
	require.Equal(t, message{"€", false}, rec.nextMessage(t))

	require.NoError(t, rec.conn.Send(TextFrame([]byte("a")), BinaryFrame([]byte{0xca, 0xfe})))
	status, body = p.get()
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "4a\x1ebyv4=", body)

	// A long queue is split into responses of at most MaxPayload bytes.
	big := strings.Repeat("x", 39)
	for range 5 {
		require.NoError(t, rec.conn.Send(TextFrame([]byte(big))))
	}
	var got []string
	for len(got) < 5 {
		_, body = p.get()
		require.LessOrEqual(t, len(body), 100)
		got = append(got, strings.Split(body, "\x1e")...)
	}
	require.Equal(t, []string{"4" + big, "4" + big, "4" + big, "4" + big, "4" + big}, got)

	// The bound counts binary frames as base64.
	bin := make([]byte, 30) // 'b' + 40 base64 characters
	for range 3 {
		require.NoError(t, rec.conn.Send(BinaryFrame(bin)))
	}
	_, body = p.get()
	require.Equal(t, strings.Repeat("b"+strings.Repeat("A", 40), 2), strings.ReplaceAll(body, "\x1e", ""))
	_, body = p.get()
	require.Equal(t, "b"+strings.Repeat("A", 40), body)
	st := ts.Stats()
	require.Equal(t, uint64(10), st.FramesOut)

	// The client's close packet closes the session (a GET right after it
	// may get a noop: TestGETAfterClientCloseGetsNoop).
	status, _ = p.post("1")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
	status, body = p.get()
	if status == http.StatusOK {
		require.Equal(t, "6", body)
		status, _ = p.get()
	}
	require.Equal(t, http.StatusBadRequest, status)
}

func TestPollingPendingGETGetsFrames(t *testing.T) { bothPollModes(t, testPollingPendingGETGetsFrames) }

func testPollingPendingGETGetsFrames(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	pending := p.getAsync()
	waitGetPending(t, rec.conn)
	require.Empty(t, pending)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("late"))))
	_, body := waitResult(t, pending)
	require.Equal(t, "4late", body)
}

func TestPingPongPolling(t *testing.T) { bothPollModes(t, testPingPongPolling) }

func testPingPongPolling(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, PingInterval: 40 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	for range 3 { // answered pings keep the session open
		_, body := p.get()
		require.Equal(t, "2", body)
		status, _ := p.post("3")
		require.Equal(t, http.StatusOK, status)
	}
	require.Empty(t, rec.closed)
	start := time.Now()
	_, body := p.get()
	require.Equal(t, "2", body)
	ev := rec.waitClose(t) // no pong
	require.Equal(t, ReasonPingTimeout, ev.reason)
	require.ErrorIs(t, ev.err, ErrPingTimeout)
	require.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)
}

func TestPingTimeoutWebSocket(t *testing.T) {
	ts := startServer(t, Config{PingInterval: 40 * time.Millisecond, PingTimeout: 60 * time.Millisecond})
	answering, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	recA := ts.nextConn(t)
	silent, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	recS := ts.nextConn(t)

	// The answering client replies to pings in the background.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case m := <-answering.frames:
				if m.data == "2" {
					_ = answering.conn.WriteString("3")
				}
			case <-stop:
				return
			}
		}
	}()
	require.Equal(t, ReasonPingTimeout, recS.waitClose(t).reason)
	silent.waitClosed(t)
	require.Never(t, func() bool { return len(recA.closed) > 0 }, 300*time.Millisecond, 10*time.Millisecond)
	close(stop)
	<-done
}

func TestConcurrentGETClosesSession(t *testing.T) { bothPollModes(t, testConcurrentGETClosesSession) }

func testConcurrentGETClosesSession(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	first := p.getAsync()
	waitGetPending(t, rec.conn)
	status, _ := p.get()
	require.Equal(t, http.StatusBadRequest, status)
	ev := rec.waitClose(t)
	require.Equal(t, ReasonTransportError, ev.reason)
	require.ErrorIs(t, ev.err, ErrOverlap)
	_, body := waitResult(t, first)
	require.Equal(t, "1", body)
}

func TestOversizedPOST(t *testing.T) { bothPollModes(t, testOversizedPOST) }

func testOversizedPOST(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, MaxPayload: 64})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	status, _ := p.post("4" + strings.Repeat("x", 64))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	ev := rec.waitClose(t)
	require.Equal(t, ReasonTransportError, ev.reason)
	require.ErrorIs(t, ev.err, ErrPayloadTooLarge)

	// The same without Content-Length (chunked).
	p3, _ := dialPoll(t, ts)
	rec3 := ts.nextConn(t)
	resp, err := p3.http.Post(p3.url(), "text/plain", io.MultiReader(strings.NewReader("4"+strings.Repeat("y", 100))))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.ErrorIs(t, rec3.waitClose(t).err, ErrPayloadTooLarge)

	// Others keep working.
	p2, _ := dialPoll(t, ts)
	rec2 := ts.nextConn(t)
	status, _ = p2.post("4" + strings.Repeat("x", 63))
	require.Equal(t, http.StatusOK, status)
	require.Len(t, rec2.nextMessage(t).data, 63)
}

func TestOversizedWebSocketMessage(t *testing.T) {
	ts := startServer(t, Config{MaxPayload: 64})
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	rec := ts.nextConn(t)
	require.NoError(t, c.conn.WriteString("4"+strings.Repeat("x", 100)))
	require.Equal(t, ReasonTransportError, rec.waitClose(t).reason)
}

func TestBadPacketsAreParseErrors(t *testing.T) { bothPollModes(t, testBadPacketsAreParseErrors) }

func testBadPacketsAreParseErrors(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	status, _ := p.post("4ok\x1e9bad")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, message{"ok", false}, rec.nextMessage(t))
	require.Equal(t, ReasonParseError, rec.waitClose(t).reason)

	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	rec = ts.nextConn(t)
	require.NoError(t, c.conn.WriteString("x"))
	require.Equal(t, ReasonParseError, rec.waitClose(t).reason)
}

func TestUpgrade(t *testing.T) { bothPollModes(t, testUpgrade) }

func testUpgrade(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	pending := p.getAsync()
	waitGetPending(t, rec.conn)

	ws, _, err := dialWS(t, ts, "EIO=4&transport=websocket&sid="+p.sid, nil)
	require.NoError(t, err)
	require.NoError(t, ws.conn.WriteString("2probe"))
	require.Equal(t, message{"3probe", false}, ws.next(t))
	_, body := waitResult(t, pending)
	require.Equal(t, "6", body) // the pending GET is released with a noop
	require.Equal(t, TransportPolling, rec.conn.Transport())

	// Frames sent meanwhile wait for the new transport.
	require.NoError(t, rec.conn.Send(TextFrame([]byte("queued"))))
	require.NoError(t, ws.conn.WriteString("5"))
	require.Equal(t, message{"4queued", false}, ws.next(t))
	require.Equal(t, TransportWebSocket, rec.conn.Transport())
	st := ts.Stats()
	require.Equal(t, uint64(1), st.Upgrades)
	require.Equal(t, 1, st.WebSocketSessions)
	require.Equal(t, 0, st.PollingSessions)

	require.NoError(t, ws.conn.WriteString("4over ws"))
	require.Equal(t, message{"over ws", false}, rec.nextMessage(t))

	// Polling is over for this session, and a second WebSocket is accepted
	// and closed; the session goes on.
	status, _ := p.get()
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = p.post("4x")
	require.Equal(t, http.StatusBadRequest, status)
	requireExtraWebSocketClosed(t, ts, p.sid)
	require.NoError(t, ws.conn.WriteString("4still here"))
	require.Equal(t, message{"still here", false}, rec.nextMessage(t))
	require.Empty(t, rec.closed)
}

func TestUpgradeProbeFailureKeepsPolling(t *testing.T) {
	bothPollModes(t, testUpgradeProbeFailureKeepsPolling)
}

func testUpgradeProbeFailureKeepsPolling(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, UpgradeTimeout: time.Second})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)

	// A second probe while one is open is accepted and closed.
	ws, _, err := dialWS(t, ts, "EIO=4&transport=websocket&sid="+p.sid, nil)
	require.NoError(t, err)
	requireExtraWebSocketClosed(t, ts, p.sid)

	// The probe never sends "5": closed after UpgradeTimeout; polling goes on.
	require.NoError(t, ws.conn.WriteString("2probe"))
	require.Equal(t, message{"3probe", false}, ws.next(t))
	_, body := p.get() // paused polling: answered at once
	require.Equal(t, "6", body)
	ws.waitClosed(t)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("still polling"))))
	_, body = p.get()
	require.Equal(t, "4still polling", body)
	require.Equal(t, TransportPolling, rec.conn.Transport())
	require.Empty(t, rec.closed)
}

func TestOriginRefusedBeforeUpgrade(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"https://ok.example"}})
	line, _ := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "Origin: https://evil.example\r\n")
	require.Equal(t, "403 Forbidden", line)
	line, _ = rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "Origin: https://ok.example\r\n")
	require.Equal(t, "101 Switching Protocols", line)
	require.Eventually(t, func() bool { return ts.Stats().SessionsOpened == 1 }, waitFor, time.Millisecond)
}

func TestCORS(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"https://ok.example"}})
	req, err := http.NewRequest(http.MethodOptions, ts.url("EIO=4&transport=polling"), nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://ok.example")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "https://ok.example", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	require.Equal(t, "content-type", resp.Header.Get("Access-Control-Allow-Headers"))

	req, err = http.NewRequest(http.MethodGet, ts.url("EIO=4&transport=polling"), nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://ok.example")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "https://ok.example", resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestMaxSessions(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 1})
	dialPoll(t, ts)
	resp, err := http.Get(ts.url("EIO=4&transport=polling"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestSendDroppable(t *testing.T) {
	ts := startServer(t, Config{SendQueueFrames: 4, SendQueueBytes: 1 << 20})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	f := TextFrame([]byte("x"))
	for i := range 6 {
		queued, err := rec.conn.SendDroppable(f)
		require.NoError(t, err)
		require.Equal(t, i < 4, queued, "frame %d", i)
	}
	require.Equal(t, uint64(2), ts.Stats().DroppedFrames)
	_, body := p.get()
	require.Equal(t, "4x\x1e4x\x1e4x\x1e4x", body)

	// Bytes bound too.
	queued, err := rec.conn.SendDroppable(TextFrame(make([]byte, 2<<20)))
	require.NoError(t, err)
	require.False(t, queued)

	// Send on a full queue closes the session.
	for range 4 {
		require.NoError(t, rec.conn.Send(f))
	}
	require.ErrorIs(t, rec.conn.Send(f), ErrSlowConsumer)
	require.Equal(t, ReasonSlowConsumer, rec.waitClose(t).reason)
	require.Equal(t, uint64(1), ts.Stats().SlowConsumerCloses)
	_, err = rec.conn.SendDroppable(f)
	require.ErrorIs(t, err, ErrClosed)
}

func TestSlowConsumerWebSocket(t *testing.T) {
	ts := startServer(t, Config{SendQueueFrames: 64, SendQueueBytes: 256 << 10})
	good, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	recGood := ts.nextConn(t)
	_ = good.next(t) // open packet
	_, never := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "")
	_ = never // never read: the kernel buffers fill, then our queue
	recSlow := ts.nextConn(t)

	frame := TextFrame(make([]byte, 16<<10))
	sent := 0
	var slowErr error
	for sent < 100_000 && slowErr == nil {
		slowErr = recSlow.conn.Send(frame)
		require.NoError(t, recGood.conn.Send(frame))
		sent++
		got := good.nextMessage(t) // the good client keeps up
		require.Len(t, got.data, 1+16<<10)
	}
	require.ErrorIs(t, slowErr, ErrSlowConsumer)
	require.Equal(t, ReasonSlowConsumer, recSlow.waitClose(t).reason)
	require.Equal(t, uint64(1), ts.Stats().SlowConsumerCloses)
	require.NoError(t, recGood.conn.Send(TextFrame([]byte("after"))))
	require.Equal(t, message{"4after", false}, good.nextMessage(t))
	t.Logf("slow consumer closed after %d frames of 16 KiB", sent)
}

func TestOnMessageSequential(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	var running, overlaps atomic.Int32
	got := make(chan string, 1000)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{
			msg: func(data []byte) {
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				got <- string(data)
				running.Add(-1)
			},
		})
	})
	// Over WebSocket, 500 messages arrive in order, one at a time.
	ts := startServerWith(t, srv)
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	for i := range 500 {
		require.NoError(t, c.conn.WriteString("4m"+itoa(i)))
	}
	for i := range 500 {
		require.Equal(t, "m"+itoa(i), receive(t, got, "missing message"))
	}
	require.Zero(t, overlaps.Load())
}

func TestCloseFromHandlerDefersOnClose(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	events := make(chan string, 10)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{
			msg: func(data []byte) {
				c.Close(ReasonForcedClose)
				events <- "message returns"
			},
			close: func(reason CloseReason) { events <- "close " + string(reason) },
		})
	})
	ts := startServerWith(t, srv)
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	require.NoError(t, c.conn.WriteString("4bye"))
	require.Equal(t, "message returns", <-events)
	require.Equal(t, "close forced close", <-events)
	c.waitClosed(t)
}

func TestShutdown(t *testing.T) { bothPollModes(t, testShutdown) }

func testShutdown(t *testing.T, park bool) {
	base := runtimeGoroutines()
	func() {
		ts := startServer(t, Config{ParkIdlePolls: park})
		p, _ := dialPoll(t, ts)
		recP := ts.nextConn(t)
		pending := p.getAsync()
		waitGetPending(t, recP.conn)
		ws, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
		require.NoError(t, err)
		recW := ts.nextConn(t)
		_ = ws.next(t) // open
		require.NoError(t, recW.conn.Send(TextFrame([]byte("last words"))))

		require.NoError(t, ts.Shutdown(t.Context()))
		require.Equal(t, ReasonServerShuttingDown, recP.waitClose(t).reason)
		require.Equal(t, ReasonServerShuttingDown, recW.waitClose(t).reason)
		_, body := waitResult(t, pending)
		require.Equal(t, "1", body)
		require.Equal(t, message{"4last words", false}, ws.next(t)) // flushed before the close frame
		ws.waitClosed(t)
		require.Zero(t, ts.Stats().Sessions)

		resp, err := http.Get(ts.url("EIO=4&transport=polling"))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		http.DefaultClient.CloseIdleConnections()
		p.http.CloseIdleConnections()
	}()
	// t.Cleanup's hs.Close has not run yet: its Serve goroutine remains.
	checkGoroutines(t, base+1)
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"path", Config{Path: "socket.io"}, "Path"},
		{"ping", Config{PingInterval: -1}, "PingInterval"},
		{"payload", Config{MaxPayload: -1}, "MaxPayload"},
		{"transport", Config{Transports: []string{"flashsocket"}}, "flashsocket"},
		{"empty transports", Config{Transports: []string{}}, "Transports"},
		{"queue", Config{SendQueueFrames: -1}, "SendQueueFrames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestShutdownWaitsForRunningOnMessage(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	inHandler, release := make(chan struct{}), make(chan struct{})
	events := make(chan string, 10)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{
			msg: func([]byte) {
				close(inHandler)
				<-release
				events <- "message returns"
			},
			close: func(reason CloseReason) { events <- "close " + string(reason) },
		})
	})
	ts := startServerWith(t, srv)
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	require.NoError(t, c.conn.WriteString("4block"))
	<-inHandler
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool { return srv.Stats().Sessions == 0 }, waitFor, time.Millisecond)
	require.Empty(t, shutdown) // OnClose has not run yet, so Shutdown waits
	close(release)
	require.Equal(t, "message returns", <-events)
	require.Equal(t, "close server shutting down", <-events)
	require.NoError(t, <-shutdown)
}

func TestWriteTimeoutClosesStalledPeer(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: 100 * time.Millisecond, SendQueueBytes: 64 << 20})
	_, _ = rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "") // never reads
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(BinaryFrame(make([]byte, 32<<20)))) // more than the socket buffers hold
	ev := rec.waitClose(t)
	require.Equal(t, ReasonSlowConsumer, ev.reason)
	require.ErrorIs(t, ev.err, ErrSlowConsumer)
	require.ErrorIs(t, ev.err, os.ErrDeadlineExceeded)
}

func TestShutdownDeadlineDropsSlowPeers(t *testing.T) {
	ts := startServer(t, Config{SendQueueBytes: 64 << 20})
	_, _ = rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "") // never reads
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(BinaryFrame(make([]byte, 32<<20)))) // the writer blocks (WriteTimeout 10s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, ts.Shutdown(ctx), context.DeadlineExceeded)
	require.Equal(t, ReasonServerShuttingDown, rec.waitClose(t).reason)
	require.NoError(t, ts.Shutdown(t.Context())) // the writer has stopped: everything finished
}

func TestParkedGETKeepsCORSAndConnection(t *testing.T) {
	ts := startServer(t, Config{ParkIdlePolls: true, AllowedOrigins: []string{"https://ok.example"}})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	var reused atomic.Bool
	get := func() (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, p.url(), nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "https://ok.example")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused.Store(info.Reused) },
		}))
		resp, err := p.http.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	for i := range 3 { // the same keep-alive connection goes through the internal server
		done := make(chan struct{})
		go func() {
			defer close(done)
			resp, body := get()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "https://ok.example", resp.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "text/plain; charset=UTF-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "4n"+itoa(i), body)
		}()
		waitGetPending(t, rec.conn)
		require.NoError(t, rec.conn.Send(TextFrame([]byte("n"+itoa(i)))))
		<-done
		require.True(t, reused.Load(), "GET %d on a new connection", i) // the handshake's connection, then the parked one
	}
	status, _ := p.post("4back")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, message{"back", false}, rec.nextMessage(t))
}

// A forced close over polling sends the queued frames, and the close packet
// only in the next response (a client would drop packets that share a
// payload with the close packet).
func TestForcedClosePollingDrains(t *testing.T) { bothPollModes(t, testForcedClosePollingDrains) }

func testForcedClosePollingDrains(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, PollDrainWait: waitFor})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	pending := p.getAsync()
	waitGetPending(t, rec.conn)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("bye"))))
	rec.conn.Close(ReasonForcedClose)
	_, body := waitResult(t, pending)
	require.Equal(t, "4bye", body) // never "4bye\x1e1"
	require.Equal(t, ReasonForcedClose, rec.waitClose(t).reason)
	// "1" next, unless the GET was fully answered before Close (then there
	// was nothing to drain and the session is gone).
	status, body := p.get()
	if status == http.StatusOK {
		require.Equal(t, "1", body)
		status, _ = p.get()
	}
	require.Equal(t, http.StatusBadRequest, status)
}

func TestForcedClosePollingQueueThenClose(t *testing.T) {
	ts := startServer(t, Config{PollDrainWait: waitFor})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("a")), TextFrame([]byte("b"))))
	rec.conn.Close(ReasonForcedClose) // no GET waiting
	_, body := p.get()
	require.Equal(t, "4a\x1e4b", body)
	_, body = p.get()
	require.Equal(t, "1", body)
	status, _ := p.get()
	require.Equal(t, http.StatusBadRequest, status)
}

// Shutdown waits (within its context) for polling sessions to take their
// last frames.
func TestShutdownDrainsPolling(t *testing.T) { bothPollModes(t, testShutdownDrainsPolling) }

func testShutdownDrainsPolling(t *testing.T, park bool) {
	ts := startServer(t, Config{ParkIdlePolls: park, PollDrainWait: waitFor})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("room.left"))))
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(context.Background()) }()
	require.Equal(t, ReasonServerShuttingDown, rec.waitClose(t).reason)
	require.Empty(t, done)
	_, body := p.get()
	require.Equal(t, "4room.left", body)
	_, body = p.get()
	require.Equal(t, "1", body)
	require.NoError(t, receive(t, done, "Shutdown did not return after the drain"))
}

func TestDrainTimeout(t *testing.T) {
	ts := startServer(t, Config{PollDrainWait: 50 * time.Millisecond})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("never fetched"))))
	rec.conn.Close(ReasonForcedClose)
	require.Eventually(t, func() bool { return ts.Stats().Sessions == 0 }, waitFor, time.Millisecond)
	status, _ := p.get()
	require.Equal(t, http.StatusBadRequest, status)
}

func TestHandlerPanicClosesSession(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	closed := make(chan error, 10)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{
			msg: func(data []byte) {
				if string(data) == "boom" {
					panic("boom")
				}
			},
			close: func(reason CloseReason) { closed <- c.closeErr },
		})
		if c.Handshake().Query.Get("panic") != "" {
			panic("in OnConnection")
		}
	})
	ts := startServerWith(t, srv)

	ws, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	require.NoError(t, ws.conn.WriteString("4boom"))
	require.ErrorIs(t, <-closed, ErrHandlerPanic)
	ws.waitClosed(t)

	p, _ := dialPoll(t, ts)
	status, _ := p.post("4boom")
	require.Equal(t, http.StatusOK, status)
	require.ErrorIs(t, <-closed, ErrHandlerPanic)

	_, _, err = dialWS(t, ts, "EIO=4&transport=websocket&panic=1", nil)
	require.NoError(t, err)
	require.ErrorIs(t, <-closed, ErrHandlerPanic)
	require.Eventually(t, func() bool { return srv.Stats().Sessions == 0 }, waitFor, time.Millisecond)
}

func TestParkedGETOverTLS(t *testing.T) {
	srv, err := NewServer(Config{ParkIdlePolls: true})
	require.NoError(t, err)
	conns := make(chan *Conn, 1)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{})
		conns <- c
	})
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(func() {
		require.NoError(t, srv.Shutdown(context.Background()))
		hs.Close()
	})
	client := hs.Client()
	get := func(url string) string {
		resp, err := client.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	base := hs.URL + "/socket.io/?EIO=4&transport=polling"
	sid := parseOpen(t, get(base)).Sid
	c := <-conns
	for i := range 3 {
		got := make(chan string, 1)
		go func() { got <- get(base + "&sid=" + sid) }()
		waitGetPending(t, c)
		require.NoError(t, c.Send(TextFrame([]byte("tls"+itoa(i)))))
		require.Equal(t, "4tls"+itoa(i), <-got)
	}
	resp, err := client.Post(base+"&sid="+sid, "text/plain", strings.NewReader("1"))
	require.NoError(t, err)
	resp.Body.Close()
}

func TestWebSocketPeerGoneIsTransportClose(t *testing.T) {
	ts := startServer(t, Config{})
	_, conn := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "")
	rec := ts.nextConn(t)
	require.NoError(t, conn.Close()) // no close frame
	require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
}

// The write deadline is renewed lazily (when half of WriteTimeout is left):
// a peer that keeps reading is never timed out, however long the session
// is written to.
func TestWriteDeadlineRenewedWhileReading(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: 60 * time.Millisecond})
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	c.next(t) // open
	rec := ts.nextConn(t)
	tick := time.NewTicker(10 * time.Millisecond) // pacing, not synchronisation
	defer tick.Stop()
	for i := range 30 { // 300 ms: five WriteTimeouts
		<-tick.C
		require.NoError(t, rec.conn.Send(TextFrame([]byte(itoa(i)))))
		require.Equal(t, message{"4" + itoa(i), false}, c.next(t))
	}
	require.Equal(t, TransportWebSocket, rec.conn.Transport())
	require.Equal(t, 1, ts.Stats().WebSocketSessions)
}

// Handshake keeps the configured headers and the application's query
// parameters, copied; Engine.IO's own parameters and other headers are not
// kept.
func TestHandshakeKeepsSelectedHeadersAndQuery(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keep    []string
		want    http.Header
		wantLen int
	}{
		{"default", nil, http.Header{"Origin": {"https://a.example"}, "Cookie": {"k=v"}}, -1},
		{"listed", []string{"x-custom"}, http.Header{"X-Custom": {"1", "2"}}, 1},
		{"all", []string{"*"}, http.Header{"X-Custom": {"1", "2"}, "Origin": {"https://a.example"}, "Cookie": {"k=v"}}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{HandshakeHeaders: tc.keep, AllowedOrigins: []string{"https://a.example"}})
			h := http.Header{"Origin": {"https://a.example"}, "Cookie": {"k=v"}, "X-Custom": {"1", "2"}}
			_, _, err := dialWS(t, ts, "EIO=4&transport=websocket&room=r1&token=a%20b", h)
			require.NoError(t, err)
			hs := ts.nextConn(t).conn.Handshake()
			for k, v := range tc.want {
				require.Equal(t, v, hs.Header[k], k)
			}
			if tc.wantLen >= 0 {
				require.Len(t, hs.Header, tc.wantLen)
			}
			if tc.keep == nil {
				require.NotContains(t, hs.Header, "X-Custom")
				require.NotContains(t, hs.Header, "Sec-Websocket-Key")
			}
			require.Equal(t, url.Values{"room": {"r1"}, "token": {"a b"}}, hs.Query)
		})
	}
}

// Messages larger than the WebSocket read buffer (ReadBufferSize) arrive
// whole, up to MaxPayload.
func TestWebSocketMessagesLargerThanReadBuffer(t *testing.T) {
	ts := startServer(t, Config{ReadBufferSize: 256, MaxPayload: 100_000})
	c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	c.next(t) // open
	rec := ts.nextConn(t)
	for _, n := range []int{255, 256, 257, 5000, 99_999} {
		data := strings.Repeat("y", n-1)
		require.NoError(t, c.conn.WriteString("4"+data))
		require.Equal(t, message{data, false}, rec.nextMessage(t))
	}
	big := make([]byte, 100_001)
	require.NoError(t, c.conn.WriteMessage(2, big)) // over MaxPayload: closed
	require.Equal(t, ReasonTransportError, rec.waitClose(t).reason)
}
