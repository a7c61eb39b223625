package tick

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Schedule is the state of a running loop, for a goroutine that runs its own
// select loop:
//
//	s, err := loop.Start()
//	...
//	defer s.Stop()
//	for {
//		select {
//		case <-ctx.Done():
//			return ctx.Err()
//		case msg := <-inbox:
//			handle(msg)
//		case <-s.C():
//			if err := s.RunDue(step); err != nil {
//				return err
//			}
//		}
//	}
//
// A Schedule is owned by one goroutine; only Stats may be called from others.
type Schedule struct {
	rate       uint64
	dt         time.Duration
	maxCatchUp uint64
	clock      Clock
	observer   Observer
	timer      Timer

	start time.Time
	n     uint64 // number of the next step
	slot  uint64 // slot of the next step: n + skipped

	steps    atomic.Uint64
	skipped  atomic.Uint64
	overruns atomic.Uint64
}

// Start validates l and returns a Schedule whose first step is due now, with
// its timer armed. Call Stop when done with it.
func (l Loop) Start() (*Schedule, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	l = l.withDefaults()
	s := &Schedule{
		rate:       uint64(l.Rate),
		dt:         time.Second / time.Duration(l.Rate),
		maxCatchUp: uint64(l.MaxCatchUp),
		clock:      l.Clock,
		observer:   l.Observer,
		start:      l.Clock.Now(),
	}
	s.timer = l.Clock.NewTimer(0)
	return s, nil
}

// C delivers a value when the next step is due. After receiving, call
// RunDue, which re-arms it.
func (s *Schedule) C() <-chan time.Time { return s.timer.C() }

// Stop stops the timer. The Schedule must not be used afterwards.
func (s *Schedule) Stop() { s.timer.Stop() }

// DT is the fixed step length.
func (s *Schedule) DT() time.Duration { return s.dt }

// Next is when the next step is scheduled (if no steps get skipped).
func (s *Schedule) Next() time.Time { return s.slotTime(s.slot) }

// slotTime is start + slot·(1s/rate), exact to the nanosecond.
func (s *Schedule) slotTime(slot uint64) time.Time {
	sec, rem := slot/s.rate, slot%s.rate
	return s.start.Add(time.Duration(sec)*time.Second + time.Duration(rem*uint64(time.Second)/s.rate))
}

// lastDueSlot returns the highest slot whose time is <= now. It must only be
// called when s.slotTime(0) <= now.
func (s *Schedule) lastDueSlot(now time.Time) uint64 {
	d := uint64(now.Sub(s.start))
	sec, rem := d/uint64(time.Second), d%uint64(time.Second)
	k := sec*s.rate + rem*s.rate/uint64(time.Second)
	// Rounding in slotTime can make slot k+1 due already.
	for !s.slotTime(k + 1).After(now) {
		k++
	}
	return k
}

// Due reports whether a step is due at now and, if so, consumes it: it is the
// low-level primitive under RunDue, for callers that measure and recover
// themselves. If more than MaxCatchUp steps are due, the oldest are skipped
// (counted, and reported to the Observer) first. The returned Step has
// Started = now.
func (s *Schedule) Due(now time.Time) (Step, bool) {
	if now.Before(s.slotTime(s.slot)) {
		return Step{}, false
	}
	if behind := s.lastDueSlot(now) - s.slot + 1; behind > s.maxCatchUp {
		skip := behind - s.maxCatchUp
		s.slot += skip
		s.skipped.Add(skip)
		if s.observer != nil {
			s.observer.Skipped(SkipStats{NextN: s.n, Steps: skip})
		}
	}
	st := Step{N: s.n, DT: s.dt, Scheduled: s.slotTime(s.slot), Started: now}
	s.n++
	s.slot++
	return st, true
}

// RunDue runs the steps that are due, back to back but at most MaxCatchUp of
// them (so the owning goroutine gets back to its select even when steps
// overrun), measures and reports each, and re-arms C for the next one. It
// returns the first error a step returns, or a *PanicError if one panics;
// the failed step counts as run.
func (s *Schedule) RunDue(step func(Step) error) error {
	var err error
	for range s.maxCatchUp {
		st, ok := s.Due(s.clock.Now())
		if !ok {
			break
		}
		if err = s.runOne(step, st); err != nil {
			break
		}
	}
	s.timer.Reset(max(0, s.Next().Sub(s.clock.Now())))
	return err
}

func (s *Schedule) runOne(step func(Step) error, st Step) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{N: st.N, Value: v, Stack: debug.Stack()}
		}
		d := s.clock.Now().Sub(st.Started)
		overrun := d > s.dt
		s.steps.Add(1)
		if overrun {
			s.overruns.Add(1)
		}
		if s.observer != nil {
			s.observer.Step(StepStats{N: st.N, Lateness: st.Lateness(), Duration: d, Overrun: overrun})
		}
	}()
	if err := step(st); err != nil {
		return fmt.Errorf("tick: step %d: %w", st.N, err)
	}
	return nil
}

// Stats returns the loop's counters. Safe to call from any goroutine.
func (s *Schedule) Stats() Stats {
	return Stats{Steps: s.steps.Load(), Skipped: s.skipped.Load(), Overruns: s.overruns.Load()}
}
