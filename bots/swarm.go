package bots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// SwarmConfig configures a Swarm.
type SwarmConfig struct {
	// Client is every bot's connection config (URL, transport, parser).
	Client Config
	// Scenario is what the bots do; default ArenaScenario{}.
	Scenario Scenario
	// RoomType overrides the scenario's room type.
	RoomType string
	// Bots is the number of bots. Required.
	Bots int
	// Rooms spreads the bots over this many rooms (bot 0 of a room creates
	// it, the others join it by id); default ceil(Bots/8).
	Rooms int
	// InputRate is timed inputs per bot per second; 0: the scenario's
	// default (arena 20).
	InputRate float64
	// Ramp is how many bots connect per second; default 500.
	Ramp float64
	// ChurnRate is churn actions per second for a scenario that churns;
	// 0: the scenario's default (churn: Bots/20).
	ChurnRate float64
	// Mirror, if set, makes a state mirror per bot (more client CPU).
	Mirror func() StateMirror
	// Seed seeds directions and churn picks; default 1.
	Seed uint64
	// Logger; default slog.Default().
	Logger *slog.Logger
}

func (c SwarmConfig) withDefaults() SwarmConfig {
	if c.Scenario == nil {
		c.Scenario = ArenaScenario{}
	}
	if c.Rooms == 0 && c.Bots > 0 {
		c.Rooms = (c.Bots + 7) / 8
	}
	if c.Ramp == 0 {
		c.Ramp = 500
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Client.HTTPClient == nil && c.Client.Transport != TransportWebSocket {
		c.Client.HTTPClient = &http.Client{Transport: &http.Transport{
			MaxIdleConns: 4 * c.Bots, MaxIdleConnsPerHost: 4 * c.Bots, IdleConnTimeout: time.Minute}}
	}
	return c
}

// Validate reports the first invalid field.
func (c SwarmConfig) Validate() error {
	if err := c.Client.Validate(); err != nil {
		return err
	}
	switch {
	case c.Bots <= 0:
		return fmt.Errorf("bots: SwarmConfig.Bots %d must be positive", c.Bots)
	case c.Rooms < 0 || c.Rooms > c.Bots:
		return fmt.Errorf("bots: SwarmConfig.Rooms %d must be in [1, Bots=%d]", c.Rooms, c.Bots)
	case c.InputRate < 0 || c.InputRate > 1000:
		return fmt.Errorf("bots: SwarmConfig.InputRate %v must be in [0, 1000]", c.InputRate)
	case c.Ramp < 0:
		return fmt.Errorf("bots: SwarmConfig.Ramp %v must not be negative", c.Ramp)
	case c.ChurnRate < 0:
		return fmt.Errorf("bots: SwarmConfig.ChurnRate %v must not be negative", c.ChurnRate)
	}
	return nil
}

// Swarm runs many bots against one server.
type Swarm struct {
	cfg     SwarmConfig
	plan    ScenarioPlan
	latency Histogram

	mu   sync.Mutex // guards bots
	bots []*bot

	connectErrs, joinErrs, churnOps, churnErrs atomic.Int64
	checkFails                                 atomic.Int64
	joined, everConnected                      atomic.Int64
	tickRate                                   atomic.Int64 // from the first join reply that has one

	abortOnce sync.Once
	abortErr  error // set once, before abort is called
	abort     context.CancelFunc

	shards []*shard
}

type bot struct {
	id     int
	room   int
	g      *Game
	script BotScript
	joined atomic.Bool
}

// shard sends the inputs of its bots: each bot has a phase slot so sends
// spread evenly over the input period instead of bursting.
type shard struct {
	mu    sync.Mutex // guards slots
	slots [][]*bot
	rnd   *rand.Rand
}

// SwarmSample is a point-in-time copy of a Swarm's counters (cumulative).
type SwarmSample struct {
	Time           time.Time
	Bots, Joined   int
	TickRate       int   // ticks per second from the join replies (0: none said)
	Frames         int64 // state frames received, all bots
	StateBytes     int64
	BytesIn        int64 // Engine.IO payload bytes down
	BytesOut       int64 // Engine.IO payload bytes up
	Inputs         int64
	ConnectErrors  int64
	JoinErrors     int64
	Disconnects    int64
	Resumes        int64
	ResumeFailures int64
	MirrorErrors   int64
	Checksums      int64 // state checksums verified against the mirrors
	Desyncs        int64 // state checksums that did not match the mirror
	CheckFailures  int64 // the scenario's checks that failed
	ChurnOps       int64
	ChurnErrors    int64
	Latency        HistogramSnapshot
	PerBotFrames   []int64 // by bot index, joined bots only (others -1)
	// SeatsByNode counts the joined bots by the base URL of the node they
	// are seated on (Game.NodeURL): one entry, the configured URL, on a
	// single server; a node's URL per node of a cluster.
	SeatsByNode map[string]int
}

// NewSwarm checks cfg and returns a Swarm.
func NewSwarm(cfg SwarmConfig) (*Swarm, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	plan := cfg.Scenario.Plan(cfg)
	if cfg.RoomType != "" {
		plan.RoomType = cfg.RoomType
	}
	switch {
	case plan.RoomType == "":
		return nil, fmt.Errorf("bots: scenario %q names no room type (set SwarmConfig.RoomType)", cfg.Scenario.Name())
	case plan.InputRate < 0 || plan.InputRate > 1000:
		return nil, fmt.Errorf("bots: scenario %q: input rate %v must be in [0, 1000]", cfg.Scenario.Name(), plan.InputRate)
	case plan.ChurnRate < 0:
		return nil, fmt.Errorf("bots: scenario %q: churn rate %v must not be negative", cfg.Scenario.Name(), plan.ChurnRate)
	}
	s := &Swarm{cfg: cfg, plan: plan}
	n := runtime.GOMAXPROCS(0)
	slots := s.slotsPerPeriod()
	for i := range n {
		s.shards = append(s.shards, &shard{slots: make([][]*bot, slots), rnd: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))})
	}
	return s, nil
}

// Plan returns the scenario's plan the swarm runs (RoomType override
// applied).
func (s *Swarm) Plan() ScenarioPlan { return s.plan }

// Scenario returns the scenario the swarm runs.
func (s *Swarm) Scenario() Scenario { return s.cfg.Scenario }

const slotInterval = 5 * time.Millisecond

func (s *Swarm) slotsPerPeriod() int {
	if s.plan.InputRate <= 0 {
		return 1
	}
	period := time.Duration(float64(time.Second) / s.plan.InputRate)
	n := int(period / slotInterval)
	if n < 1 {
		n = 1
	}
	return n
}

// Run connects the bots at the ramp rate, runs the scenario until ctx is
// done, then closes every bot. It returns an error if no bot joined, and
// at once, without waiting for ctx, when the server refuses the
// connection before any bot has connected (nothing listens at the URL).
func (s *Swarm) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.abort = cancel
	var wg sync.WaitGroup
	defer func() {
		s.mu.Lock()
		bots := s.bots
		s.mu.Unlock()
		for _, b := range bots {
			_ = b.g.Close()
		}
		wg.Wait()
	}()
	if s.plan.InputRate > 0 {
		for _, sh := range s.shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.runShard(ctx, sh)
			}()
		}
	}
	if s.plan.ChurnRate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runChurn(ctx)
		}()
	}
	s.ramp(ctx)
	<-ctx.Done()
	if err := s.aborted(); err != nil {
		return err
	}
	if s.joined.Load() == 0 {
		return fmt.Errorf("bots: no bot joined: %w", ctx.Err())
	}
	return nil
}

// failFast stops the run with err.
func (s *Swarm) failFast(err error) {
	s.abortOnce.Do(func() {
		s.mu.Lock()
		s.abortErr = err
		s.mu.Unlock()
		s.abort()
	})
}

func (s *Swarm) aborted() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abortErr
}

// ramp starts rooms one after another: the room's first bot creates it,
// the others join it by id, paced at cfg.Ramp bots per second.
func (s *Swarm) ramp(ctx context.Context) {
	perRoom := make([]int, s.cfg.Rooms)
	for i := range s.cfg.Bots {
		perRoom[i%s.cfg.Rooms]++
	}
	var interval time.Duration
	if s.cfg.Ramp > 0 {
		interval = time.Duration(float64(time.Second) / s.cfg.Ramp)
	}
	rnd := rand.New(rand.NewPCG(s.cfg.Seed, 7))
	start := time.Now()
	sem := make(chan struct{}, 256) // connects in flight
	var wg sync.WaitGroup
	defer wg.Wait()
	id := 0
	for r := range s.cfg.Rooms {
		slot := &roomSlot{ready: make(chan struct{})}
		for k := range perRoom[r] {
			if interval > 0 {
				due := start.Add(time.Duration(id) * interval)
				if d := time.Until(due); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			b := &bot{id: id, room: r, script: s.cfg.Scenario.NewBot(id, s.plan, rnd)}
			id++
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				s.startBot(ctx, b, k == 0, slot)
			}()
		}
	}
}

// roomSlot hands the id of a room its creator made to the room's joiners.
type roomSlot struct {
	ready chan struct{} // closed once id is set (or creation failed: id "")
	id    string
	once  sync.Once
}

func (r *roomSlot) set(id string) {
	r.once.Do(func() {
		r.id = id
		close(r.ready)
	})
}

func (s *Swarm) startBot(ctx context.Context, b *bot, creator bool, room *roomSlot) {
	gc := GameConfig{Client: s.cfg.Client, AckLatency: &s.latency, AutoResume: s.plan.AutoResume, Mirror: s.mirror()}
	if CheckLocal(s.cfg.Client.URL) == nil {
		gc.CheckRedirect = CheckLocal // a local swarm is not redirected to another machine
	}
	g, err := NewGame(gc)
	if err != nil {
		s.connectErrs.Add(1)
		return
	}
	b.g = g
	g.OnState(func(kind string, ack uint64) {
		if err := b.script.OnState(g, kind, ack); err != nil {
			s.checkFailed(b, err)
		}
	})
	s.mu.Lock()
	s.bots = append(s.bots, b)
	s.mu.Unlock()
	if err := g.Connect(ctx); err != nil {
		if s.everConnected.Load() == 0 && IsConnectionRefused(err) {
			s.failFast(refusedError(s.cfg.Client.URL, err))
		}
		s.connectErrs.Add(1)
		s.cfg.Logger.Debug("bots: connect failed", "err", err)
		if creator {
			room.set("")
		}
		return
	}
	s.everConnected.Add(1)
	var jr JoinResult
	if creator {
		jr, err = g.Create(ctx, s.plan.RoomType, b.script.JoinOptions())
		if err != nil {
			s.joinErrs.Add(1)
			s.cfg.Logger.Debug("bots: create failed", "err", err)
			room.set("")
			return
		}
		room.set(jr.RoomID)
	} else {
		select {
		case <-room.ready:
		case <-ctx.Done():
			return
		}
		if room.id == "" {
			s.joinErrs.Add(1)
			return
		}
		if jr, err = g.JoinByID(ctx, room.id, b.script.JoinOptions()); err != nil {
			s.joinErrs.Add(1)
			s.cfg.Logger.Debug("bots: join failed", "err", err)
			return
		}
	}
	s.onJoined(b, jr)
	s.joined.Add(1)
	if s.plan.InputRate <= 0 {
		return
	}
	sh := s.shards[b.id%len(s.shards)]
	sh.mu.Lock()
	slot := (b.id / len(s.shards)) % len(sh.slots)
	sh.slots[slot] = append(sh.slots[slot], b)
	sh.mu.Unlock()
}

// onJoined records the tick rate, runs the script's join check and marks
// b joined.
func (s *Swarm) onJoined(b *bot, jr JoinResult) {
	if jr.TickRate > 0 {
		s.tickRate.CompareAndSwap(0, int64(jr.TickRate))
	}
	if err := b.script.OnJoined(b.g, jr); err != nil {
		s.checkFailed(b, err)
	}
	b.joined.Store(true)
}

// checkFailed counts a failed scenario check; the first is logged as a
// warning, the rest at debug level.
func (s *Swarm) checkFailed(b *bot, err error) {
	level := slog.LevelDebug
	if s.checkFails.Add(1) == 1 {
		level = slog.LevelWarn
	}
	s.cfg.Logger.Log(context.Background(), level, "bots: scenario check failed", "bot", b.id, "err", err)
}

func (s *Swarm) mirror() StateMirror {
	if s.cfg.Mirror != nil {
		return s.cfg.Mirror()
	}
	if s.plan.NeedsMirror {
		return statesync.NewMirror(statesync.MirrorLimits{})
	}
	return nil
}

// runShard sends its bots' inputs, one phase slot every slotInterval.
func (s *Swarm) runShard(ctx context.Context, sh *shard) {
	t := time.NewTicker(slotInterval)
	defer t.Stop()
	period := s.slotsPerPeriod()
	// inputs per slot when InputRate is above 1/slotInterval
	perSlot := 1
	if p := time.Duration(float64(time.Second) / s.plan.InputRate); p < slotInterval {
		perSlot = int(slotInterval / p)
	}
	start := time.Now()
	next := 0 // next slot to run; slots are run by wall time, late ones caught up
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int(time.Since(start)/slotInterval) + 1
		if due-next > 4*period { // far behind (paused process): skip, don't burst
			next = due - period
		}
		for ; next < due; next++ {
			sh.mu.Lock()
			for _, b := range sh.slots[next%period] {
				if !b.joined.Load() {
					continue
				}
				for range perSlot {
					if in := b.script.NextInput(sh.rnd); in != nil {
						_, _ = b.g.SendInput(in)
					}
				}
			}
			sh.mu.Unlock()
		}
	}
}

// runChurn alternates leave+rejoin and drop+resume on random bots.
func (s *Swarm) runChurn(ctx context.Context) {
	t := time.NewTicker(time.Duration(float64(time.Second) / s.plan.ChurnRate))
	defer t.Stop()
	rnd := rand.New(rand.NewPCG(s.cfg.Seed, 99))
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		var b *bot
		if len(s.bots) > 0 {
			b = s.bots[rnd.IntN(len(s.bots))]
		}
		s.mu.Unlock()
		if b == nil || !b.joined.Load() || b.g.isResuming() {
			continue
		}
		s.churnOps.Add(1)
		if n%2 == 0 {
			b.g.Drop() // AutoResume takes the seat back
			continue
		}
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			roomID, _, _ := b.g.Seat()
			if roomID == "" {
				return
			}
			b.joined.Store(false)
			if err := b.g.Leave(cctx); err != nil {
				s.churnErrs.Add(1)
				return
			}
			jr, err := b.g.JoinByID(cctx, roomID, b.script.JoinOptions())
			if err != nil {
				s.churnErrs.Add(1)
				return
			}
			s.onJoined(b, jr)
		}()
	}
}

// Sample returns the counters now.
func (s *Swarm) Sample() SwarmSample {
	s.mu.Lock()
	bots := append([]*bot(nil), s.bots...)
	s.mu.Unlock()
	out := SwarmSample{Time: time.Now(), Bots: len(bots), Latency: s.latency.Snapshot(),
		ConnectErrors: s.connectErrs.Load(), JoinErrors: s.joinErrs.Load(),
		ChurnOps: s.churnOps.Load(), ChurnErrors: s.churnErrs.Load(),
		CheckFailures: s.checkFails.Load(), TickRate: int(s.tickRate.Load()),
		PerBotFrames: make([]int64, s.cfg.Bots), SeatsByNode: map[string]int{}}
	for i := range out.PerBotFrames {
		out.PerBotFrames[i] = -1
	}
	for _, b := range bots {
		st := b.g.Stats()
		frames := st.Snapshots + st.Deltas
		if b.joined.Load() {
			out.Joined++
			out.SeatsByNode[b.g.NodeURL()]++
			if b.id < len(out.PerBotFrames) {
				out.PerBotFrames[b.id] = frames
			}
		}
		out.Frames += frames
		out.StateBytes += st.StateBytes
		out.BytesIn += st.Wire.BytesIn
		out.BytesOut += st.Wire.BytesOut
		out.Inputs += st.InputsSent
		out.Disconnects += st.Disconnects
		out.Resumes += st.Resumes
		out.ResumeFailures += st.ResumeFailures
		out.MirrorErrors += st.MirrorErrors
		out.Desyncs += st.Desyncs
		out.Checksums += st.Checksums
	}
	return out
}

// ErrNotLocal is returned for a URL that is not on the loopback interface.
var ErrNotLocal = errors.New("bots: only 127.0.0.1, localhost or [::1] targets are allowed")

// CheckLocal returns ErrNotLocal unless rawURL's host is a loopback name
// or address: the swarm and the benchmark never load other machines.
func CheckLocal(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("bots: parse %q: %w", rawURL, err)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return nil
	}
	return fmt.Errorf("%w: %q", ErrNotLocal, rawURL)
}
