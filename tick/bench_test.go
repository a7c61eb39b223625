package tick

import (
	"testing"
	"time"
)

// manualClock's time moves only when the benchmark moves it.
type manualClock struct{ now time.Time }

func (c *manualClock) Now() time.Time                 { return c.now }
func (c *manualClock) NewTimer(d time.Duration) Timer { return nopTimer{} }

type nopTimer struct{}

func (nopTimer) C() <-chan time.Time      { return nil }
func (nopTimer) Reset(time.Duration) bool { return true }
func (nopTimer) Stop() bool               { return true }

// BenchmarkScheduleDue: the bare scheduling arithmetic per step.
func BenchmarkScheduleDue(b *testing.B) {
	clk := &manualClock{now: time.Unix(1e9, 0)}
	s, err := Loop{Rate: 60, Clock: clk}.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Due(clk.now); !ok {
			b.Fatal("not due")
		}
		clk.now = s.Next()
	}
}

// BenchmarkRunDue: per-step overhead of RunDue (measure, observe, recover,
// re-arm) around an empty step, with an observer.
func BenchmarkRunDue(b *testing.B) {
	clk := &manualClock{now: time.Unix(1e9, 0)}
	var sum time.Duration
	s, err := Loop{Rate: 60, Clock: clk, Observer: ObserverFuncs{OnStep: func(st StepStats) { sum += st.Duration }}}.Start()
	if err != nil {
		b.Fatal(err)
	}
	step := func(Step) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := s.RunDue(step); err != nil {
			b.Fatal(err)
		}
		clk.now = s.Next()
	}
	if got := s.Stats().Steps; got != uint64(b.N) {
		b.Fatalf("%d steps for %d iterations", got, b.N)
	}
}

// BenchmarkRunDueRealClock: as above with time.Now and a real timer Reset.
func BenchmarkRunDueRealClock(b *testing.B) {
	s, err := Loop{Rate: MaxRate, MaxCatchUp: 1}.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	step := func(Step) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		// Forces one step due per call without waiting: pretend the
		// schedule started long ago by running with catch-up of 1.
		s.start = s.start.Add(-s.dt)
		if err := s.RunDue(step); err != nil {
			b.Fatal(err)
		}
	}
}
