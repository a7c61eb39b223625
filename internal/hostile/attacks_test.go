package hostile_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/host"
	"github.com/roomcast/roomcast/internal/hostile"
)

func attackCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Finding 1: keep-alive connections that idle after one request are
// closed by the server's idle timeout (or refused by the per-IP
// connection limit); none is left open.
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.IdleKeepAlive{Conns: 200, Hold: 30 * time.Second}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	assert.Equal(t, 200, res.Attempts)
	assert.Zero(t, res.Open, "idle connections the server kept: %v", res)
	assert.Equal(t, res.Attempts, res.Closed+res.Refused, "%v", res)
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 1: polling POST bodies that drip a byte at a time are cut by the
// body deadline: answered with an error status or closed (handshakes over
// the per-address limits are refused with 429 first).
func TestSlowPostBodiesAreCut(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.SlowPost{Conns: 50, Drip: time.Second, BodySize: 1000, Hold: 40 * time.Second}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	assert.Zero(t, res.Open, "slow bodies the server kept reading: %v", res)
	assert.Equal(t, res.Attempts, res.Closed+res.Refused, "%v", res)
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 2: connections that create room after room are refused by the
// per-connection creation rate (rate_limited).
func TestRoomFloodOnOneConnectionIsRateLimited(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.RoomFlood{Clients: 3, PerConnection: 20, Duration: 4 * time.Second}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Positive(t, res.Codes["rate_limited"], "no creation was rate-limited: %v", res)
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 2: a room-creation flood that reconnects for every room (create,
// drop, reconnect) is refused too: by the handshake rate of its address
// (429) or the creation rates (the per-address one applies to loopback
// here: testLimits sets LimitLoopback).
func TestRoomFloodIsRefused(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.RoomFlood{Clients: 10, Duration: 4 * time.Second}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Positive(t, res.Refused, "no creation was refused: %v", res)
	for code := range res.Codes {
		assert.Contains(t, []string{"rate_limited", "create_failed"}, code, "%v", res)
	}
	for st := range res.Statuses { // reconnecting for each room meets the handshake rate
		assert.Contains(t, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, st, "%v", res)
	}
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 4: rooms.list in a loop is rate-limited (rate_limited), and a
// connection that keeps calling after its refusals is closed by the
// abuse rule (more than 20 refusals in a second): the attack ends within
// about a second instead of lasting as long as the attacker likes.
func TestRoomsListLoopIsThrottled(t *testing.T) {
	tg := startTarget(t, nil)
	m0 := scrape(t, tg.metrics)
	const clients = 5
	res, err := hostile.ListLoop{Clients: clients, Duration: 30 * time.Second}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Positive(t, res.Codes["rate_limited"], "rooms.list was never refused: %v", res)
	require.Equal(t, clients, res.Closed, "looping clients left connected: %v", res)
	require.Equal(t, float64(clients), res.Extra["closing_notices"], "the last refusal says why, before the close: %v", res)
	require.Zero(t, res.Open, "%v", res)
	require.Less(t, res.Elapsed, 30*time.Second, "the loop was not cut: %v", res)
	m1 := scrape(t, tg.metrics)
	require.Equal(t, float64(clients), m1.Sum("roomcast_abuse_disconnects_total")-m0.Sum("roomcast_abuse_disconnects_total"))
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 5: a handshake flood from one IP is refused with an HTTP status
// once the per-IP rate or session limit is reached.
func TestHandshakeFloodIsRefused(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.HandshakeFlood{Count: 300}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Positive(t, res.Refused, "every handshake was accepted: %v", res)
	for st := range res.Statuses {
		assert.Contains(t, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, st, "%v", res)
	}
	tg.honestUnharmed(t)
}

// Finding 6: a client that stops reading is disconnected by the
// slow-consumer rule (its metric rises), not by the ping timeout (the
// server's ping interval here is longer than the attack's hold).
func TestStopReadingIsCutBySlowConsumerRule(t *testing.T) {
	tg := startTarget(t, func(c *host.Config) { c.PingInterval, c.PingTimeout = time.Minute, time.Minute })
	res, err := hostile.StopReading{RoomID: tg.honest.RoomID, MetricsURL: tg.metrics, Hold: 60 * time.Second, Provoke: 500}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Equal(t, 1, res.Codes["slow-consumer"], "the slow-consumer rule did not close it: %v", res)
	tg.honestUnharmed(t)
}

// Finding 7: a text frame holding invalid UTF-8 is closed with 1007.
func TestInvalidUTF8IsClosedWith1007(t *testing.T) {
	tg := startTarget(t, nil)
	res, err := hostile.InvalidUTF8{Conns: 3}.Run(attackCtx(t), tg.url)
	require.NoError(t, err)
	t.Log(res)
	require.Equal(t, 3, res.Codes["ws 1007"], "%v", res)
	tg.honestUnharmed(t)
	tg.goroutinesBack(t)
}

// Finding 9: with no allow-list configured, a page of a foreign or null
// Origin can neither read a polling answer with credentials nor open a
// WebSocket.
func TestForeignOriginIsRefusedByDefault(t *testing.T) {
	tg := startTarget(t, nil)
	for _, origin := range []string{"null", "http://evil.example"} {
		p, err := hostile.ProbeOrigin(attackCtx(t), tg.url, origin)
		require.NoError(t, err)
		t.Logf("%+v", p)
		assert.False(t, p.CrossOriginReadable(), "origin %s can read polling answers with credentials: %+v", origin, p)
		assert.Equal(t, http.StatusForbidden, p.WebSocketStatus, "origin %s: %+v", origin, p)
	}
	tg.honestUnharmed(t)
}

// Finding 3: every client of a drain under fast inputs gets room.left
// {code: shutdown} and a clean close.
func TestDrainUnderFastInputsDelivers(t *testing.T) {
	tg := startTarget(t, nil)
	ctx := attackCtx(t)
	const clients = 48
	d, err := hostile.NewDrainWatch(ctx, tg.url, clients, 60)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	tg.waitFrames(t)
	tg.stop(t)
	res := d.Result(30 * time.Second)
	t.Log(res)
	assert.Equal(t, clients, res.Accepted, "clients without room.left shutdown: %v", res)
	assert.Equal(t, clients, res.Closed, "clients without a clean close: %v", res)
}
