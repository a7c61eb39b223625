package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/hostile"
)

// roomSize is the arena's MaxClients.
const roomSize = 8

// player is one soak bot.
type player struct {
	id      int
	g       *bots.Game
	roomID  string       // set once joined
	busy    atomic.Bool  // a churn action is under way
	seated  atomic.Bool  // holds a seat
	resumed chan error   // the automatic resume's outcome
	frames  atomic.Int64 // state frames received
}

// soak runs the players and counts what the checks need.
type soak struct {
	opt     options
	out     io.Writer
	metrics string
	hc      []*http.Client // long-polling, one per simulated client address
	mhc     *http.Client   // metrics

	players []*player
	rooms   []string

	joinFails, resumes, resumeFails, rejoins, rejoinFails, churnOps atomic.Int64

	samples []sample
}

// sample is one look at the server and the players.
type sample struct {
	at                   time.Duration // since the start
	goroutines, rss      float64
	sessions             float64
	seated               int
	framesPerS           float64 // per seated player, since the last sample
	resumes, resumeFails int64
	churnOps             int64
}

func newSoak(o options, out io.Writer) *soak {
	s := &soak{opt: o, out: out, metrics: strings.TrimRight(o.url, "/") + "/metrics",
		mhc: &http.Client{Timeout: 10 * time.Second}}
	for a := range (o.ccu + o.perAddr - 1) / o.perAddr {
		s.hc = append(s.hc, hostile.HTTPClientFrom(hostile.Source(2, 1+a), 4*o.perAddr))
	}
	return s
}

func (s *soak) run(ctx context.Context) (bool, error) {
	if _, err := hostile.ScrapeMetrics(ctx, s.mhc, s.metrics); err != nil {
		return false, fmt.Errorf("no server metrics at %s: %w", s.metrics, err)
	}
	start := time.Now()
	fmt.Fprintf(s.out, "soak: %d players (%.0f %% long-polling), %v, %.0f %% churn per minute, %.0f inputs/s each, ramp %.0f/s\n",
		s.opt.ccu, 100*s.opt.polling, s.opt.duration, 100*s.opt.churn, s.opt.inputs, s.opt.ramp)
	defer s.closeAll()
	if err := s.ramp(ctx); err != nil {
		return false, err
	}
	rampTime := time.Since(start)
	fmt.Fprintf(s.out, "ramp: %d seated in %v, %d failed joins\n", s.seated(), rampTime.Round(time.Millisecond), s.joinFails.Load())

	rctx, cancel := context.WithTimeout(ctx, s.opt.duration)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.sendInputs(rctx) }()
	go func() { defer wg.Done(); s.churn(rctx, &wg) }()
	tk := time.NewTicker(s.opt.sample)
	lastFrames, lastAt := s.frames(), time.Now()
	for done := false; !done; {
		select {
		case <-rctx.Done():
			done = true
		case <-tk.C:
		}
		if ctx.Err() != nil {
			break
		}
		frames, now := s.frames(), time.Now()
		if done && now.Sub(lastAt) < s.opt.sample/2 {
			break // the run ended right after a sample: a short window says little
		}
		sm := s.sample(ctx, time.Since(start))
		if sm.seated > 0 {
			sm.framesPerS = float64(frames-lastFrames) / now.Sub(lastAt).Seconds() / float64(sm.seated)
		}
		lastFrames, lastAt = frames, now
		s.samples = append(s.samples, sm)
		fmt.Fprintf(s.out, "%7.0fs  seated %d  frames/s/player %.1f  goroutines %.0f  RSS %.0f MB  sessions %.0f  churn %d  resumes %d (failed %d)  rejoins %d (failed %d)\n",
			sm.at.Seconds(), sm.seated, sm.framesPerS, sm.goroutines, sm.rss/1e6, sm.sessions, sm.churnOps,
			sm.resumes, sm.resumeFails, s.rejoins.Load(), s.rejoinFails.Load())
	}
	tk.Stop()
	cancel()
	wg.Wait() // inputs, churn and every churn action in flight
	return s.report(ctx)
}

// ramp connects and seats every player at the ramp rate: the first of
// each room creates it, the others join it by id.
func (s *soak) ramp(ctx context.Context) error {
	nrooms := (s.opt.ccu + roomSize - 1) / roomSize
	s.rooms = make([]string, nrooms)
	s.players = make([]*player, s.opt.ccu)
	tokens := make(chan struct{})
	go func() {
		tk := time.NewTicker(time.Duration(float64(time.Second) / s.opt.ramp))
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				close(tokens)
				return
			case <-tk.C:
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					close(tokens)
					return
				}
			}
		}
	}()
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for room := range work {
				for i := room * roomSize; i < min((room+1)*roomSize, s.opt.ccu); i++ {
					if _, ok := <-tokens; !ok {
						return
					}
					s.players[i] = s.seat(ctx, i, room)
				}
			}
		}()
	}
	for room := range nrooms {
		if ctx.Err() != nil {
			break
		}
		work <- room
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// seat makes player i and seats it in room (creating it if it is the
// room's first player).
func (s *soak) seat(ctx context.Context, i, room int) *player {
	tr := bots.TransportWebSocket
	if float64(i%100) < 100*s.opt.polling { // spread evenly over rooms
		tr = bots.TransportPolling
	}
	p := &player{id: i, resumed: make(chan error, 1)}
	addr := i % len(s.hc) // interleaved: the ramp spreads over the addresses
	g, err := bots.NewGame(bots.GameConfig{
		Client: bots.Config{URL: s.opt.url, Transport: tr, HTTPClient: s.hc[addr],
			LocalAddr: &net.TCPAddr{IP: hostile.Source(2, 1+addr)}},
		AutoResume: true, ResumeAttempts: 8,
	})
	if err != nil {
		s.joinFails.Add(1)
		return p
	}
	p.g = g
	g.OnState(func(string, uint64) { p.frames.Add(1) })
	g.OnResumed(func(_ bots.JoinResult, err error) {
		select {
		case p.resumed <- err:
		default:
		}
	})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := g.Connect(cctx); err != nil {
		s.joinFails.Add(1)
		return p
	}
	var jr bots.JoinResult
	if i%roomSize == 0 {
		jr, err = g.Create(cctx, "arena", map[string]any{"name": fmt.Sprintf("soak%d", i)})
		if err == nil {
			s.setRoom(room, jr.RoomID)
		}
	} else if id := s.room(room); id != "" {
		jr, err = g.JoinByID(cctx, id, map[string]any{"name": fmt.Sprintf("soak%d", i)})
	} else {
		err = fmt.Errorf("room %d was not created", room)
	}
	if err != nil {
		s.joinFails.Add(1)
		return p
	}
	p.roomID = jr.RoomID
	p.seated.Store(true)
	return p
}

// setRoom and room are called only by the ramp worker that seats the
// room's players, one after another.
func (s *soak) setRoom(i int, id string) { s.rooms[i] = id }

func (s *soak) room(i int) string { return s.rooms[i] }
