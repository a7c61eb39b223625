package tick

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits on Loop.Rate.
const (
	MinRate = 1
	MaxRate = 1000
	// DefaultMaxCatchUp is used when Loop.MaxCatchUp is zero.
	DefaultMaxCatchUp = 5
)

// ErrConfig is wrapped by Loop.Validate errors.
var ErrConfig = errors.New("tick: invalid config")

// Loop configures a fixed-step loop. The zero value is not runnable: Rate is
// required.
type Loop struct {
	// Rate is the number of steps per second, MinRate..MaxRate (e.g. 20, 30,
	// 60). Required.
	Rate int
	// MaxCatchUp is the most steps run back to back when the loop is behind;
	// if more are due, the oldest are skipped and counted. 1 means never
	// catch up (only the latest due step runs). Default DefaultMaxCatchUp (5).
	MaxCatchUp int
	// Clock is the time source. Default RealClock{}.
	Clock Clock
	// Observer, if set, is called on the loop's goroutine after every step
	// and on every skip. Default none.
	Observer Observer
}

// Step is passed to the step function.
type Step struct {
	// N is the step number: 0, 1, 2, ... with no gaps, even across skips.
	N uint64
	// DT is the fixed step length, time.Second / Rate.
	DT time.Duration
	// Scheduled is when the step should have started: start + slot·DT, where
	// slot = N + steps skipped so far (computed exactly, without drift).
	Scheduled time.Time
	// Started is when the step actually started (Clock.Now()).
	Started time.Time
}

// Lateness reports Started - Scheduled.
func (s Step) Lateness() time.Duration { return s.Started.Sub(s.Scheduled) }

// Validate reports the first invalid field.
func (l Loop) Validate() error {
	if l.Rate < MinRate || l.Rate > MaxRate {
		return fmt.Errorf("%w: Rate %d outside %d..%d", ErrConfig, l.Rate, MinRate, MaxRate)
	}
	if l.MaxCatchUp < 0 {
		return fmt.Errorf("%w: MaxCatchUp %d is negative", ErrConfig, l.MaxCatchUp)
	}
	return nil
}

func (l Loop) withDefaults() Loop {
	if l.MaxCatchUp == 0 {
		l.MaxCatchUp = DefaultMaxCatchUp
	}
	if l.Clock == nil {
		l.Clock = RealClock{}
	}
	return l
}

// Run runs step at the loop's rate until ctx is done (returning ctx.Err())
// or a step returns an error or panics (returning that error, or a
// *PanicError). The first step starts at once. Run uses only the calling
// goroutine and stops its timer before returning.
func (l Loop) Run(ctx context.Context, step func(Step) error) error {
	s, err := l.Start()
	if err != nil {
		return err
	}
	defer s.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.C():
			if err := s.RunDue(step); err != nil {
				return err
			}
		}
	}
}
