package engineio

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"
)

// Handler receives one session's events. OnMessage calls are sequential
// per session and never overlap OnClose; data is valid only during the
// call. OnClose is called exactly once, after the last OnMessage.
type Handler interface {
	OnMessage(c *Conn, data []byte, binary bool)
	OnClose(c *Conn, reason CloseReason, err error)
}

// Handshake describes the request that opened a session. Only part of the
// request is kept for the session's lifetime (copied, so that the rest is
// released): Header holds the headers named in Config.HandshakeHeaders, and
// Query the query parameters other than Engine.IO's own (EIO, transport, t,
// sid). Either is nil when empty.
type Handshake struct {
	RemoteAddr string
	Header     http.Header
	Query      url.Values
	Time       time.Time

	// Client is Config.ClientKey of the request: the client's address as
	// the per-client limits count it ("" when they do not limit it).
	Client string
}

// Conn is one Engine.IO session. Its methods are safe for concurrent use.
type Conn struct {
	srv    *Server
	id     string
	client string // Config.ClientKey of the handshake
	hs     Handshake

	// recvMu serialises message delivery (POST bodies, WebSocket reads).
	// Lock order: recvMu, then mu, then Server.mu. mu is never held while
	// calling the Handler or writing to the network.
	recvMu sync.Mutex

	mu        sync.Mutex
	handler   Handler
	transport string
	closed    bool
	reason    CloseReason
	closeErr  error
	notified  bool // OnClose has been (or is being) called
	delivery  bool // an OnMessage is running
	refs      int  // session itself + running goroutines/callbacks; 0 releases Server.wg

	// send queue; frames being written by the WebSocket writer still count
	queue         []*Frame
	spare         []*Frame
	pendingFrames int
	pendingBytes  int

	// ping
	pingTimer    *time.Timer
	pingDue      time.Time // the timer's intended deadline
	awaitingPong bool

	// polling
	wake        chan struct{} // signals a pending GET
	draining    bool          // closed, still reachable: waiting for GETs to take the queue and the last answer
	flushQueue  bool          // a draining GET takes queued frames (graceful close)
	finalAnswer pollAnswer    // how a GET of the closed session is answered
	drainTimer  *time.Timer
	parked      *parkedPoll // a hijacked pending GET (Config.ParkIdlePolls)
	getActive   bool        // a GET is waiting or being answered
	pollEnded   time.Time   // when the last GET was answered (or the session opened)
	stallTimer  *time.Timer // the long-polling slow-consumer check (onStallCheck)
	postActive  bool        // a POST is being handled

	// probeWS mirrors probe (written with it, under mu) for the check
	// every WebSocket message makes without the lock.
	probeWS atomic.Pointer[gws.Conn]

	// websocket
	ws           *gws.Conn // active WebSocket (transport == websocket)
	writing      bool      // the writer role is taken (a shared writer, writeLoop or an inline write)
	closeAfter   bool      // writer sends a close frame once the queue is drained
	closeSent    bool      // that close frame was sent
	probe        *gws.Conn // upgrade probe, until "5"
	probing      bool      // a probe is reserved or open
	upgrading    bool      // "2probe" seen: answer GETs with noop
	upgradeTimer *time.Timer
	wsRaw        syscall.RawConn // ws's socket for inline writes; nil: none (TLS)
	wsPartial    *inlineBuf      // an inline write the socket did not fully take; the writer finishes it
	pongDue      []byte          // a WebSocket pong for the writer to send
	wsDeadline   struct {        // the write deadline last set; owned by the writer
		ws    *gws.Conn
		until time.Time
	}
}

// ID returns the session id (sid).
func (c *Conn) ID() string { return c.id }

// Handshake returns the request that opened the session.
func (c *Conn) Handshake() Handshake { return c.hs }

// Transport returns "polling" or "websocket"; it changes on upgrade.
func (c *Conn) Transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transport
}

// SetHandler sets the session's handler; call it inside OnConnection.
func (c *Conn) SetHandler(h Handler) {
	c.mu.Lock()
	c.handler = h
	c.mu.Unlock()
}

// Send queues frames in order. If the bounded queue cannot take them all,
// the session is closed with ReasonSlowConsumer and ErrSlowConsumer is
// returned. After close it returns ErrClosed.
func (c *Conn) Send(frames ...*Frame) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.fitsLocked(frames) {
		c.mu.Unlock()
		c.closeWith(ReasonSlowConsumer, ErrSlowConsumer)
		return ErrSlowConsumer
	}
	ib := c.sendLocked(frames)
	c.mu.Unlock()
	if ib != nil {
		c.writeInline(ib)
	}
	return nil
}

// SendDroppable queues frames like Send, but if they do not fit it drops
// them all (counted in Stats.DroppedFrames) and returns false; the session
// stays open.
func (c *Conn) SendDroppable(frames ...*Frame) (queued bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, ErrClosed
	}
	if !c.fitsLocked(frames) {
		c.mu.Unlock()
		c.srv.stats.droppedFrames.Add(uint64(len(frames)))
		return false, nil
	}
	ib := c.sendLocked(frames)
	c.mu.Unlock()
	if ib != nil {
		c.writeInline(ib)
	}
	return true, nil
}

// SendCopy sends one message carrying a copy of data (binary or text),
// followed by the shared frames in attachments (for a Socket.IO packet
// with binary attachments), with Send's semantics, or SendDroppable's if
// droppable (queued is false when the frames were dropped). Unlike
// TextFrame and BinaryFrame, the copy lives in a buffer that the server
// reuses once it is written or dropped, so a steady stream of per-session
// messages (a game's state frame with the recipient's ack) allocates
// nothing.
func (c *Conn) SendCopy(data []byte, binary, droppable bool, attachments ...*Frame) (queued bool, err error) {
	var buf [4]*Frame
	frames := append(buf[:0], c.srv.frames.get(data, binary))
	frames = append(frames, attachments...)
	if droppable {
		queued, err = c.SendDroppable(frames...)
	} else {
		err = c.Send(frames...)
		queued = err == nil
	}
	if !queued {
		c.srv.frames.put(frames[0])
	}
	return queued, err
}

// Close closes the session with reason (normally ReasonForcedClose). Frames
// already queued are still flushed. Closing twice is a no-op.
func (c *Conn) Close(reason CloseReason) { c.closeWith(reason, nil) }

func (c *Conn) fitsLocked(frames []*Frame) bool {
	n := 0
	for _, f := range frames {
		n += f.size()
	}
	cfg := &c.srv.cfg
	return c.pendingFrames+len(frames) <= cfg.SendQueueFrames && c.pendingBytes+n <= cfg.SendQueueBytes
}

// enqueueLocked appends frames (unbounded: callers check) and kicks the
// transport.
func (c *Conn) enqueueLocked(frames ...*Frame) {
	for _, f := range frames {
		c.queue = append(c.queue, f)
		c.pendingFrames++
		c.pendingBytes += f.size()
	}
	c.kickLocked()
}

func (c *Conn) kickLocked() {
	if c.transport == TransportWebSocket {
		if c.ws != nil && !c.writing && (len(c.queue) > 0 || c.closeAfter || c.pongDue != nil) {
			c.writing = true
			c.refs++
			if c.wsRaw != nil && c.pongDue == nil && !c.closeAfter {
				c.srv.writers.schedule(c) // writers.go
				return
			}
			go c.writeLoop(c.ws)
		}
		return
	}
	c.wakePollLocked()
}

// wakePollLocked releases the session's waiting GET, if any: a parked one
// is answered by a new goroutine, a blocked one is signalled.
func (c *Conn) wakePollLocked() {
	if p := c.parked; p != nil {
		c.parked = nil
		if c.acquireLocked() {
			go c.answerParked(p)
		} else {
			_ = p.conn.Close()
		}
		return
	}
	c.signalPollLocked()
}

// signalPollLocked wakes a GET blocked in servePoll, if any (the channel
// keeps one signal for a GET about to wait).
func (c *Conn) signalPollLocked() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// dequeueLocked takes frames from the head of the queue: at most maxFrames
// of them, as many as fit in maxBytes of polling payload (separators and
// base64 included), but at least one; size is their polling payload size.
func (c *Conn) dequeueLocked(maxBytes, maxFrames int) (frames []*Frame, size int) {
	n := 0
	for ; n < len(c.queue) && n < maxFrames; n++ {
		s := c.queue[n].pollSize()
		if n > 0 {
			s++ // separator
			if size+s > maxBytes {
				break
			}
		}
		size += s
	}
	if n == len(c.queue) { // take the whole slice; the spare one (if any) takes its place
		frames = c.queue
		c.queue, c.spare = c.spare[:0], nil
	} else {
		frames = c.queue[:n:n]
		c.queue = c.queue[n:]
	}
	return frames, size
}

// doneWritingLocked releases frames that were written (or dropped at close)
// and recycles the batch slice.
func (c *Conn) doneWritingLocked(batch []*Frame, written bool) {
	size := 0
	for i, f := range batch {
		size += f.size()
		batch[i] = nil
		if f.pooled {
			c.srv.frames.put(f)
		}
	}
	c.pendingFrames -= len(batch)
	c.pendingBytes -= size
	if written {
		c.srv.stats.framesOut.Add(uint64(len(batch)))
		c.srv.stats.bytesOut.Add(uint64(size))
	}
	if c.spare == nil && cap(batch) <= 64 {
		c.spare = batch[:0]
	}
}

// deliver hands one message to the handler, unless the session is closed.
// The caller holds recvMu.
func (c *Conn) deliver(data []byte, binary bool) {
	c.mu.Lock()
	if c.closed || c.handler == nil {
		c.mu.Unlock()
		return
	}
	h := c.handler
	c.delivery = true
	c.mu.Unlock()

	c.callOnMessage(h, data, binary)

	c.mu.Lock()
	c.delivery = false
	notify := c.closed && !c.notified
	c.notified = c.notified || notify
	c.mu.Unlock()
	if notify {
		c.notifyClose()
	}
}

// closeWith closes the session once: stops timers, lets the transport
// flush (graceful reasons) or drops the connection, removes the session
// from the server and calls OnClose (now, or after the running OnMessage).
//
// A graceful close on polling with frames queued drains:
// the session stays reachable until GETs have taken the queued frames and,
// in a later response, the close packet (as engine.io does: a client
// handles the close packet at once but the packets before it in the same
// payload only on its next tick), or until no GET has been in progress for
// PollDrainWait (the client went away; see onDrainWait).
func (c *Conn) closeWith(reason CloseReason, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if reason == ReasonSlowConsumer {
		c.srv.stats.slowConsumerCloses.Add(1) // once per session, whichever path noticed
	}
	c.closed, c.reason, c.closeErr = true, reason, err
	c.finalAnswer = answerClose // unless the client closed (below)
	notify := !c.delivery
	c.notified = notify
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	if c.upgradeTimer != nil {
		c.upgradeTimer.Stop()
	}
	if c.stallTimer != nil {
		c.stallTimer.Stop()
	}
	graceful := reason == ReasonForcedClose || reason == ReasonServerShuttingDown
	transport := c.transport
	probe := c.probe
	var drop *gws.Conn
	switch {
	case transport == TransportWebSocket && c.ws != nil && graceful:
		c.closeAfter = true
		c.kickLocked()
	case transport == TransportWebSocket && c.ws != nil:
		drop = c.ws
	case transport == TransportPolling && graceful && c.pendingFrames > 0: // queued or being written
		c.draining, c.flushQueue = true, true
		c.refs++ // released by finishDrain
		c.drainTimer = time.AfterFunc(c.drainWaitLocked(), c.onDrainWait)
		c.wakePollLocked()
	case transport == TransportPolling && reason == ReasonTransportClose:
		// The client's close packet: its pending GET gets a noop, as from
		// the reference server (the client asked; it needs no "1"). A GET
		// it sent before the POST may be handled after it: for
		// reorderWait it gets that noop too instead of a 400.
		c.finalAnswer = answerLastNoop
		if !c.getActive {
			c.draining = true
			c.refs++ // released by finishDrain
			c.drainTimer = time.AfterFunc(c.srv.reorderWait, c.onDrainWait)
		}
		c.wakePollLocked()
	default:
		c.wakePollLocked()
	}
	draining := c.draining
	c.mu.Unlock()

	if drop != nil {
		_ = drop.NetConn().Close()
	}
	if probe != nil {
		_ = probe.NetConn().Close()
	}
	if !draining {
		c.srv.remove(c, transport)
	}
	c.srv.cfg.Logger.Debug("engineio: session closed", "sid", c.id, "reason", reason, "err", err)
	if notify {
		c.notifyClose()
	}
}

// drainWaitLocked is how long a drain starting now waits for the client's
// next GET: PollDrainWait, but no later than the pong deadline of a ping
// the client has not answered (a client that sent nothing since is gone,
// and a session must not outlive PingInterval+PingTimeout of silence; a
// session that the application closes at the same moment as its ping
// times out, like socket.io's connect timeout on an abandoned handshake,
// would otherwise live PollDrainWait longer).
func (c *Conn) drainWaitLocked() time.Duration {
	wait := c.srv.cfg.PollDrainWait
	if c.awaitingPong {
		wait = max(0, min(wait, time.Until(c.pingDue)))
	}
	return wait
}

// onDrainWait runs PollDrainWait after a drain started or after its last
// GET was answered: a client that has not polled since is gone, and the
// drain ends without it. A GET in progress re-arms the timer when it is
// answered (finishPoll).
func (c *Conn) onDrainWait() {
	c.mu.Lock()
	polling := c.getActive
	c.mu.Unlock()
	if !polling {
		c.finishDrain()
	}
}

// finishDrain ends a draining polling session: the close packet went out,
// or the client stopped polling (onDrainWait), or Shutdown gave up.
func (c *Conn) finishDrain() {
	c.mu.Lock()
	if !c.draining {
		c.mu.Unlock()
		return
	}
	c.draining = false
	c.drainTimer.Stop()
	transport := c.transport
	c.mu.Unlock()
	c.srv.remove(c, transport)
	c.release()
}

// dropConnections closes the session's network connections at once and
// ends a drain.
func (c *Conn) dropConnections() {
	c.mu.Lock()
	ws, probe := c.ws, c.probe
	c.mu.Unlock()
	for _, conn := range []*gws.Conn{ws, probe} {
		if conn != nil {
			_ = conn.NetConn().Close()
		}
	}
	c.finishDrain()
}

func (c *Conn) notifyClose() {
	defer c.release()
	c.mu.Lock()
	h, reason, err := c.handler, c.reason, c.closeErr
	c.mu.Unlock()
	if h != nil {
		defer c.recoverHandler("OnClose")
		h.OnClose(c, reason, err)
	}
}

func (c *Conn) callOnMessage(h Handler, data []byte, binary bool) {
	defer c.recoverHandler("OnMessage")
	h.OnMessage(c, data, binary)
}

// recoverHandler, deferred around an application callback, turns its panic
// into a log line and the close of the session (ErrHandlerPanic), so that
// the session's bookkeeping (locks, OnClose, Shutdown's wait) stays right.
func (c *Conn) recoverHandler(callback string) {
	if v := recover(); v != nil {
		c.srv.cfg.Logger.Error("engineio: panic in "+callback, "sid", c.id, "panic", v, "stack", string(debug.Stack()))
		c.closeWith(ReasonTransportError, fmt.Errorf("%w: %s: %v", ErrHandlerPanic, callback, v))
	}
}

// acquire takes a reference for a goroutine or callback; false if closed.
func (c *Conn) acquireLocked() bool {
	if c.refs == 0 {
		return false
	}
	c.refs++
	return true
}

// release drops a reference; the last one releases the server's wait group.
func (c *Conn) release() {
	c.mu.Lock()
	c.refs--
	last := c.refs == 0
	c.mu.Unlock()
	if last {
		c.srv.wg.Done()
	}
}

// ping timer: every PingInterval send "2", then wait PingTimeout for "3".

func (c *Conn) startPing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pingDue = time.Now().Add(c.srv.cfg.PingInterval)
	c.pingTimer = time.AfterFunc(c.srv.cfg.PingInterval, c.onPingTimer)
}

func (c *Conn) onPingTimer() {
	c.mu.Lock()
	if c.closed || !c.acquireLocked() {
		c.mu.Unlock()
		return
	}
	if wait := time.Until(c.pingDue); wait > 0 { // stale firing after a Reset
		c.pingTimer.Reset(wait)
		c.mu.Unlock()
		c.release()
		return
	}
	if c.awaitingPong {
		c.mu.Unlock()
		c.closeWith(ReasonPingTimeout, ErrPingTimeout)
		c.release()
		return
	}
	c.awaitingPong = true
	c.pingDue = time.Now().Add(c.srv.cfg.PingTimeout)
	c.pingTimer.Reset(c.srv.cfg.PingTimeout)
	c.enqueueLocked(c.srv.pingFrame)
	c.mu.Unlock()
	c.release()
}

// expireIfPongOverdue closes the session if its pong is overdue, for a
// request that comes after the deadline but before the ping timer has run
// (a busy server): the request then finds the session gone, as it would
// have a moment later.
func (c *Conn) expireIfPongOverdue() bool {
	c.mu.Lock()
	overdue := !c.closed && c.awaitingPong && time.Now().After(c.pingDue)
	c.mu.Unlock()
	if overdue {
		c.closeWith(ReasonPingTimeout, ErrPingTimeout)
	}
	return overdue
}

func (c *Conn) onPong() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.awaitingPong {
		return
	}
	c.awaitingPong = false
	c.pingDue = time.Now().Add(c.srv.cfg.PingInterval)
	c.pingTimer.Reset(c.srv.cfg.PingInterval)
}
