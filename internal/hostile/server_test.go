package hostile_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/host"
	"github.com/roomcast/roomcast/internal/hostile"
	"github.com/roomcast/roomcast/rooms"
)

// target is the production server (package host with the arena) serving
// on a free 127.0.0.1 port, with honest players in a room beside the
// attack.
type target struct {
	url, metrics string
	cancel       context.CancelFunc
	done         chan error
	honest       *hostile.Honest
	goroutines   int // after the server and the honest players started
}

// startTarget serves host with cfg (changed by tune) and the arena, and
// seats honest players (4, WebSocket, 10 inputs/s) in one room.
func startTarget(t *testing.T, tune func(*host.Config)) *target {
	t.Helper()
	cfg := host.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	testLimits(&cfg)
	if tune != nil {
		tune(&cfg)
	}
	srv, err := host.New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Define(arena.RoomType, func() rooms.Game { return arena.NewGame(arena.Config{}) }, arena.Settings()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	tg := &target{url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	tg.metrics = tg.url + "/metrics"
	go func() { tg.done <- srv.Serve(ctx, ln, io.Discard) }()
	t.Cleanup(func() { tg.stop(t) })

	jctx, jcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer jcancel()
	tg.honest, err = hostile.NewHonest(jctx, tg.url, 4, bots.TransportWebSocket, 10)
	require.NoError(t, err)
	t.Cleanup(tg.honest.Close)
	tg.waitFrames(t)
	tg.goroutines = settledGoroutines()
	return tg
}

// stop drains the server and waits for Serve to return (once).
func (tg *target) stop(t *testing.T) {
	tg.cancel()
	select {
	case err := <-tg.done:
		tg.done <- err
	case <-time.After(30 * time.Second):
		t.Error("Serve did not return within 30 s of the drain")
	}
}

// waitFrames waits until every honest player's frames advance.
func (tg *target) waitFrames(t *testing.T) {
	t.Helper()
	from := tg.honest.Frames()
	require.Eventually(t, func() bool { return tg.honest.Frames() >= from+int64(4*5) },
		20*time.Second, 20*time.Millisecond, "honest players receive no frames")
}

// honestUnharmed asserts the honest players were never disconnected nor
// told room.left, and still receive frames (ticks advance).
func (tg *target) honestUnharmed(t *testing.T) {
	t.Helper()
	s := tg.honest.Sample(time.Second)
	require.Zero(t, s.Disconnects, "honest players disconnected: %v", s)
	require.Zero(t, s.RoomLeft, "honest players told room.left: %v", s)
	tg.waitFrames(t)
}

// goroutinesBack waits (generously) for the process's goroutines to come
// back to the baseline taken before the attack.
func (tg *target) goroutinesBack(t *testing.T) {
	t.Helper()
	const slack = 8 // runtime and net/http helpers that come and go
	var now int
	ok := waitFor(30*time.Second, func() bool {
		now = runtime.NumGoroutine()
		return now <= tg.goroutines+slack
	})
	require.True(t, ok, "goroutines %d did not come back to the baseline %d (+%d)", now, tg.goroutines, slack)
}

func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 10 {
		time.Sleep(50 * time.Millisecond) // a settling read, not a wait for an event
		n = min(n, runtime.NumGoroutine())
	}
	return n
}

func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func scrape(t *testing.T, url string) hostile.Metrics {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := hostile.ScrapeMetrics(ctx, http.DefaultClient, url)
	require.NoError(t, err)
	return m
}
