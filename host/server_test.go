package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/internal/syncbuf"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
	"github.com/roomcast/roomcast/tick"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// running is a Server serving on a free 127.0.0.1 port.
type running struct {
	srv    *Server
	url    string
	cancel context.CancelFunc
	done   chan error
	stdout *syncbuf.Buffer
}

// defineArena is a studio's setup with the arena of examples/arena, the
// real game the drain and metrics tests play.
func defineArena(s *Server) error {
	return s.Define(arena.RoomType, func() rooms.Game { return arena.NewGame(arena.Config{}) }, arena.Settings())
}

// start serves a Server built from cfg and set up by setup.
func start(t *testing.T, cfg Config, setup func(*Server) error) *running {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, setup(srv))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), stdout: &syncbuf.Buffer{}}
	go func() { r.done <- srv.Serve(ctx, ln, r.stdout) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop cancels the Run context and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// player is a bot with a mirror, what it was told on room.left, and its
// acked state frames.
type player struct {
	g      *bots.Game
	mirror *statesync.Mirror
	left   chan string
	acks   chan uint64
	count  atomic.Int64 // the root's "count" field (the tally game's), read on the bot's goroutine
}

func newPlayer(t *testing.T, url string, tr bots.Transport, p bots.Parser, autoResume bool) *player {
	t.Helper()
	pl := &player{mirror: statesync.NewMirror(statesync.MirrorLimits{}), left: make(chan string, 4), acks: make(chan uint64, 1024)}
	g, err := bots.NewGame(bots.GameConfig{
		Client:     bots.Config{URL: url, Transport: tr, Parser: p, Logger: quietLogger()},
		Mirror:     pl.mirror,
		AutoResume: autoResume,
	})
	require.NoError(t, err)
	g.OnRoomLeft(func(code, _ string) { pl.left <- code })
	g.OnState(func(_ string, ack uint64) {
		if root := pl.mirror.Root(); root != nil {
			if n, ok := root.Get("count").(int64); ok {
				pl.count.Store(n)
			}
		}
		select {
		case pl.acks <- ack:
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	pl.g = g
	return pl
}

// moveAndWait sends one input and waits for a state frame acking it.
func (pl *player) moveAndWait(t *testing.T, dx, dy float64) {
	t.Helper()
	seq, err := pl.g.SendInput(bots.MoveInput{DX: dx, DY: dy})
	require.NoError(t, err)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ack := <-pl.acks:
			if ack >= seq {
				return
			}
		case <-timeout:
			t.Fatalf("input %d not acked", seq)
		}
	}
}

type combo struct {
	tr bots.Transport
	p  bots.Parser
}

var combos = []combo{
	{bots.TransportWebSocket, bots.ParserMsgpack},
	{bots.TransportWebSocket, bots.ParserDefault},
	{bots.TransportPolling, bots.ParserMsgpack},
	{bots.TransportPolling, bots.ParserDefault},
	{bots.TransportPollingUpgrade, bots.ParserMsgpack},
}

// A drain with clients in two rooms on every transport and parser: every
// client is told room.left {code: "shutdown"}, /readyz says draining, and
// Run returns nil (the drain finished within the grace).
func TestDrainTellsEveryClient(t *testing.T) {
	t.Parallel()
	for _, park := range []bool{false, true} {
		t.Run(fmt.Sprintf("park-idle-polls=%v", park), func(t *testing.T) {
			t.Parallel()
			// The production default grace: with 5 s, parked polling
			// sessions under a loaded -race CI run sometimes needed longer
			// for their last GETs (3 of 20 runs); none of 20 failed at 15 s.
			testDrainTellsEveryClient(t, Config{DrainGrace: DefaultDrainGrace, ParkIdlePolls: park})
		})
	}
}

func testDrainTellsEveryClient(t *testing.T, cfg Config) {
	r := start(t, cfg, defineArena)
	require.Eventually(t, func() bool { return r.stdout.String() == "listening on "+r.url+"\n" }, 30*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var players []*player
	for i, c := range combos {
		pl := newPlayer(t, r.url, c.tr, c.p, false)
		_, err := pl.g.JoinOrCreate(ctx, arena.RoomType, map[string]any{"name": fmt.Sprintf("p%d", i)})
		require.NoError(t, err, "%v/%v", c.tr, c.p)
		players = append(players, pl)
	}
	for i := range 2 { // a bench room with quantized positions
		pl := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserMsgpack, false)
		opts := map[string]any{"name": fmt.Sprintf("b%d", i), arena.OptionMode: arena.ModeBench, arena.OptionQuantized: true}
		_, err := pl.g.JoinOrCreate(ctx, arena.RoomType, opts)
		require.NoError(t, err)
		players = append(players, pl)
	}
	require.Len(t, r.srv.Rooms().Rooms(), 2)
	for _, pl := range players {
		pl.moveAndWait(t, 1, 0)
	}

	require.NoError(t, r.stop(t))
	for i, pl := range players {
		select {
		case code := <-pl.left:
			require.Equal(t, rooms.LeftCodeShutdown, code, "player %d", i)
		case <-time.After(10 * time.Second):
			t.Fatalf("player %d (%v) was not told room.left", i, combos[min(i, len(combos)-1)])
		}
	}
	require.True(t, r.srv.Draining())
	rec := httptest.NewRecorder()
	r.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathReadyz, nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Empty(t, r.srv.Rooms().Rooms())
}

func gather(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := s.Registry().Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the series of family name whose labels
// include want (label=value pairs).
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	mf := mfs[name]
	require.NotNil(t, mf, "no family %s", name)
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return 0
}

// After some traffic /metrics exposes the named series with values that
// match it.
func TestMetricsAfterTraffic(t *testing.T) {
	t.Parallel()
	r := start(t, Config{}, defineArena)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	ws := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserMsgpack, true)
	poll := newPlayer(t, r.url, bots.TransportPolling, bots.ParserDefault, false)
	for _, pl := range []*player{ws, poll} {
		_, err := pl.g.JoinOrCreate(ctx, arena.RoomType, map[string]any{"name": "m"})
		require.NoError(t, err)
		pl.moveAndWait(t, 0, 1)
	}
	// A dropped connection resumes its seat: a resume hit.
	resumed := make(chan error, 1)
	ws.g.OnResumed(func(_ bots.JoinResult, err error) { resumed <- err })
	ws.g.Drop()
	select {
	case err := <-resumed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("no resume")
	}
	ws.moveAndWait(t, -1, 0)

	code, body := get(t, r.url+PathMetrics)
	require.Equal(t, http.StatusOK, code)
	for _, name := range []string{
		MetricSessions, MetricSessionsOpened, MetricSockets, MetricRooms, MetricTickDuration, MetricTickLateness,
		MetricFramesOut, MetricBytesOut, MetricFramesDropped, MetricStateFrames, MetricSlowDisconnects,
		MetricResumes, MetricInputsDropped, MetricDraining, MetricRoomsCreated,
		"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines",
	} {
		require.Contains(t, body, "\n"+name, "metric %s missing", name)
	}

	mfs := gather(t, r.srv)
	require.Equal(t, 1.0, value(t, mfs, MetricSessions, "transport", "websocket"))
	require.Equal(t, 1.0, value(t, mfs, MetricSessions, "transport", "polling"))
	require.Equal(t, 1.0, value(t, mfs, MetricSockets, "parser", "msgpack"))
	require.Equal(t, 1.0, value(t, mfs, MetricSockets, "parser", "default"))
	require.Equal(t, 1.0, value(t, mfs, MetricRooms, "type", arena.RoomType))
	require.GreaterOrEqual(t, value(t, mfs, MetricSessionsOpened), 3.0)
	require.Positive(t, value(t, mfs, MetricTickDuration, "type", arena.RoomType))
	require.Positive(t, value(t, mfs, MetricTickLateness, "type", arena.RoomType))
	require.Positive(t, value(t, mfs, MetricFramesOut))
	require.Positive(t, value(t, mfs, MetricBytesOut))
	require.Positive(t, value(t, mfs, MetricStateFrames, "kind", "delta"))
	require.GreaterOrEqual(t, value(t, mfs, MetricStateFrames, "kind", "snapshot"), 2.0)
	require.Equal(t, 1.0, value(t, mfs, MetricResumes, "result", "hit_replay")+value(t, mfs, MetricResumes, "result", "hit_snapshot"))
	require.Equal(t, 0.0, value(t, mfs, MetricResumes, "result", "miss"))
	require.Equal(t, 0.0, value(t, mfs, MetricSlowDisconnects, "layer", "rooms"))
	require.Equal(t, 0.0, value(t, mfs, MetricDraining))
	_ = value(t, mfs, MetricInputsDropped, "reason", "stale")
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	do := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	code, body := do(PathHealthz)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok\n", body)
	code, body = do(PathReadyz)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ready\n", body)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Drain(ctx))
	code, body = do(PathReadyz)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "draining\n", body)
	code, _ = do(PathHealthz)
	require.Equal(t, http.StatusOK, code, "alive while draining")
}

func TestPageAndPprof(t *testing.T) {
	t.Parallel()
	do := func(s *Server, path string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	web := fstest.MapFS{
		"index.html":      {Data: []byte("<!doctype html><title>arena</title>")},
		"js/roomcast.js":  {Data: []byte("export {}")},
		"assets/none.txt": {Data: []byte("x")},
	}
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	code, body := do(s, "/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "roomcast game server", "the placeholder until Page")
	s.Page(web)
	code, body = do(s, "/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "<title>arena</title>")
	code, body = do(s, "/js/roomcast.js")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "export {}", body)
	code, _ = do(s, PathPprof)
	require.Equal(t, http.StatusNotFound, code, "pprof off by default")

	s, err = New(Config{Logger: quietLogger(), Pprof: true})
	require.NoError(t, err)
	code, body = do(s, "/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "roomcast game server")
	code, _ = do(s, "/nope")
	require.Equal(t, http.StatusNotFound, code)
	code, body = do(s, PathPprof)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "goroutine")
	code, _ = do(s, PathPprof+"cmdline")
	require.Equal(t, http.StatusOK, code)
}

// With a drain wait, rooms play on while matchmaking refuses new seats;
// once the last player leaves, the drain goes on at once.
func TestDrainWaitLetsRoomsFinish(t *testing.T) {
	t.Parallel()
	r := start(t, Config{DrainGrace: time.Minute, DrainWait: 50 * time.Second}, defineArena)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pl := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserMsgpack, false)
	_, err := pl.g.JoinOrCreate(ctx, arena.RoomType, map[string]any{"name": "last"})
	require.NoError(t, err)
	late := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserDefault, false)

	r.cancel()
	require.Eventually(t, r.srv.Draining, 30*time.Second, time.Millisecond)
	code, body := get(t, r.url+PathReadyz)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "draining\n", body)
	_, err = late.g.JoinOrCreate(ctx, arena.RoomType, map[string]any{"name": "late"})
	var pe *bots.ProtocolError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, rooms.CodeShuttingDown, pe.Code)

	pl.moveAndWait(t, 1, 1) // still playing
	require.NoError(t, pl.g.Leave(ctx))
	select {
	case err := <-r.done:
		r.done <- err
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the drain did not end after the last room")
	}
	select {
	case code := <-pl.left:
		t.Fatalf("room.left %q after leaving by itself", code)
	default:
	}
}

// Transports and MaxSessions reach Engine.IO.
func TestTransportLimits(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Logger: quietLogger(), Transports: []string{"websocket"}})
	require.NoError(t, err)
	defer s.Drain(context.Background())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
	require.Equal(t, http.StatusBadRequest, rec.Code, "polling not allowed")

	s, err = New(Config{Logger: quietLogger(), MaxSessions: 1})
	require.NoError(t, err)
	defer s.Drain(context.Background())
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "second session over the bound")
}

// Handle serves a game's routes beside the server's and refuses patterns
// that clash with them (or are not patterns) with an error, not a panic.
func TestHandle(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	defer s.Drain(context.Background())
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	require.NoError(t, s.Handle("GET /api/hello", hello))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/hello", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "hello", rec.Body.String())

	for _, pattern := range []string{PathMetrics, "/", PathHealthz, "GET /api/hello", "GET"} {
		require.ErrorContains(t, s.Handle(pattern, hello), fmt.Sprintf("host: handle %q", pattern))
	}
	require.ErrorContains(t, s.Handle("/x", nil), "nil handler")
}

// Drain runs the OnDrain functions in order after the rooms are gone and
// reports their errors; /readyz says draining throughout.
func TestOnDrain(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, s.Define("tally", newTally, rooms.Settings{}))
	var order []string
	s.OnDrain(func(context.Context) error {
		order = append(order, fmt.Sprintf("first draining=%v rooms=%d", s.Draining(), len(s.Rooms().Rooms())))
		return nil
	})
	s.OnDrain(nil) // ignored
	s.OnDrain(func(context.Context) error {
		order = append(order, "second")
		return errors.New("flush failed")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = s.Drain(ctx)
	require.ErrorContains(t, err, "on drain: flush failed")
	require.Equal(t, []string{"first draining=true rooms=0", "second"}, order)
}

// Define wires the server into a room type's settings: its own tick
// observer keeps getting every step beside the tick histograms, and
// Config.ReconnectGrace overrides the type's grace.
func TestDefineWiresSettings(t *testing.T) {
	t.Parallel()
	var steps atomic.Int64
	own := tick.ObserverFuncs{OnStep: func(tick.StepStats) { steps.Add(1) }}
	r := start(t, Config{ReconnectGrace: 1500 * time.Millisecond}, func(s *Server) error {
		return s.Define(tallyType, newTally, rooms.Settings{Observer: own, ReconnectGrace: time.Minute})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pl := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserDefault, false)
	_, err := pl.g.JoinOrCreate(ctx, tallyType, nil)
	require.NoError(t, err)
	pl.moveAndWait(t, 1, 0)
	require.Eventually(t, func() bool { return steps.Load() >= 2 }, 10*time.Second, time.Millisecond)
	mfs := gather(t, r.srv)
	require.Positive(t, value(t, mfs, MetricTickDuration, "type", tallyType))
	all := r.srv.Rooms().Rooms()
	require.Len(t, all, 1)
	require.Equal(t, 1500*time.Millisecond, all[0].Settings().ReconnectGrace)
}

// A resume without a tick (the bots' and the JS client's resync path) is
// counted in roomcast_resumes_total, as a snapshot resume.
func TestResumeWithoutTickIsCounted(t *testing.T) {
	t.Parallel()
	r := start(t, Config{}, defineArena)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pl := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserMsgpack, false)
	_, err := pl.g.JoinOrCreate(ctx, arena.RoomType, nil)
	require.NoError(t, err)
	pl.moveAndWait(t, 1, 0)
	_, _, token := pl.g.Seat()
	pl.g.Drop()

	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: r.url, Transport: bots.TransportWebSocket, Logger: quietLogger()}})
	require.NoError(t, err)
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	var jr bots.JoinResult
	require.Eventually(t, func() bool { // the drop may reach the room after the resume
		jr, err = g.Resume(ctx, token)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "resume: %v", err)
	require.NotEmpty(t, jr.Token)
	require.Eventually(t, func() bool {
		return value(t, gather(t, r.srv), MetricResumes, "result", "hit_snapshot") == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 0.0, value(t, gather(t, r.srv), MetricResumes, "result", "hit_replay"))
}
