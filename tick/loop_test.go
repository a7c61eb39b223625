package tick

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

var errStop = errors.New("test: stop")

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		loop Loop
		want string
	}{
		{"zero rate", Loop{}, "Rate 0"},
		{"rate too high", Loop{Rate: 1001}, "Rate 1001"},
		{"negative catch-up", Loop{Rate: 20, MaxCatchUp: -1}, "MaxCatchUp -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.loop.Validate()
			require.ErrorIs(t, err, ErrConfig)
			require.ErrorContains(t, err, tc.want)
			_, err = tc.loop.Start()
			require.ErrorIs(t, err, ErrConfig)
			require.ErrorIs(t, tc.loop.Run(t.Context(), func(Step) error { return nil }), ErrConfig)
		})
	}
	require.NoError(t, Loop{Rate: 1}.Validate())
	require.NoError(t, Loop{Rate: 1000, MaxCatchUp: 1}.Validate())
}

func TestNoDriftOver100kStepsAt60Hz(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const steps = 100_000
		start := time.Now()
		var last Step
		var maxLate time.Duration
		err := Loop{Rate: 60}.Run(t.Context(), func(s Step) error {
			if s.N > 0 && s.N != last.N+1 {
				return errors.New("N not contiguous")
			}
			if s.DT != time.Second/60 {
				return errors.New("wrong DT")
			}
			maxLate = max(maxLate, s.Lateness())
			last = s
			if s.N == steps-1 {
				return errStop
			}
			return nil
		})
		require.ErrorIs(t, err, errStop)
		require.Equal(t, uint64(steps-1), last.N)
		// Step n is scheduled at exactly start + n/60 s, with no accumulated
		// rounding: (steps-1)/60 s = 1666.65 s.
		want := start.Add(time.Duration(steps-1) * time.Second / 60)
		require.Equal(t, want, last.Scheduled)
		require.Equal(t, want, last.Started)
		require.Equal(t, 1666*time.Second+650*time.Millisecond, last.Started.Sub(start))
		require.Zero(t, maxLate)
	})
}

func TestStallIsCaughtUpWithCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var skips []SkipStats
		var stats []StepStats
		start := time.Now()
		var started []time.Duration
		loop := Loop{Rate: 20, MaxCatchUp: 5, Observer: ObserverFuncs{
			OnStep: func(s StepStats) { stats = append(stats, s) },
			OnSkip: func(s SkipStats) { skips = append(skips, s) },
		}}
		s, err := loop.Start()
		require.NoError(t, err)
		defer s.Stop()
		for len(started) < 25 {
			<-s.C()
			require.NoError(t, s.RunDue(func(st Step) error {
				started = append(started, st.Started.Sub(start))
				if st.N == 10 {
					time.Sleep(time.Second) // the stall: 500ms -> 1500ms
				}
				return nil
			}))
		}
		ms := time.Millisecond
		// Steps 0..10 on schedule every 50 ms.
		for n := range 11 {
			require.Equal(t, time.Duration(n)*50*ms, started[n], "step %d", n)
		}
		// At 1500 ms slots 11..30 are due (20); 15 are skipped and the cap of
		// 5 runs back to back at 1500 ms (slots 26..30).
		for n := 11; n <= 15; n++ {
			require.Equal(t, 1500*ms, started[n], "catch-up step %d", n)
		}
		// Then back on the original grid: slot 31 = 1550 ms.
		for n := 16; n < 25; n++ {
			require.Equal(t, time.Duration(n+15)*50*ms, started[n], "step %d", n)
		}
		require.Equal(t, []SkipStats{{NextN: 11, Steps: 15}}, skips)
		require.Equal(t, Stats{Steps: 25, Skipped: 15, Overruns: 1}, s.Stats())
		require.True(t, stats[10].Overrun)
		require.Equal(t, time.Second, stats[10].Duration)
		require.Equal(t, 1500*ms-1300*ms, stats[11].Lateness) // slot 26 = 1300 ms
		require.Equal(t, 50*ms-50*ms, stats[15].Lateness)     // slot 30 = 1500 ms
		for _, st := range stats {
			require.Equal(t, st.N == 10, st.Overrun)
		}
	})
}

func TestMaxCatchUpOneNeverCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var started []time.Duration
		s, err := Loop{Rate: 10, MaxCatchUp: 1}.Start()
		require.NoError(t, err)
		defer s.Stop()
		for len(started) < 4 {
			<-s.C()
			require.NoError(t, s.RunDue(func(st Step) error {
				started = append(started, st.Started.Sub(start))
				if st.N == 1 {
					time.Sleep(350 * time.Millisecond) // 100 -> 450 ms
				}
				return nil
			}))
		}
		ms := time.Millisecond
		require.Equal(t, []time.Duration{0, 100 * ms, 450 * ms, 500 * ms}, started)
		require.Equal(t, Stats{Steps: 4, Skipped: 2, Overruns: 1}, s.Stats())
	})
}

func TestSlowStepsDoNotStarveTheOwner(t *testing.T) {
	// Every step takes 2 periods: RunDue must return after MaxCatchUp steps
	// so the owner's select sees its inbox.
	synctest.Test(t, func(t *testing.T) {
		s, err := Loop{Rate: 100, MaxCatchUp: 3}.Start()
		require.NoError(t, err)
		defer s.Stop()
		<-s.C()
		calls := 0
		require.NoError(t, s.RunDue(func(Step) error {
			calls++
			time.Sleep(20 * time.Millisecond)
			return nil
		}))
		require.Equal(t, 3, calls)
		require.Equal(t, uint64(3), s.Stats().Overruns)
		select {
		case <-s.C():
		default:
			t.Fatal("timer must be armed to fire at once when behind")
		}
	})
}

func TestStopIsPromptAndLeaksNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var steps atomic.Uint64
		done := make(chan error, 1)
		go func() {
			done <- Loop{Rate: 20}.Run(ctx, func(Step) error {
				steps.Add(1)
				return nil
			})
		}()
		time.Sleep(time.Second + time.Millisecond)
		require.Equal(t, uint64(21), steps.Load()) // 0 ms .. 1000 ms
		before := time.Now()
		cancel()
		synctest.Wait()
		select {
		case err := <-done:
			require.ErrorIs(t, err, context.Canceled)
		default:
			t.Fatal("Run did not return after cancel")
		}
		require.Equal(t, before, time.Now(), "no fake time passed before Run returned")
		require.Equal(t, uint64(21), steps.Load())
		// synctest.Test itself fails if any goroutine of the bubble is left.
	})
}

func TestStepErrorStopsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := Loop{Rate: 30}.Run(t.Context(), func(s Step) error {
			if s.N == 3 {
				return errStop
			}
			return nil
		})
		require.ErrorIs(t, err, errStop)
		require.ErrorContains(t, err, "tick: step 3")
	})
}

func TestPanicIsReturnedNotFatal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stats []StepStats
		panicErr := errors.New("boom")
		loop := Loop{Rate: 60, Observer: ObserverFuncs{OnStep: func(s StepStats) { stats = append(stats, s) }}}
		err := loop.Run(t.Context(), func(s Step) error {
			if s.N == 2 {
				panic(panicErr)
			}
			return nil
		})
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, uint64(2), pe.N)
		require.Equal(t, panicErr, pe.Value)
		require.ErrorIs(t, err, panicErr)
		require.True(t, strings.Contains(string(pe.Stack), "TestPanicIsReturnedNotFatal"), "stack names the panicking func")
		require.ErrorContains(t, err, "tick: step 2 panicked: boom")
		require.Len(t, stats, 3, "the panicking step is observed too")

		err = loop.Run(t.Context(), func(Step) error { panic("text") })
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "text", pe.Value)
		require.NoError(t, pe.Unwrap())
	})
}

func TestInjectedClock(t *testing.T) {
	// A clock 100 years in the future, shifted: the loop only ever uses
	// the injected clock's readings.
	synctest.Test(t, func(t *testing.T) {
		clk := offsetClock{offset: 100 * 365 * 24 * time.Hour}
		var first Step
		err := Loop{Rate: 20, Clock: clk}.Run(t.Context(), func(s Step) error {
			if s.N == 0 {
				first = s
			}
			if s.N == 20 {
				require.Equal(t, first.Scheduled.Add(time.Second), s.Scheduled)
				return errStop
			}
			return nil
		})
		require.ErrorIs(t, err, errStop)
		require.Greater(t, first.Started.Year(), time.Now().Year()+90)
	})
}

type offsetClock struct{ offset time.Duration }

func (c offsetClock) Now() time.Time                 { return time.Now().Add(c.offset) }
func (c offsetClock) NewTimer(d time.Duration) Timer { return RealClock{}.NewTimer(d) }

func TestDueExactSlotsAt60Hz(t *testing.T) {
	t.Parallel()
	start := time.Unix(0, 0)
	s := &Schedule{rate: 60, dt: time.Second / 60, maxCatchUp: 1 << 20, start: start}
	// Slot k is due exactly at floor(k·1e9/60) ns and not 1 ns earlier.
	for k := uint64(0); k < 200; k++ {
		at := s.slotTime(k)
		require.Equal(t, time.Duration(k*uint64(time.Second)/60), at.Sub(start))
		if k > 0 {
			_, ok := s.Due(at.Add(-1))
			require.False(t, ok, "slot %d early", k)
		}
		st, ok := s.Due(at)
		require.True(t, ok, "slot %d", k)
		require.Equal(t, k, st.N)
		require.Equal(t, at, st.Scheduled)
	}
	// Far in the future the arithmetic neither overflows nor drifts.
	far := uint64(100 * 365 * 24 * 3600 * 60) // 100 years of steps
	require.Equal(t, start.Add(100*365*24*time.Hour), s.slotTime(far))
	require.Equal(t, far, s.lastDueSlot(s.slotTime(far)))
	require.Equal(t, far, s.lastDueSlot(s.slotTime(far+1).Add(-1)))
}

func TestRealClock(t *testing.T) {
	t.Parallel()
	c := RealClock{}
	require.WithinDuration(t, time.Now(), c.Now(), time.Second)
	tm := c.NewTimer(time.Hour)
	require.True(t, tm.Stop())
	require.False(t, tm.Reset(0))
	select {
	case <-tm.C():
	case <-time.After(10 * time.Second):
		t.Fatal("timer reset to 0 did not fire")
	}
}
