package engineio

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// handshakeFrom opens a polling session as client (ClientKey reads the
// X-Client header in these tests) and returns the status, the decoded
// error of a refusal and the Retry-After header.
func handshakeFrom(t *testing.T, ts *testServer, client string) (status int, body requestErrorBody, retryAfter string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.url("EIO=4&transport=polling"), nil)
	require.NoError(t, err)
	req.Header.Set("X-Client", client)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.NoError(t, json.Unmarshal(b, &body))
	} else {
		body.sid = parseOpen(t, string(b)).Sid
	}
	return resp.StatusCode, body, resp.Header.Get("Retry-After")
}

type requestErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	sid     string
}

func byHeader(r *http.Request) string { return r.Header.Get("X-Client") }

func TestMaxSessionsPerClient(t *testing.T) {
	ts := startServer(t, Config{MaxSessionsPerClient: 2, ClientKey: byHeader})
	var sids []string
	for range 2 {
		status, body, _ := handshakeFrom(t, ts, "a")
		require.Equal(t, http.StatusOK, status)
		sids = append(sids, body.sid)
	}
	status, body, retry := handshakeFrom(t, ts, "a")
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, requestErrorBody{Code: 3, Message: "Too many sessions from this address"}, body)
	require.Equal(t, "1", retry)
	status, _, _ = handshakeFrom(t, ts, "b")
	require.Equal(t, http.StatusOK, status, "another client has its own count")

	// A closed session frees its place.
	p := &poller{t: t, ts: ts, sid: sids[0], http: http.DefaultClient}
	status, _ = p.post("1")
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool {
		ts.mu.RLock()
		defer ts.mu.RUnlock()
		return ts.perClient["a"] == 1
	}, waitFor, time.Millisecond)
	status, _, _ = handshakeFrom(t, ts, "a")
	require.Equal(t, http.StatusOK, status)
}

func TestHandshakeRate(t *testing.T) {
	// A rate so low that no token comes back during the test.
	ts := startServer(t, Config{HandshakeRate: 0.001, HandshakeBurst: 3, ClientKey: byHeader})
	for range 3 {
		status, _, _ := handshakeFrom(t, ts, "a")
		require.Equal(t, http.StatusOK, status)
	}
	status, body, retry := handshakeFrom(t, ts, "a")
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, requestErrorBody{Code: 3, Message: "Too many handshakes from this address"}, body)
	require.Equal(t, "1", retry)
	status, _, _ = handshakeFrom(t, ts, "b")
	require.Equal(t, http.StatusOK, status, "another client has its own bucket")

	// Direct WebSocket handshakes count too, refused before the upgrade.
	line, _ := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "X-Client: a\r\n")
	require.Equal(t, "429 Too Many Requests", line)
}

func TestHandshakeLimiterRefillsAndForgets(t *testing.T) {
	l := newHandshakeLimiter(10, 2)
	now := time.Unix(1000, 0)
	require.True(t, l.allow("a", now))
	require.True(t, l.allow("a", now))
	require.False(t, l.allow("a", now))
	require.True(t, l.allow("a", now.Add(100*time.Millisecond)), "one token back after 1/rate")
	require.False(t, l.allow("a", now.Add(100*time.Millisecond)))
	later := now.Add(time.Hour)
	require.True(t, l.allow("b", later)) // sweeps "a", whose bucket is full again
	require.NotContains(t, l.buckets, "a")
	require.Nil(t, newHandshakeLimiter(0, 5), "rate 0: unlimited")
	require.True(t, (*handshakeLimiter)(nil).allow("a", now))
}

// A polling POST whose body does not arrive within PostTimeout ends: the
// session closes and the connection is answered 400, not held.
func TestSlowPostBodyCut(t *testing.T) {
	ts := startServer(t, Config{PostTimeout: 200 * time.Millisecond, PingInterval: time.Minute, PingTimeout: time.Minute})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	conn, err := net.DialTimeout("tcp", ts.addr, waitFor)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n4drip", p.sid, ts.addr)
	require.NoError(t, err) // and the other 95 bytes never come
	ev := rec.waitClose(t)
	require.Equal(t, ReasonTransportError, ev.reason)
	require.ErrorIs(t, ev.err, os.ErrDeadlineExceeded)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitFor)))
	_, err = io.ReadAll(conn) // the server closes the connection
	require.NoError(t, err)
	require.Empty(t, rec.msgs)
}
