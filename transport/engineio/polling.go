package engineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

// servePoll answers a long-polling GET: it waits until frames are queued
// (or the session closes, or an upgrade needs a noop) and writes them as one
// payload of at most MaxPayload bytes. With Config.ParkIdlePolls the wait
// is done without the request: see park.
func (c *Conn) servePoll(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if !c.claimPollLocked(w, &c.getActive, "GET") {
		return
	}
	if c.upgrading && c.awaitUpgradeLocked(r.Context()) {
		c.getActive = false
		c.mu.Unlock()
		errBadRequest.write(w)
		return
	}
	parkable := c.srv.cfg.ParkIdlePolls && r.ProtoMajor == 1
	for c.pollMustWaitLocked() {
		c.mu.Unlock()
		if parkable {
			if c.park(w, r) {
				return
			}
			parkable = false
		} else {
			select {
			case <-c.wake:
			case <-r.Context().Done():
				c.pollAborted()
				return
			}
		}
		c.mu.Lock()
	}
	frames, size, ans := c.takePollLocked()
	c.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	_, err := w.Write(c.srv.appendPollBody(make([]byte, 0, size+1), frames, ans))
	// net/http sends the answer when this handler returns, so the client
	// cannot send its next GET before the claim is released here.
	c.mu.Lock()
	c.getActive = false
	c.mu.Unlock()
	c.finishPoll(frames, ans, err)
}

// reorderWait bounds how long the server waits for a request that the
// client sent before another one but that may be handled after it (they
// travel on different connections): the "5" of an upgrade, which a GET
// arriving during the upgrade waits for (awaitUpgradeLocked), and a GET
// sent before the client's close packet (closeWith). The reference server
// answers a GET during an upgrade from a 100 ms check too.
const reorderWait = 100 * time.Millisecond

// pollAnswer is how a GET is answered besides the frames it takes.
type pollAnswer uint8

const (
	answerFrames   pollAnswer = iota // the frames taken, or a noop if none
	answerClose                      // "1": the session is closed (last answer)
	answerLastNoop                   // a noop, the last answer of a session the client closed
)

// last reports whether the answer ends the session's polling (and a drain).
func (a pollAnswer) last() bool { return a != answerFrames }

// awaitUpgradeLocked makes a GET that arrives during an upgrade wait (c.mu
// held, released while waiting) until the upgrade completes, fails, or
// reorderWait passes; it reports whether the session is now on
// WebSocket (the GET is then refused like any GET after the upgrade).
//
// A client that follows the protocol pauses polling when it gets "3probe":
// a GET that arrives afterwards was sent before, and the client waits for
// its answer (a noop, after this wait) before it sends "5". A GET sent
// after "5" may still arrive before the server has read the "5" from the
// WebSocket: waiting lets it be refused as every later GET is.
func (c *Conn) awaitUpgradeLocked(ctx context.Context) (upgraded bool) {
	timer := time.NewTimer(c.srv.reorderWait)
	defer timer.Stop()
	for c.upgrading && !c.closed {
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-timer.C:
			c.mu.Lock()
			return c.transport != TransportPolling
		case <-ctx.Done():
			c.mu.Lock()
			return c.transport != TransportPolling
		}
		c.mu.Lock()
	}
	return c.transport != TransportPolling
}

// pollAborted closes the session of a GET that the client abandoned while
// it waited (as the reference server does: the packets it would have
// carried cannot be delivered in order any more). The GET stays active
// until the session is closed, so that a GET arriving meanwhile is an
// overlap (400), never a new wait on a session about to close.
func (c *Conn) pollAborted() {
	c.closeWith(ReasonTransportError, ErrPollAborted)
	c.mu.Lock()
	c.getActive = false
	c.mu.Unlock()
}

// pollMustWaitLocked reports whether a GET has nothing to answer yet.
func (c *Conn) pollMustWaitLocked() bool {
	return len(c.queue) == 0 && !c.closed && !c.upgrading && c.transport == TransportPolling
}

// takePollLocked takes the frames a GET answers with, at most MaxPayload
// bytes and MaxPollPackets packets of them, or says how a closed session
// answers (Conn.finalAnswer) when it has nothing, or nothing it may still
// send, queued.
func (c *Conn) takePollLocked() (frames []*Frame, size int, ans pollAnswer) {
	switch {
	case c.transport != TransportPolling: // upgraded: the queue belongs to the WebSocket writer
	case len(c.queue) > 0 && (!c.closed || c.flushQueue):
		frames, size = c.dequeueLocked(int(c.srv.cfg.MaxPayload), c.srv.cfg.MaxPollPackets)
	case c.closed:
		ans = c.finalAnswer
	}
	return frames, size, ans
}

// appendPollBody appends a GET's body: the frames, the close packet, or a
// noop if there is nothing else.
func (s *Server) appendPollBody(dst []byte, frames []*Frame, ans pollAnswer) []byte {
	switch {
	case ans == answerClose:
		return append(dst, '1')
	case len(frames) == 0:
		return s.noopFrame.appendPoll(dst)
	}
	return s.appendPayload(dst, frames)
}

// finishPoll accounts for a GET's answer (err: its write failed); once the
// last answer is out, a drain is over. The GET's claim (getActive) is
// released by the caller, before the client can have read the answer.
func (c *Conn) finishPoll(frames []*Frame, ans pollAnswer, err error) {
	c.mu.Lock()
	c.pollEnded = time.Now()
	c.doneWritingLocked(frames, err == nil)
	if len(c.queue) > 0 && c.transport == TransportPolling {
		c.wakePollLocked() // a GET that arrives next need not wait
	}
	if c.draining && !ans.last() {
		c.drainTimer.Reset(c.srv.cfg.PollDrainWait) // the next GET has that long to come
	}
	c.mu.Unlock()
	if ans.last() {
		c.finishDrain()
	}
}

// appendPayload writes frames as a polling payload.
func (s *Server) appendPayload(dst []byte, frames []*Frame) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, eiocodec.Separator)
		}
		dst = f.appendPoll(dst)
	}
	return dst
}

// claimPollLocked marks a polling request of one kind (GET or POST, whose
// active flag is active) as in progress. It is called with c.mu held: on
// success c.mu stays held; otherwise it unlocks c.mu, closes the session if
// the request overlaps one of its kind, answers 400 and returns false.
func (c *Conn) claimPollLocked(w http.ResponseWriter, active *bool, kind string) bool {
	switch {
	case c.transport != TransportPolling:
		c.mu.Unlock()
		errBadRequest.write(w)
		return false
	case *active:
		c.mu.Unlock()
		c.closeWith(ReasonTransportError, fmt.Errorf("%w: concurrent %s", ErrOverlap, kind))
		errBadRequest.write(w)
		return false
	}
	*active = true
	return true
}

// servePost reads a polling POST body (at most MaxPayload bytes) and
// handles its packets in order.
func (c *Conn) servePost(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if !c.claimPollLocked(w, &c.postActive, "POST") {
		return
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.postActive = false
		c.mu.Unlock()
	}()

	limit := c.srv.cfg.MaxPayload
	if r.ContentLength > limit {
		c.tooLarge(w, r.ContentLength)
		return
	}
	// The body must arrive within PostTimeout (the server's ReadTimeout,
	// if any, would also cut long-polling GETs and hijacked WebSockets).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(c.srv.cfg.PostTimeout))
	body, err := readBody(r, limit)
	if err != nil { // the deadline stays: net/http must not wait for the rest of the body
		c.closeWith(ReasonTransportError, fmt.Errorf("engineio: reading POST body: %w", err))
		w.Header().Set("Connection", "close")
		errBadRequest.write(w)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	if int64(len(body)) > limit {
		c.tooLarge(w, int64(len(body)))
		return
	}

	if !utf8.Valid(body) { // a polling payload is text (binary packets are base64)
		c.closeWith(ReasonParseError, fmt.Errorf("%w: POST body is not UTF-8", eiocodec.ErrInvalidPacket))
		errBadRequest.write(w)
		return
	}
	var dec eiocodec.PayloadDecoder
	c.recvMu.Lock()
	err = dec.Decode(body, 0, c.onPollPacket)
	c.recvMu.Unlock() // no defer needed: deliver recovers handler panics
	if err != nil && !errors.Is(err, errStop) {
		c.closeWith(ReasonParseError, fmt.Errorf("engineio: POST body: %w", err))
		errBadRequest.write(w)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = w.Write([]byte("ok"))
}

func (c *Conn) tooLarge(w http.ResponseWriter, n int64) {
	c.closeWith(ReasonTransportError, fmt.Errorf("%w: POST of %d bytes, limit %d", ErrPayloadTooLarge, n, c.srv.cfg.MaxPayload))
	w.WriteHeader(http.StatusRequestEntityTooLarge)
}

// errStop ends a POST body early once the session has closed.
var errStop = errors.New("engineio: session closed")

func (c *Conn) onPollPacket(p eiocodec.Packet) error {
	switch p.Type {
	case eiocodec.Message:
		c.deliver(p.Data, p.Binary)
	case eiocodec.Pong:
		c.onPong()
	case eiocodec.Close:
		c.closeWith(ReasonTransportClose, nil)
	case eiocodec.Noop:
	default:
		return fmt.Errorf("%w: unexpected %v packet over polling", eiocodec.ErrInvalidPacket, p.Type)
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return errStop
	}
	return nil
}

// readBody reads at most limit+1 bytes (enough to detect an oversized body
// without a Content-Length), allocating for the declared length when known.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n >= 0 {
		body := make([]byte, n)
		_, err := io.ReadFull(r.Body, body)
		return body, err
	}
	return io.ReadAll(io.LimitReader(r.Body, limit+1))
}

// startStallCheck starts the slow-consumer rule of a long-polling session:
// a client that has packets waiting and sends no GET for WriteTimeout (a
// client that polls always has one waiting, or sends the next at once) is
// closed with ReasonSlowConsumer. The check runs every WriteTimeout/2,
// so it acts between WriteTimeout and 1.5 WriteTimeout after the last
// answer; it ends with the session or its upgrade to WebSocket.
func (c *Conn) startStallCheck() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pollEnded = time.Now()
	c.stallTimer = time.AfterFunc(c.srv.cfg.WriteTimeout/2, c.onStallCheck)
}

func (c *Conn) onStallCheck() {
	timeout := c.srv.cfg.WriteTimeout
	c.mu.Lock()
	if c.closed || c.transport != TransportPolling {
		c.mu.Unlock()
		return
	}
	if c.getActive || c.upgrading || c.probing || c.pendingFrames == 0 || time.Since(c.pollEnded) < timeout {
		c.stallTimer.Reset(timeout / 2)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.closeWith(ReasonSlowConsumer, fmt.Errorf("%w: no long-polling GET for %v with packets queued", ErrSlowConsumer, timeout))
}
