// Package tick runs fixed-step loops: the heartbeat of a room.
//
// Steps are scheduled at start + n·period, computed from the step number and
// never by re-arming a timer after each callback, so a loop does not drift:
// 100 000 steps at 60 Hz start exactly 1666.65 s after the first. When the
// loop falls behind (a stall, a GC pause, a slow step), missed steps are run
// back to back, at most MaxCatchUp of them; older ones are skipped and
// counted, and the schedule moves forward. Step numbers stay contiguous: every
// N is run exactly once, so a skipped slot shows up as a longer gap between
// two Scheduled times, never as a missing N.
//
// Each step is measured: lateness (Started - Scheduled) and duration, passed
// to an Observer (histogram-friendly), with running counters for steps,
// overruns (a step that took longer than the period) and skipped steps. A
// step that panics does not crash the process: the panic is recovered and
// returned as a *PanicError carrying the value and stack.
//
// There are two ways to drive a loop:
//
//   - Loop.Run(ctx, step) owns a goroutine until ctx is done or a step fails.
//   - Loop.Start returns a *Schedule whose channel C a room goroutine selects
//     on next to its inbox and ctx.Done(); on each receive from C it calls
//     RunDue, which runs the due steps and re-arms the timer. The room stays
//     a single goroutine that owns its state.
//
// Time comes from a Clock (RealClock by default), so tests can use
// testing/synctest or a fake clock.
//
// This package must not import any other roomcast package; it depends on the
// standard library only.
package tick
