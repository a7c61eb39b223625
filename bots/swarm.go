package bots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Scenarios a Swarm runs.
const (
	// ScenarioArena is arena v1: every bot sends input {dx, dy} InputRate
	// times a second and changes direction about once per TurnEvery.
	ScenarioArena = "arena"
	// ScenarioChurn is arena plus churn: ChurnRate times a second a random
	// bot either leaves and joins its room again, or drops its connection
	// and resumes its seat with the token (alternately).
	ScenarioChurn = "churn"
	// ScenarioIdle connects and joins, and sends nothing.
	ScenarioIdle = "idle"
)

// SwarmConfig configures a Swarm.
type SwarmConfig struct {
	// Client is every bot's connection config (URL, transport, parser).
	Client Config
	// RoomType is the room type bots join; default "arena".
	RoomType string
	// Bots is the number of bots. Required.
	Bots int
	// Rooms spreads the bots over this many rooms (bot 0 of a room creates
	// it, the others join it by id); default ceil(Bots/8).
	Rooms int
	// Scenario is ScenarioArena (default), ScenarioChurn or ScenarioIdle.
	Scenario string
	// InputRate is inputs per bot per second; default 20.
	InputRate float64
	// TurnEvery is the mean time between direction changes; default 1 s.
	TurnEvery time.Duration
	// Ramp is how many bots connect per second; default 500.
	Ramp float64
	// ChurnRate is churn actions per second (ScenarioChurn); default Bots/20.
	ChurnRate float64
	// Mirror, if set, makes a state mirror per bot (more client CPU).
	Mirror func() StateMirror
	// Seed seeds directions and churn picks; default 1.
	Seed uint64
	// Logger; default slog.Default().
	Logger *slog.Logger
}

func (c SwarmConfig) withDefaults() SwarmConfig {
	if c.RoomType == "" {
		c.RoomType = "arena"
	}
	if c.Rooms == 0 && c.Bots > 0 {
		c.Rooms = (c.Bots + 7) / 8
	}
	if c.Scenario == "" {
		c.Scenario = ScenarioArena
	}
	if c.InputRate == 0 {
		c.InputRate = 20
	}
	if c.TurnEvery == 0 {
		c.TurnEvery = time.Second
	}
	if c.Ramp == 0 {
		c.Ramp = 500
	}
	if c.ChurnRate == 0 {
		c.ChurnRate = float64(c.Bots) / 20
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
	}
	switch c.Scenario {
	case "", ScenarioArena, ScenarioChurn, ScenarioIdle:
	default:
		return fmt.Errorf("bots: SwarmConfig.Scenario %q is unknown (arena, churn, idle)", c.Scenario)
	}
	return nil
}

// Swarm runs many bots against one server.
type Swarm struct {
	cfg     SwarmConfig
	latency Histogram

	mu   sync.Mutex // guards bots
	bots []*bot

	connectErrs, joinErrs, churnOps, churnErrs atomic.Int64
	joined                                     atomic.Int64

	shards []*shard
}

type bot struct {
	id     int
	room   int
	g      *Game
	dx, dy float64 // owned by the bot's shard
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
	ChurnOps       int64
	ChurnErrors    int64
	Latency        HistogramSnapshot
	PerBotFrames   []int64 // by bot index, joined bots only (others -1)
}

// NewSwarm checks cfg and returns a Swarm.
func NewSwarm(cfg SwarmConfig) (*Swarm, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Swarm{cfg: cfg}
	n := runtime.GOMAXPROCS(0)
	slots := s.slotsPerPeriod()
	for i := range n {
		s.shards = append(s.shards, &shard{slots: make([][]*bot, slots), rnd: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))})
	}
	return s, nil
}

const slotInterval = 5 * time.Millisecond

func (s *Swarm) slotsPerPeriod() int {
	if s.cfg.InputRate <= 0 {
		return 1
	}
	period := time.Duration(float64(time.Second) / s.cfg.InputRate)
	n := int(period / slotInterval)
	if n < 1 {
		n = 1
	}
	return n
}

// Run connects the bots at the ramp rate, runs the scenario until ctx is
// done, then closes every bot. It returns ctx's error only if no bot could
// connect.
func (s *Swarm) Run(ctx context.Context) error {
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
	if s.cfg.Scenario != ScenarioIdle && s.cfg.InputRate > 0 {
		for _, sh := range s.shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.runShard(ctx, sh)
			}()
		}
	}
	if s.cfg.Scenario == ScenarioChurn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runChurn(ctx)
		}()
	}
	s.ramp(ctx)
	<-ctx.Done()
	if s.joined.Load() == 0 {
		return fmt.Errorf("bots: no bot joined: %w", ctx.Err())
	}
	return nil
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
			b := &bot{id: id, room: r}
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
	g, err := NewGame(GameConfig{Client: s.cfg.Client, AckLatency: &s.latency,
		AutoResume: s.cfg.Scenario == ScenarioChurn, Mirror: s.mirror()})
	if err != nil {
		s.connectErrs.Add(1)
		return
	}
	b.g = g
	s.mu.Lock()
	s.bots = append(s.bots, b)
	s.mu.Unlock()
	if err := g.Connect(ctx); err != nil {
		s.connectErrs.Add(1)
		s.cfg.Logger.Debug("bots: connect failed", "err", err)
		if creator {
			room.set("")
		}
		return
	}
	opts := map[string]any{"name": fmt.Sprintf("bot%05d", b.id%100000)}
	if creator {
		jr, err := g.Create(ctx, s.cfg.RoomType, opts)
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
		if _, err := g.JoinByID(ctx, room.id, opts); err != nil {
			s.joinErrs.Add(1)
			s.cfg.Logger.Debug("bots: join failed", "err", err)
			return
		}
	}
	b.joined.Store(true)
	s.joined.Add(1)
	if s.cfg.Scenario == ScenarioIdle || s.cfg.InputRate <= 0 {
		return
	}
	sh := s.shards[b.id%len(s.shards)]
	sh.mu.Lock()
	b.dx, b.dy = randomDirection(sh.rnd)
	slot := (b.id / len(s.shards)) % len(sh.slots)
	sh.slots[slot] = append(sh.slots[slot], b)
	sh.mu.Unlock()
}

func (s *Swarm) mirror() StateMirror {
	if s.cfg.Mirror == nil {
		return nil
	}
	return s.cfg.Mirror()
}

// randomDirection is one of 8 unit directions (never standing still, so
// every tick changes state).
func randomDirection(r *rand.Rand) (float64, float64) {
	a := float64(r.IntN(8)) * math.Pi / 4
	dx, dy := math.Cos(a), math.Sin(a)
	// exact 0/±1 where they should be, so payloads stay small
	return math.Round(dx*1e6) / 1e6, math.Round(dy*1e6) / 1e6
}

// runShard sends its bots' inputs, one phase slot every slotInterval.
func (s *Swarm) runShard(ctx context.Context, sh *shard) {
	t := time.NewTicker(slotInterval)
	defer t.Stop()
	turnP := 1.0
	if s.cfg.TurnEvery > 0 {
		turnP = 1 / (s.cfg.InputRate * s.cfg.TurnEvery.Seconds())
	}
	period := s.slotsPerPeriod()
	// inputs per slot when InputRate is above 1/slotInterval
	perSlot := 1
	if p := time.Duration(float64(time.Second) / s.cfg.InputRate); p < slotInterval {
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
				if sh.rnd.Float64() < turnP {
					b.dx, b.dy = randomDirection(sh.rnd)
				}
				for range perSlot {
					_, _ = b.g.SendInput(MoveInput{DX: b.dx, DY: b.dy})
				}
			}
			sh.mu.Unlock()
		}
	}
}

// runChurn alternates leave+rejoin and drop+resume on random bots.
func (s *Swarm) runChurn(ctx context.Context) {
	if s.cfg.ChurnRate <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / s.cfg.ChurnRate))
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
			if _, err := b.g.JoinByID(cctx, roomID, map[string]any{"name": fmt.Sprintf("bot%05d", b.id%100000)}); err != nil {
				s.churnErrs.Add(1)
				return
			}
			b.joined.Store(true)
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
		PerBotFrames: make([]int64, s.cfg.Bots)}
	for i := range out.PerBotFrames {
		out.PerBotFrames[i] = -1
	}
	for _, b := range bots {
		st := b.g.Stats()
		frames := st.Snapshots + st.Deltas
		if b.joined.Load() {
			out.Joined++
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
