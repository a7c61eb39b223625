package rooms

import (
	"sync"
	"time"

	"github.com/roomcast/roomcast/tick"
)

type inboxKind uint8

const (
	msgJoin inboxKind = iota
	msgInput
	msgMessage
	msgDrop
	msgResume
	msgLeave
	msgCall
)

// inboxMsg is one message to a room (by value, so inputs do not allocate).
type inboxMsg struct {
	kind     inboxKind
	sess     *Session
	client   *Client
	seq      uint64 // input seq; resume: the client's last tick
	payload  any    // input payload, msg payload, join options, msgCall's func()
	str      string // msg type
	seatDone func(Seat, error)
	reply    func(any, error) // msg and leave answers; nil: no ack asked
}

// inbox is a room's bounded queue of messages, drained by the room
// goroutine at the start of each tick. Senders never block longer than
// two ticks; once the room stops, sends fail with its stop error.
type inbox struct {
	ch      chan inboxMsg
	done    chan struct{} // closed when the room stops taking messages
	sendMu  sync.RWMutex  // senders hold R while sending; close takes W after closing done
	closed  bool          // guarded by sendMu
	stopErr *Error        // why the room stopped; set before done is closed
	clock   tick.Clock
	wait    time.Duration // how long send waits for room in a full inbox
}

func newInbox(size, tickRate int, clock tick.Clock) inbox {
	return inbox{
		ch: make(chan inboxMsg, size), done: make(chan struct{}), clock: clock,
		wait: 2 * time.Second / time.Duration(tickRate),
	}
}

// send delivers a control message, waiting up to two ticks for room in a
// full inbox (then ErrRoomBusy).
func (q *inbox) send(m inboxMsg) error {
	q.sendMu.RLock()
	defer q.sendMu.RUnlock()
	if q.closed {
		return q.stopErr
	}
	select {
	case q.ch <- m:
		return nil
	default:
	}
	timer := q.clock.NewTimer(q.wait)
	defer timer.Stop()
	select {
	case q.ch <- m:
		return nil
	case <-q.done:
		return q.stopErr
	case <-timer.C():
		return ErrRoomBusy
	}
}

// trySend delivers m if the inbox has room.
func (q *inbox) trySend(m inboxMsg) bool {
	q.sendMu.RLock()
	defer q.sendMu.RUnlock()
	if q.closed {
		return false
	}
	select {
	case q.ch <- m:
		return true
	default:
		return false
	}
}

// close stops taking messages (sends then fail with why) and returns
// through reject every message still queued.
func (q *inbox) close(why *Error, reject func(m *inboxMsg)) {
	q.stopErr = why
	close(q.done)
	q.sendMu.Lock()
	q.closed = true
	q.sendMu.Unlock()
	for {
		select {
		case m := <-q.ch:
			reject(&m)
			continue
		default:
		}
		return
	}
}
