package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The writes rooms makes on room goroutines (listings, releases, removals,
// dispose-if-empty) must not block; they go through one ordered queue
// that a goroutine runs against Redis, retrying while Redis is
// unreachable, so a release is never lost nor overtaken by the dispose
// after it.

type opKind uint8

const (
	opPut opKind = iota
	opRemove
	opRelease
	opDispose
	opCancel
)

type op struct {
	kind            opKind
	id              string // room id (opCancel: the request token)
	listing, fm     string
	locked, private bool
	done            func(bool) // opDispose
}

// opQueue is the ordered queue; a room's newer listing replaces a queued
// one.
type opQueue struct {
	mu   sync.Mutex // guards ops, puts
	ops  []*op
	puts map[string]*op // queued puts by room id
	wake chan struct{}
	// emptied gets a signal when pop empties the queue.
	emptied chan struct{}
}

func (q *opQueue) push(o op) {
	q.mu.Lock()
	if o.kind == opPut {
		if p := q.puts[o.id]; p != nil {
			*p = o
			q.mu.Unlock()
			return
		}
		if q.puts == nil {
			q.puts = map[string]*op{}
		}
		q.puts[o.id] = &o
	}
	q.ops = append(q.ops, &o)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next returns (a copy of) the first queued op, or false if none. Once
// returned, a put is no longer replaced by newer ones (they queue after
// it).
func (q *opQueue) next() (op, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ops) == 0 {
		return op{}, false
	}
	o := q.ops[0]
	if o.kind == opPut && q.puts[o.id] == o {
		delete(q.puts, o.id)
	}
	return *o, true
}

// pop removes the first op (the one next returned).
func (q *opQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ops[0] = nil
	q.ops = q.ops[1:]
	if len(q.ops) == 0 {
		select {
		case q.emptied <- struct{}{}:
		default:
		}
	}
}

// runOps runs the queue until Close, retrying an op while Redis does not
// answer.
func (n *Node) runOps() {
	backoff := 50 * time.Millisecond
	for {
		o, ok := n.ops.next()
		if !ok {
			select {
			case <-n.ctx.Done():
				return
			case <-n.ops.wake:
			}
			continue
		}
		if err := n.do(n.ctx, &o); err != nil {
			if n.ctx.Err() != nil {
				return
			}
			t := time.NewTimer(backoff)
			select {
			case <-n.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, n.cfg.Beat)
			continue
		}
		backoff = 50 * time.Millisecond
		n.ops.pop()
	}
}

func (q *opQueue) pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ops) > 0
}

// waitEmpty waits until runOps has run everything queued, for at most d
// (Close).
func (q *opQueue) waitEmpty(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for q.pending() {
		select {
		case <-q.emptied:
		case <-t.C:
			return
		}
	}
}

// do runs one op; an error means Redis did not answer (retry).
func (n *Node) do(ctx context.Context, o *op) error {
	var cmd *redis.Cmd
	switch o.kind {
	case opPut:
		cmd = n.run(ctx, n.scripts.put, o.id, o.listing, flag(o.locked), flag(o.private), o.fm)
	case opRemove:
		cmd = n.run(ctx, n.scripts.remove, o.id)
	case opRelease:
		cmd = n.run(ctx, n.scripts.release, o.id)
	case opDispose:
		cmd = n.run(ctx, n.scripts.disposeIfEmpty, o.id)
	case opCancel:
		cmd = n.run(ctx, n.scripts.cancel, o.id)
	}
	v, err := cmd.Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		if isScriptError(err) {
			n.log.Error("cluster: script failed", "op", o.kind, "room", o.id, "err", err)
			return nil // running it again would fail again
		}
		return err
	}
	switch o.kind {
	case opPut:
		if v == 0 {
			n.republish.Store(true) // Redis lost the room: publish all again
		}
	case opDispose:
		done := o.done
		go done(v == 1)
	}
	return nil
}

// isScriptError reports an error Redis answered (not a lost connection).
func isScriptError(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, context.DeadlineExceeded)
}
