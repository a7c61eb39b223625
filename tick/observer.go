package tick

import (
	"fmt"
	"time"
)

// StepStats describes one step that ran.
type StepStats struct {
	N        uint64
	Lateness time.Duration // Started - Scheduled; >= 0
	Duration time.Duration // how long the step function took
	Overrun  bool          // Duration > DT
}

// SkipStats describes steps skipped because the loop was too far behind.
type SkipStats struct {
	NextN uint64 // the step number that runs next
	Steps uint64 // how many scheduled slots were skipped
}

// Stats are a loop's running counters.
type Stats struct {
	Steps    uint64 // steps run (including failed ones)
	Skipped  uint64 // slots skipped while catching up
	Overruns uint64 // steps that took longer than DT
}

// Observer receives per-step measurements, e.g. to feed Prometheus
// histograms of lateness and duration. Methods run on the loop's goroutine
// and must be quick.
type Observer interface {
	Step(StepStats)
	Skipped(SkipStats)
}

// ObserverFuncs adapts functions to Observer; nil fields are ignored.
type ObserverFuncs struct {
	OnStep func(StepStats)
	OnSkip func(SkipStats)
}

// Step calls OnStep if set.
func (o ObserverFuncs) Step(s StepStats) {
	if o.OnStep != nil {
		o.OnStep(s)
	}
}

// Skipped calls OnSkip if set.
func (o ObserverFuncs) Skipped(s SkipStats) {
	if o.OnSkip != nil {
		o.OnSkip(s)
	}
}

// PanicError is returned when a step panics.
type PanicError struct {
	N     uint64 // the step that panicked
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("tick: step %d panicked: %v", e.N, e.Value)
}

// Unwrap returns Value if it is an error, so errors.Is/As see through.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
