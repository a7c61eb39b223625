package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/hostile"
)

// sendInputs sends every seated player's inputs from a few goroutines.
func (s *soak) sendInputs(ctx context.Context) {
	if s.opt.inputs <= 0 {
		return
	}
	const shards = 4
	period := time.Duration(float64(time.Second) / s.opt.inputs)
	var wg sync.WaitGroup
	for sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(period)
			defer tk.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
				}
				for i := sh; i < len(s.players); i += shards {
					p := s.players[i]
					if p == nil || p.g == nil || p.busy.Load() || !p.seated.Load() {
						continue
					}
					_, _ = p.g.SendInput(bots.MoveInput{DX: float64((n+i)%3) - 1, DY: float64((n/10+i)%3) - 1})
				}
			}
		}()
	}
	wg.Wait()
}

// churn runs churn actions at ccu×churn per minute: a dropped connection
// resumed with the token, and a leave followed by a join of the same room,
// in turn. Actions in flight are added to wg.
func (s *soak) churn(ctx context.Context, wg *sync.WaitGroup) {
	perSecond := float64(s.opt.ccu) * s.opt.churn / 60
	if perSecond <= 0 {
		return
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	var due float64
	drop := true
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tk.C:
			// by the time passed, not the ticks: a loaded machine drops ticks
			due += perSecond * now.Sub(last).Seconds()
			last = now
		}
		for ; due >= 1; due-- {
			p := s.pick(rnd)
			if p == nil {
				break
			}
			s.churnOps.Add(1)
			wg.Add(1)
			go func(drop bool) {
				defer wg.Done()
				defer p.busy.Store(false)
				if drop {
					s.dropAndResume(p)
				} else {
					s.leaveAndRejoin(p)
				}
			}(drop)
			drop = !drop
		}
	}
}

// pick returns a random seated player with no action under way, marked
// busy (nil if a few tries found none).
func (s *soak) pick(rnd *rand.Rand) *player {
	for range 20 {
		p := s.players[rnd.IntN(len(s.players))]
		if p != nil && p.g != nil && p.seated.Load() && p.busy.CompareAndSwap(false, true) {
			return p
		}
	}
	return nil
}

// dropAndResume drops p's connection as a network failure would and waits
// for the bots' automatic resume on a new connection.
func (s *soak) dropAndResume(p *player) {
	select { // a stale outcome
	case <-p.resumed:
	default:
	}
	p.g.Drop()
	select {
	case err := <-p.resumed:
		if err != nil {
			s.resumeFails.Add(1)
			p.seated.Store(false)
			return
		}
		s.resumes.Add(1)
	case <-time.After(60 * time.Second):
		s.resumeFails.Add(1)
		p.seated.Store(false)
	}
}

// leaveAndRejoin frees p's seat and joins the same room again by id.
func (s *soak) leaveAndRejoin(p *player) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.g.Leave(ctx); err != nil {
		s.rejoinFails.Add(1)
		p.seated.Store(false)
		return
	}
	if _, err := p.g.JoinByID(ctx, p.roomID, map[string]any{"name": fmt.Sprintf("soak%d", p.id)}); err != nil {
		s.rejoinFails.Add(1)
		p.seated.Store(false)
		return
	}
	s.rejoins.Add(1)
}

func (s *soak) frames() int64 {
	var n int64
	for _, p := range s.players {
		if p != nil {
			n += p.frames.Load()
		}
	}
	return n
}

func (s *soak) seated() int {
	n := 0
	for _, p := range s.players {
		if p != nil && p.seated.Load() {
			n++
		}
	}
	return n
}

func (s *soak) sample(ctx context.Context, at time.Duration) sample {
	sm := sample{at: at, seated: s.seated(), resumes: s.resumes.Load(), resumeFails: s.resumeFails.Load(), churnOps: s.churnOps.Load()}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if m, err := hostile.ScrapeMetrics(mctx, s.mhc, s.metrics); err == nil {
		sm.goroutines = m.Sum("go_goroutines")
		sm.rss = m.Sum("process_resident_memory_bytes")
		sm.sessions = m.Sum("roomcast_sessions")
	}
	return sm
}

// closeAll closes every player (in parallel: a closing polling player
// waits for its last request).
func (s *soak) closeAll() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, p := range s.players {
		if p == nil || p.g == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = p.g.Close()
		}()
	}
	wg.Wait()
}
