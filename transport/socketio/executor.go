package socketio

import (
	"sync"
	"sync/atomic"
)

// executor runs one client's callbacks one at a time, in submission order,
// without a goroutine of its own: whoever holds run drains the queue.
// Engine messages run inline on the engine's reader (blocking it while
// another goroutine drains: backpressure); timers and calls from other
// goroutines start a short-lived drainer only when nobody is draining.
type executor struct {
	run sync.Mutex // held by the goroutine running tasks
	// queued is len(queue), written under mu: empty reads it without the
	// lock (the per-packet path finds the queue empty).
	queued atomic.Int32
	mu     sync.Mutex // guards queue
	queue  []func()
}

func (e *executor) push(fn func()) {
	e.mu.Lock()
	e.queue = append(e.queue, fn)
	e.queued.Store(int32(len(e.queue)))
	e.mu.Unlock()
}

func (e *executor) pop() func() {
	if e.empty() {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return nil
	}
	fn := e.queue[0]
	e.queue[0] = nil
	e.queue = e.queue[1:]
	if len(e.queue) == 0 {
		e.queue = e.queue[:0:0]
	}
	e.queued.Store(int32(len(e.queue)))
	return fn
}

func (e *executor) empty() bool { return e.queued.Load() == 0 }

// runInline queues fn and runs the queue on the calling goroutine, waiting
// for any other drainer to finish first.
func (e *executor) runInline(fn func()) {
	if e.lockIdle() {
		fn()
	} else {
		e.push(fn)
	}
	e.drainAndUnlock()
}

// lockIdle takes the run lock (waiting for any other drainer to finish)
// and reports whether the queue is empty: then every task queued before
// has run, and the caller may run its task directly, without queueing it
// (no closure on the heap: the per-packet path). Either way the caller
// then calls drainAndUnlock, which runs what was queued meanwhile.
func (e *executor) lockIdle() bool {
	e.run.Lock()
	return e.empty()
}

// submit queues fn; if nobody is draining, a new goroutine drains. Safe to
// call from inside a task (the current drainer picks it up).
func (e *executor) submit(fn func()) {
	e.push(fn)
	if e.run.TryLock() {
		go e.drainAndUnlock()
	}
}

func (e *executor) drainAndUnlock() {
	for {
		for fn := e.pop(); fn != nil; fn = e.pop() {
			fn()
		}
		e.run.Unlock()
		if e.empty() || !e.run.TryLock() {
			return
		}
	}
}
