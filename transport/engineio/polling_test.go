package engineio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A GET that the client abandons while it waits closes the session; the
// sid is then unknown.
func TestAbandonedGETClosesSession(t *testing.T) {
	ts := startServer(t, Config{})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url(), nil)
	require.NoError(t, err)
	aborted := make(chan error, 1)
	go func() {
		resp, err := p.http.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		aborted <- err
	}()
	waitGetPending(t, rec.conn)
	cancel()
	require.Error(t, <-aborted)

	ev := rec.waitClose(t)
	require.Equal(t, ReasonTransportError, ev.reason)
	require.ErrorIs(t, ev.err, ErrPollAborted)
	status, body := p.get()
	require.Equal(t, http.StatusBadRequest, status)
	require.JSONEq(t, `{"code":1,"message":"Session ID unknown"}`, body)
}

// The client's close packet answers its pending GET with a noop (not "1":
// the client asked), and the session is gone.
func TestClientCloseAnswersPendingGETWithNoop(t *testing.T) {
	bothPollModes(t, func(t *testing.T, park bool) {
		ts := startServer(t, Config{ParkIdlePolls: park})
		p, _ := dialPoll(t, ts)
		rec := ts.nextConn(t)
		pending := p.getAsync()
		waitGetPending(t, rec.conn)

		status, _ := p.post("1")
		require.Equal(t, http.StatusOK, status)
		status, body := waitResult(t, pending)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "6", body)
		require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
		status, _ = p.get()
		require.Equal(t, http.StatusBadRequest, status)
	})
}

// A GET handled after the client's close packet (sent before it, on
// another connection) gets the noop the pending GET would have had; then
// the session is gone. Without a GET, it is gone after reorderWait.
func TestGETAfterClientCloseGetsNoop(t *testing.T) {
	bothPollModes(t, func(t *testing.T, park bool) {
		ts := startServer(t, Config{ParkIdlePolls: park})
		ts.reorderWait = time.Hour // the GET below comes "in time", however slow the test
		p, _ := dialPoll(t, ts)
		rec := ts.nextConn(t)
		status, _ := p.post("1")
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
		status, body := p.get()
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "6", body)
		status, _ = p.get()
		require.Equal(t, http.StatusBadRequest, status)
		require.Zero(t, ts.Stats().Sessions)
	})
	ts := startServer(t, Config{})
	ts.reorderWait = time.Millisecond
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	status, _ := p.post("1")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, ReasonTransportClose, rec.waitClose(t).reason)
	require.Eventually(t, func() bool { return ts.Stats().Sessions == 0 }, waitFor, time.Millisecond)
	status, _ = p.get()
	require.Equal(t, http.StatusBadRequest, status)
}

// A request that comes after the pong deadline, before the ping timer has
// closed the session (a busy server), finds the session gone.
func TestRequestAfterPongDeadlineFindsSessionGone(t *testing.T) {
	ts := startServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour})
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	c := rec.conn
	c.mu.Lock()
	c.pingTimer.Stop() // stands for a timer that has not run yet
	c.awaitingPong, c.pingDue = true, time.Now().Add(-time.Millisecond)
	c.mu.Unlock()

	status, body := p.get()
	require.Equal(t, http.StatusBadRequest, status)
	require.JSONEq(t, `{"code":1,"message":"Session ID unknown"}`, body)
	ev := rec.waitClose(t)
	require.Equal(t, ReasonPingTimeout, ev.reason)
	require.ErrorIs(t, ev.err, ErrPingTimeout)
}

// A GET that arrives during an upgrade ("3probe" sent) and before the
// server has read the "5" is refused once the "5" comes, like every GET
// after the upgrade; without a "5" it gets a noop (covered by
// TestUpgradeProbeFailureKeepsPolling).
func TestGETRacingUpgradeIsRefused(t *testing.T) {
	ts := startServer(t, Config{})
	ts.reorderWait = time.Hour // the "5" below decides, not the timer
	p, _ := dialPoll(t, ts)
	rec := ts.nextConn(t)
	ws, _, err := dialWS(t, ts, "EIO=4&transport=websocket&sid="+p.sid, nil)
	require.NoError(t, err)
	require.NoError(t, ws.conn.WriteString("2probe"))
	require.Equal(t, message{"3probe", false}, ws.next(t))

	late := p.getAsync()
	waitGetPending(t, rec.conn)
	require.NoError(t, ws.conn.WriteString("5"))
	status, body := waitResult(t, late)
	require.Equal(t, http.StatusBadRequest, status)
	require.JSONEq(t, `{"code":3,"message":"Bad request"}`, body)

	require.NoError(t, ws.conn.WriteString("4after"))
	require.Equal(t, message{"after", false}, rec.nextMessage(t))
	require.Equal(t, TransportWebSocket, rec.conn.Transport())
	require.Empty(t, rec.closed)
}

// A polling response carries at most MaxPollPackets packets (default 16);
// the rest waits for the next GET, in order. The byte bound still applies.
func TestMaxPollPackets(t *testing.T) {
	cases := []struct {
		name       string
		cfg        Config
		sent       int
		wantCounts []int
	}{
		{"default 16", Config{}, 20, []int{16, 4}},
		{"exactly the limit", Config{}, 16, []int{16}},
		{"configured 3", Config{MaxPollPackets: 3}, 7, []int{3, 3, 1}},
		{"bytes bound first", Config{MaxPollPackets: 10, MaxPayload: 19}, 5, []int{2, 2, 1}}, // "4msg-N" is 6 bytes, 7 with its separator
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bothPollModes(t, func(t *testing.T, park bool) {
				cfg := tc.cfg
				cfg.ParkIdlePolls = park
				ts := startServer(t, cfg)
				p, _ := dialPoll(t, ts)
				rec := ts.nextConn(t)
				var want []string
				for i := range tc.sent {
					msg := "msg-" + itoa(i%10)
					require.NoError(t, rec.conn.Send(TextFrame([]byte(msg))))
					want = append(want, "4"+msg)
				}
				var got []string
				for i, n := range tc.wantCounts {
					status, body := p.get()
					require.Equal(t, http.StatusOK, status)
					packets := strings.Split(body, "\x1e")
					require.Len(t, packets, n, "response %d: %q", i, body)
					got = append(got, packets...)
				}
				require.Equal(t, want, got)
			})
		})
	}
}

func TestMaxPollPacketsValidate(t *testing.T) {
	_, err := NewServer(Config{MaxPollPackets: -1})
	require.ErrorContains(t, err, "MaxPollPackets")
	_, err = NewServer(Config{PollDrainWait: -time.Second})
	require.ErrorContains(t, err, "PollDrainWait")
}

// Shutdown does not wait for a polling client that has gone away: a
// session with packets queued and no GET within PollDrainWait is dropped,
// and Shutdown returns nil well within its context (the ping timeout, far
// longer, plays no part).
func TestShutdownAbandonedPollingSession(t *testing.T) {
	const grace = 2 * time.Minute    // Shutdown's context
	const returnBy = 1 * time.Minute // shorter than grace: Shutdown must not have used it up
	cases := []struct {
		name    string
		park    bool
		lastGET bool // the client left a GET waiting before it went away
	}{
		{"stopped polling", false, false},
		{"stopped polling, parked mode", true, false},
		{"parked GET, then gone", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{
				ParkIdlePolls: tc.park,
				PingInterval:  time.Hour,
				PingTimeout:   time.Hour,
				PollDrainWait: 50 * time.Millisecond,
			})
			p, _ := dialPoll(t, ts)
			rec := ts.nextConn(t)
			if tc.lastGET {
				ctx, cancel := context.WithCancel(context.Background())
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url(), nil)
				require.NoError(t, err)
				gone := make(chan struct{})
				go func() {
					defer close(gone)
					if resp, err := p.http.Do(req); err == nil {
						_ = resp.Body.Close()
					}
				}()
				waitGetPending(t, rec.conn) // parked: the server does not notice the client leave
				cancel()
				<-gone
			}
			require.NoError(t, rec.conn.Send(TextFrame([]byte("tick"))))

			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- ts.Shutdown(ctx) }()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(returnBy):
				t.Fatal("Shutdown waits for a polling client that has gone away")
			}
			require.Equal(t, ReasonServerShuttingDown, rec.waitClose(t).reason)
			require.Zero(t, ts.Stats().Sessions)
		})
	}
}

// A client may send its next GET on another connection as soon as it has
// read an answer: that GET is not an overlap, however quickly it arrives
// (with ParkIdlePolls the answer used to be written before the claim of
// its GET was released, so such a GET got 400 and closed the session).
func TestNextGETRightAfterAnswerIsNoOverlap(t *testing.T) {
	bothPollModes(t, func(t *testing.T, park bool) {
		ts := startServer(t, Config{ParkIdlePolls: park})
		p, _ := dialPoll(t, ts)
		p.http = &http.Client{Timeout: waitFor, Transport: &http.Transport{DisableKeepAlives: true}}
		rec := ts.nextConn(t)
		for i := range 200 {
			pending := p.getAsync()
			waitGetPending(t, rec.conn)
			require.NoError(t, rec.conn.Send(TextFrame([]byte("m"+itoa(i)))))
			status, body := waitResult(t, pending)
			require.Equal(t, http.StatusOK, status, "GET %d: %s", i, body)
			require.Equal(t, "4m"+itoa(i), body)
		}
	})
}
