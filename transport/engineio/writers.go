package engineio

import (
	"math"
	"sync"
)

// Shared writers: a plain-TCP WebSocket session whose frames cannot be
// written inline (Config.DisableInlineWrites, or frames queued behind a
// write in flight) is not given a goroutine of its own. It is put on the
// server's ready list, and one of a few long-lived writer goroutines
// (Config.WriteWorkers) takes it, encodes its queued frames into one
// buffer and writes them with one non-blocking write(2), as an inline
// write does. A sender therefore only appends to a list and, when a
// writer is parked, signals it: no goroutine is created per frame, and
// none is held by an idle session.
//
// A writer never waits for a socket: what the socket does not take at
// once (a full send buffer, an error, an expired deadline) is handed to a
// writer goroutine of the session's own (writeLoop), which blocks with the
// write deadline, so a slow peer costs its own goroutine only while it is
// slow, and the slow-consumer rule (WriteTimeout) is unchanged. Pongs, the
// close frame and frames larger than a batch take that path too, as do
// sessions without a raw socket (TLS).
//
// The writers run while at least one WebSocket connection is being read
// (users > 0) and exit when none is and the list is empty, so a server
// with no WebSocket holds no writer goroutine.

// writeBatchMax bounds the wire size of one shared writer's write.
const writeBatchMax = 16 << 10

type writerPool struct {
	max int // Config.WriteWorkers

	mu      sync.Mutex // a leaf lock: taken under Conn.mu (schedule), never the other way round
	cond    sync.Cond  // signalled when ready gains a session or users drops to 0
	ready   []*Conn    // sessions to write, FIFO from head; each at most once (Conn.writing)
	head    int
	workers int // running writer goroutines
	idle    int // of which parked on cond
	users   int // WebSocket read loops running
}

func newWriterPool(workers int) *writerPool {
	p := &writerPool{max: workers}
	p.cond.L = &p.mu
	return p
}

// attach counts a WebSocket connection whose frames the writers may write;
// detach undoes it when its read loop ends.
func (p *writerPool) attach() {
	p.mu.Lock()
	p.users++
	p.mu.Unlock()
}

func (p *writerPool) detach() {
	p.mu.Lock()
	p.users--
	if p.users == 0 {
		p.cond.Broadcast() // idle writers exit
	}
	p.mu.Unlock()
}

// schedule puts c on the ready list (the caller holds c.mu, has set
// c.writing and holds a reference for the writer) and wakes or starts a
// writer.
func (p *writerPool) schedule(c *Conn) {
	p.mu.Lock()
	p.ready = append(p.ready, c)
	switch {
	case p.idle > 0:
		p.cond.Signal()
	case p.workers < p.max:
		p.workers++
		go p.work()
	}
	p.mu.Unlock()
}

// work is one writer goroutine.
func (p *writerPool) work() {
	p.mu.Lock()
	for {
		for p.head == len(p.ready) {
			if p.users == 0 {
				p.workers--
				p.mu.Unlock()
				return
			}
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		c := p.ready[p.head]
		p.ready[p.head] = nil
		p.head++
		switch {
		case p.head == len(p.ready):
			p.ready, p.head = p.ready[:0], 0
		case p.head >= 256 && p.head*2 >= len(p.ready): // keep a busy list from growing
			n := copy(p.ready, p.ready[p.head:])
			clear(p.ready[n:])
			p.ready, p.head = p.ready[:n], 0
		}
		p.mu.Unlock()
		c.flushShared()
		p.mu.Lock()
	}
}

// flushShared writes c's queued frames for a shared writer (which holds
// the writer role and its reference) until the queue is empty, then gives
// the role up; anything that may block goes to the session's own writer
// goroutine with the role and the reference.
func (c *Conn) flushShared() {
	for {
		c.mu.Lock()
		ws, rc := c.ws, c.wsRaw
		if len(c.queue) == 0 && c.pongDue == nil && !c.closeAfter {
			c.writing = false
			c.mu.Unlock()
			c.release()
			return
		}
		n := c.batchLenLocked()
		if n == 0 || rc == nil || c.pongDue != nil || c.closeAfter {
			c.mu.Unlock()
			go c.writeLoop(ws)
			return
		}
		ib := c.srv.inline.get()
		ib.frames, _ = c.dequeueLocked(math.MaxInt, n)
		for _, f := range ib.frames {
			ib.b = appendWSFrame(ib.b, f)
		}
		c.mu.Unlock()
		if !c.writeBatch(ws, rc, ib) {
			return // the session's writer goroutine finishes it
		}
	}
}

// batchLenLocked is how many frames from the head of the queue fit in one
// shared write (0: the first one alone is larger).
func (c *Conn) batchLenLocked() int {
	size, n := 0, 0
	for _, f := range c.queue {
		size += wsFrameSize(f)
		if size > writeBatchMax {
			break
		}
		n++
	}
	return n
}
