package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
	statesync "github.com/roomcast/roomcast/sync"
	"github.com/roomcast/roomcast/tick"
)

// Room is one running room. Its methods, unless noted, must only be called
// from the room's own hooks (the room goroutine).
type Room struct {
	id       string
	typ      *roomType
	srv      *Server
	game     Game
	settings Settings
	log      *slog.Logger
	created  time.Time
	opts     Options // the creating request's options

	inbox   chan inboxMsg
	done    chan struct{} // closed when the room stops taking messages
	sendMu  sync.RWMutex  // senders hold R while sending; dispose takes W after closing done
	closed  bool          // guarded by sendMu
	stopErr *Error        // why the room stopped; set before done is closed

	// Guarded by typ.mu (matchmaking).
	seats     int
	locked    bool
	private   bool
	disposing bool
	inOpen    bool // in typ.open
	matchMeta map[string]any

	// Room goroutine only.
	clients       []*Client
	state         State
	resume        *statesync.ResumeBuffer
	tickN         uint64
	tickTime      time.Time
	meta          map[string]any
	listingDirty  bool
	listed        bool
	disposeReason LeaveReason // set: dispose after this step
	deltaHint     int         // capacity for the next delta buffer
	snapHint      int
	deltaBase     uint32 // tick of the last delta that changed something
	pendingKicks  []kick
	stopped       bool     // stop ran
	current       inboxMsg // the message being handled (answered if the room fails)
	inHandle      bool     // current is set
	deadConns     []*Client
}

type kick struct {
	c      *Client
	reason LeaveReason
	msg    string
}

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
	kind    inboxKind
	sess    *Session
	client  *Client
	seq     uint64
	payload any
	str     string
	ack     func(...any)
}

func newRoom(s *Server, t *roomType, id string, opts Options) *Room {
	r := &Room{
		id: id, typ: t, srv: s, settings: t.settings,
		log:       s.log.With("room", id, "type", t.name),
		created:   s.clock.Now(),
		opts:      opts,
		inbox:     make(chan inboxMsg, t.settings.InboxSize),
		done:      make(chan struct{}),
		private:   t.settings.Private,
		resume:    statesync.NewResumeBuffer(statesync.ResumeOptions{MaxDeltas: t.settings.ResumeTicks, MaxBytes: t.settings.ResumeBytes}),
		deltaHint: 64, snapHint: 256,
	}
	r.meta = cloneMap(t.settings.Metadata)
	for _, k := range t.settings.FilterBy {
		if v, ok := opts[k]; ok {
			if r.meta == nil {
				r.meta = map[string]any{}
			}
			r.meta[k] = v
		}
	}
	r.matchMeta = cloneMap(r.meta)
	return r
}

// ID returns the room id (safe from any goroutine).
func (r *Room) ID() string { return r.id }

// Name returns the room type's name (safe from any goroutine).
func (r *Room) Name() string { return r.typ.name }

// Settings returns the room type's settings (with defaults applied).
func (r *Room) Settings() Settings { return r.settings }

// Logger returns the room's logger (with room id and type).
func (r *Room) Logger() *slog.Logger { return r.log }

// Tick returns the number of the current (or last) tick.
func (r *Room) Tick() uint64 { return r.tickN }

// Now returns the server clock's time.
func (r *Room) Now() time.Time { return r.srv.clock.Now() }

// Options returns the options of the request that created the room.
func (r *Room) Options() Options { return r.opts }

// SetState sets the replicated state whose deltas the room sends.
func (r *Room) SetState(s State) { r.state = s }

// State returns the state set with SetState.
func (r *Room) State() State { return r.state }

// Clients returns the clients holding a seat, in join order (including
// dropped ones within their grace). The slice is the room's: do not keep
// or modify it.
func (r *Room) Clients() []*Client { return r.clients }

// Client returns the client with session id id, or nil.
func (r *Room) Client(id string) *Client {
	for _, c := range r.clients {
		if c.id == id {
			return c
		}
	}
	return nil
}

// Metadata returns the room's metadata (listed and filtered on). Do not
// modify it; use SetMetadata.
func (r *Room) Metadata() map[string]any { return r.meta }

// SetMetadata sets one metadata key (value in the argument model: nil,
// bool, numbers, string, []byte, []any, map[string]any); nil deletes it.
func (r *Room) SetMetadata(key string, value any) {
	m := cloneMap(r.meta)
	if m == nil {
		m = map[string]any{}
	}
	if value == nil {
		delete(m, key)
	} else {
		m[key] = value
	}
	r.meta = m
	t := r.typ
	t.mu.Lock()
	r.matchMeta = m
	t.mu.Unlock()
	r.listingDirty = true
}

// Lock stops matchmaking from adding clients (joinById too); resumes still
// work.
func (r *Room) Lock() { r.setLocked(true) }

// Unlock undoes Lock.
func (r *Room) Unlock() { r.setLocked(false) }

func (r *Room) setLocked(v bool) {
	t := r.typ
	t.mu.Lock()
	r.locked = v
	t.mu.Unlock()
	r.listingDirty = true
}

// Locked reports whether the room is locked.
func (r *Room) Locked() bool {
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	return r.locked
}

// SetPrivate hides the room from listings and joinOrCreate/join (joinById
// still works) or shows it again.
func (r *Room) SetPrivate(v bool) {
	t := r.typ
	t.mu.Lock()
	r.private = v
	t.mu.Unlock()
	r.listingDirty = true
}

// Dispose disposes the room after the current hook: every client gets
// room.left {code:"disposed"} and OnLeave, then OnDispose runs.
func (r *Room) Dispose() {
	if r.disposeReason == "" {
		r.disposeReason = LeaveDisposed
	}
}

// Send sends msg(type, payload) to c.
func (r *Room) Send(c *Client, typ string, payload any) error { return c.Send(typ, payload) }

// Broadcast sends msg(type, payload) to every connected client.
func (r *Room) Broadcast(typ string, payload any) { r.BroadcastExcept(nil, typ, payload) }

// BroadcastExcept sends msg(type, payload) to every connected client but
// except.
func (r *Room) BroadcastExcept(except *Client, typ string, payload any) {
	for _, c := range r.clients {
		if c != except && c.conn != nil {
			_ = c.conn.Emit("msg", typ, payload)
		}
	}
}

// Do runs fn on the room goroutine before its next tick (safe from any
// goroutine). It returns false if the room is gone or its inbox is full.
func (r *Room) Do(fn func(r *Room)) bool {
	return r.trySend(inboxMsg{kind: msgCall, payload: func() { fn(r) }})
}

// Listing returns the room's current listing (safe from any goroutine).
func (r *Room) Listing() Listing {
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	return r.listingLocked(-1)
}

// listingLocked builds the listing (t.mu held); clients < 0 means use seats.
func (r *Room) listingLocked(clients int) Listing {
	if clients < 0 {
		clients = r.seats
	}
	return Listing{
		ID: r.id, Name: r.typ.name, Clients: clients, MaxClients: r.settings.MaxClients,
		Locked: r.locked, Private: r.private, Metadata: r.matchMeta, CreatedAt: r.created,
	}
}

// send delivers a control message, waiting up to two ticks for room in a
// full inbox.
func (r *Room) send(m inboxMsg) error {
	r.sendMu.RLock()
	defer r.sendMu.RUnlock()
	if r.closed {
		return r.stopErr
	}
	select {
	case r.inbox <- m:
		return nil
	default:
	}
	timer := r.srv.clock.NewTimer(2 * time.Second / time.Duration(r.settings.TickRate))
	defer timer.Stop()
	select {
	case r.inbox <- m:
		return nil
	case <-r.done:
		return r.stopErr
	case <-timer.C():
		return ErrRoomBusy
	}
}

// trySend delivers m if the inbox has room.
func (r *Room) trySend(m inboxMsg) bool {
	r.sendMu.RLock()
	defer r.sendMu.RUnlock()
	if r.closed {
		return false
	}
	select {
	case r.inbox <- m:
		return true
	default:
		return false
	}
}

// EmptyDeltaEncoder is implemented by a State that encodes its own
// "nothing changed" delta for ack-only frames.
type EmptyDeltaEncoder interface {
	EncodeEmptyDelta(dst []byte, tick uint32) []byte
}

// emptyDelta is the state of an ack-only delta frame at tick: statesync's
// delta layout [tick, tick-base] with no change tokens (PROTOCOL.md (State replication)),
// which a mirror applies as "no change, now at tick".
func (r *Room) emptyDelta(tick uint32) []byte {
	if e, ok := r.state.(EmptyDeltaEncoder); ok {
		return e.EncodeEmptyDelta(nil, tick)
	}
	b := mpack.AppendArrayHeader(make([]byte, 0, 11), 2)
	b = mpack.AppendUint(b, uint64(tick))
	return mpack.AppendUint(b, uint64(tick-r.deltaBase))
}

// errStop ends the room loop after a dispose.
var errStop = errors.New("rooms: room stopped")

// run is the room goroutine.
func (r *Room) run() {
	defer r.srv.wg.Done()
	r.srv.stats.roomsCreated.Add(1)
	if err := r.create(); err != nil {
		return
	}
	loop := tick.Loop{Rate: r.settings.TickRate, Clock: r.srv.clock, Observer: r.settings.Observer}
	sched, err := loop.Start()
	if err != nil {
		r.fail(fmt.Errorf("rooms: tick loop: %w", err), nil)
		return
	}
	defer sched.Stop()
	for {
		select {
		case <-r.srv.ctx.Done():
			r.safeDispose(LeaveShutdown)
			return
		case <-sched.C():
			err := sched.RunDue(r.step)
			if err == nil {
				continue
			}
			if errors.Is(err, errStop) {
				return
			}
			var pe *tick.PanicError
			if errors.As(err, &pe) {
				r.fail(fmt.Errorf("rooms: game panicked: %v", pe.Value), pe.Stack)
			} else {
				r.fail(err, nil)
			}
			return
		}
	}
}

// create runs OnCreate (with panic recovery).
func (r *Room) create() (err error) {
	r.game = r.typ.newGame()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("rooms: OnCreate panicked: %v", v)
			r.fail(err, debug.Stack())
		}
	}()
	if err := r.game.OnCreate(r, r.opts); err != nil {
		r.log.Info("rooms: OnCreate refused", "err", err)
		r.stop(asError(err, CodeCreateFailed))
		return err
	}
	r.listingDirty = true
	r.flushListing()
	return nil
}

// step is one tick.
func (r *Room) step(s tick.Step) error {
	r.tickN = s.N + 1
	r.tickTime = s.Scheduled
	r.drain()
	r.expireSeats(s.Started)
	r.runKicks()
	if r.disposeReason != "" {
		r.dispose(r.disposeReason)
		return errStop
	}
	r.game.OnTick(r, Tick{N: r.tickN, DT: s.DT, Time: s.Scheduled})
	r.runKicks()
	if r.disposeReason != "" {
		r.dispose(r.disposeReason)
		return errStop
	}
	r.sendState(s.Started)
	for _, c := range r.deadConns {
		if !c.gone && c.sess != nil && c.sess.isClosed() {
			r.dropClient(c)
		}
	}
	clear(r.deadConns)
	r.deadConns = r.deadConns[:0]
	r.flushListing()
	if r.autoDisposeDue() {
		r.dispose(LeaveDisposed)
		return errStop
	}
	return nil
}

// drain handles the messages that arrived before this tick, in order.
func (r *Room) drain() {
	for n := len(r.inbox); n > 0; n-- {
		m := <-r.inbox
		r.handle(&m)
	}
}

func (r *Room) handle(m *inboxMsg) {
	// Copied (not pointed to, so m stays on the stack); not cleared by a
	// panic: fail answers it.
	r.current, r.inHandle = *m, true
	r.dispatch(m)
	r.inHandle = false
	r.current = inboxMsg{}
}

func (r *Room) dispatch(m *inboxMsg) {
	switch m.kind {
	case msgJoin:
		r.handleJoin(m)
	case msgInput:
		c := m.client
		if c.room != r || c.sess != m.sess || c.gone {
			r.srv.stats.inputsDropped.Add(1)
			return
		}
		if m.seq <= c.lastSeq && c.anyInput {
			r.srv.stats.inputsStale.Add(1)
			return
		}
		c.lastSeq, c.anyInput = m.seq, true
		if !r.settings.ManualInputAck {
			c.acked = m.seq
		}
		r.game.OnInput(r, c, Input{Seq: m.seq, Payload: m.payload})
	case msgMessage:
		c := m.client
		if c.room != r || c.sess != m.sess || c.gone {
			if m.ack != nil {
				m.ack(errorAck(ErrNotInRoom))
			}
			return
		}
		msg := &Message{Type: m.str, Payload: m.payload, reply: m.ack}
		r.game.OnMessage(r, c, msg)
		if m.ack != nil && !msg.replied {
			msg.Reply(nil)
		}
	case msgDrop:
		c := m.client
		if c.room != r || c.sess != m.sess || c.gone {
			return
		}
		r.dropClient(c)
	case msgResume:
		r.handleResume(m)
	case msgLeave:
		c := m.client
		if c.room != r || c.sess != m.sess || c.gone {
			if m.ack != nil {
				m.ack(errorAck(ErrNotInRoom))
			}
			return
		}
		// The connection is free before the ack (a join sent as soon as
		// it arrives must not find it seated), and the seat is freed
		// whatever OnLeave does.
		c.sess.clearSeat(c)
		m.ack(okAck(nil))
		r.removeClient(c, LeaveRequested, false)
	case msgCall:
		m.payload.(func())()
	}
}

func (r *Room) handleJoin(m *inboxMsg) {
	sess := m.sess
	if sess.isClosed() {
		r.releaseSeat()
		sess.endSeat(nil)
		m.ack(errorAck(errorf(CodeNotInRoom, "connection closed before the join completed")))
		return
	}
	opts, _ := m.payload.(Options)
	c := &Client{
		id: r.srv.randomID(9), room: r, opts: opts, auth: sess.info.Auth,
		joinedAt: r.srv.clock.Now(),
	}
	c.attach(sess)
	if err := r.game.OnJoin(r, c, opts); err != nil {
		c.detach()
		c.gone = true
		r.releaseSeat()
		sess.endSeat(nil)
		m.ack(errorAck(asError(err, CodeJoinRefused)))
		return
	}
	r.clients = append(r.clients, c)
	c.token = r.srv.randomID(16)
	r.srv.tokens.issue(c.token, r, c)
	c.needsSnapshot = true
	r.listingDirty = true
	// Seat the session before the ack: the client may send inputs as soon
	// as it reads it.
	seated := sess.endSeat(c)
	m.ack(r.seatAck(c))
	if !seated {
		r.dropClient(c) // the connection closed meanwhile
	}
}

// dropClient holds c's seat for the grace period (or ends it without one).
func (r *Room) dropClient(c *Client) {
	c.detach()
	if r.settings.ReconnectGrace < 0 {
		r.removeClient(c, LeaveExpired, false)
		return
	}
	c.dropped = true
	c.graceEnd = r.srv.clock.Now().Add(r.settings.ReconnectGrace)
	r.game.OnDrop(r, c)
}

func (r *Room) seatAck(c *Client) map[string]any {
	return okAck(map[string]any{
		"roomId": r.id, "sessionId": c.id, "token": c.token,
		"tickRate": int64(r.settings.TickRate), "name": r.typ.name,
	})
}

func (r *Room) handleResume(m *inboxMsg) {
	c, sess := m.client, m.sess
	if c.room != r || c.gone {
		r.srv.stats.resumeFailures.Add(1)
		sess.endSeat(nil)
		m.ack(errorAck(ErrTokenExpired))
		return
	}
	if old := c.sess; old != nil {
		conn := c.conn
		c.detach()
		old.clearSeat(c)
		_ = conn.Emit("room.left", map[string]any{"code": LeftCodeReplaced, "reason": "seat resumed on another connection"})
	}
	c.attach(sess)
	c.dropped = false
	c.token = r.srv.randomID(16)
	r.srv.tokens.issue(c.token, r, c)
	c.resumeFrom = m.seq // the client's last tick
	c.needsSnapshot = m.seq == 0
	seated := sess.endSeat(c)
	m.ack(r.seatAck(c))
	r.game.OnResume(r, c)
	if !seated {
		r.dropClient(c)
	}
}

// expireSeats ends seats whose grace passed.
func (r *Room) expireSeats(now time.Time) {
	for i := 0; i < len(r.clients); i++ {
		c := r.clients[i]
		if c.dropped && !now.Before(c.graceEnd) {
			r.removeClient(c, LeaveExpired, false)
			i--
		}
	}
}

// runKicks removes clients kicked during hooks.
func (r *Room) runKicks() {
	for len(r.pendingKicks) > 0 {
		k := r.pendingKicks[0]
		r.pendingKicks = r.pendingKicks[1:]
		if !k.c.gone {
			if k.c.conn != nil {
				_ = k.c.conn.Emit("room.left", map[string]any{"code": string(k.reason), "reason": k.msg})
			}
			r.removeClient(k.c, k.reason, false)
		}
	}
	r.pendingKicks = nil
}

// removeClient ends c's seat: OnLeave, token revoked, seat released.
func (r *Room) removeClient(c *Client, reason LeaveReason, disposing bool) {
	if c.gone {
		return
	}
	c.gone = true
	for i, x := range r.clients {
		if x == c {
			r.clients = append(r.clients[:i], r.clients[i+1:]...)
			break
		}
	}
	status := tokenExpired
	r.srv.tokens.revoke(c.token, status, r.srv.clock.Now())
	if c.sess != nil {
		c.sess.clearSeat(c)
	}
	c.detach()
	r.listingDirty = true
	r.game.OnLeave(r, c, reason)
	if !disposing {
		r.releaseSeat()
	}
}

// releaseSeat gives one seat back; an empty room is marked for disposal
// unless KeepWhenEmpty.
func (r *Room) releaseSeat() {
	t := r.typ
	t.mu.Lock()
	r.seats--
	t.openLocked(r)
	t.mu.Unlock()
}

// autoDisposeDue marks an empty room disposing (so matchmaking skips it)
// and reports whether to dispose it now.
func (r *Room) autoDisposeDue() bool {
	if r.settings.KeepWhenEmpty {
		return false
	}
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.seats == 0 && !r.disposing {
		r.disposing = true
		t.openLocked(r)
		return true
	}
	return false
}

// sendState encodes this tick's delta once and queues it (or a snapshot)
// on every connected client.
func (r *Room) sendState(now time.Time) {
	if r.state == nil {
		return
	}
	T := r.tickN
	delta, changed := r.state.EncodeDelta(make([]byte, 0, r.deltaHint), uint32(T))
	if changed {
		r.deltaHint = max(r.deltaHint, len(delta)+len(delta)/4)
		r.resume.PushChained(uint32(T), r.deltaBase, delta)
		r.deltaBase = uint32(T)
	} else {
		delta = nil // an ack-only delta, built below if someone needs it
	}
	var deltaPkt, snapPkt *StatePacket
	snapshot := func() *StatePacket {
		if snapPkt == nil {
			b := r.state.EncodeSnapshot(make([]byte, 0, r.snapHint), uint32(T))
			r.snapHint = max(r.snapHint, len(b)+len(b)/4)
			snapPkt = &StatePacket{Event: EventSnapshot, Tick: T, State: b}
		}
		return snapPkt
	}
	for _, c := range r.clients {
		if c.conn == nil {
			continue
		}
		if c.resumeFrom > 0 {
			r.replay(c, snapshot())
			continue
		}
		if c.needsSnapshot {
			r.sendFrame(c, snapshot(), now)
			continue
		}
		if !changed && c.acked == c.sentAck {
			continue
		}
		if deltaPkt == nil {
			if delta == nil {
				delta = r.emptyDelta(uint32(T))
			}
			deltaPkt = &StatePacket{Event: EventDelta, Tick: T, State: delta}
		}
		r.sendFrame(c, deltaPkt, now)
	}
}

// sendFrame queues p on c; a dropped frame marks c for a snapshot, and a
// client that keeps dropping past SlowConsumerTimeout is disconnected.
func (r *Room) sendFrame(c *Client, p *StatePacket, now time.Time) bool {
	queued, err := c.conn.SendState(p, c.acked)
	if err == nil && queued {
		c.needsSnapshot = false
		c.sentAck = c.acked
		c.dropSince = time.Time{}
		if p.Event == EventSnapshot {
			r.srv.stats.snapshotsSent.Add(1)
		} else {
			r.srv.stats.deltasSent.Add(1)
		}
		return true
	}
	r.srv.stats.framesDropped.Add(1)
	c.needsSnapshot = true
	if err != nil {
		// The connection is unusable; normally its Session.Close arrives
		// as a drop, but make sure the seat moves to its grace period.
		r.deadConns = append(r.deadConns, c)
		return false
	}
	if c.dropSince.IsZero() {
		c.dropSince = now
	} else if r.settings.SlowConsumerTimeout > 0 && now.Sub(c.dropSince) >= r.settings.SlowConsumerTimeout {
		r.srv.stats.slowDisconnects.Add(1)
		r.log.Info("rooms: disconnecting slow consumer", "session", c.id, "dropping_for", now.Sub(c.dropSince))
		c.dropSince = time.Time{}
		c.conn.Close()
	}
	return false
}

// replay catches a resumed client up: the deltas after its last tick when
// they are fewer bytes than a snapshot, else the snapshot.
func (r *Room) replay(c *Client, snap *StatePacket) {
	from := c.resumeFrom
	c.resumeFrom = 0
	c.needsSnapshot = false
	now := r.srv.clock.Now()
	caughtUp := true
	useSnapshot := from > r.tickN || r.resume.Replay(uint32(from), len(snap.State), func(tick uint32, delta []byte) bool {
		caughtUp = r.sendFrame(c, &StatePacket{Event: EventDelta, Tick: uint64(tick), State: delta}, now)
		return caughtUp
	})
	if useSnapshot {
		r.srv.stats.resumeSnapshots.Add(1)
		r.sendFrame(c, snap, now)
		return
	}
	r.srv.stats.resumeReplays.Add(1)
	if caughtUp {
		c.sentAck = c.acked
	}
}

// flushListing publishes the listing if it changed.
func (r *Room) flushListing() {
	if !r.listingDirty {
		return
	}
	r.listingDirty = false
	t := r.typ
	t.mu.Lock()
	l := r.listingLocked(len(r.clients))
	t.mu.Unlock()
	if err := r.srv.registry.Put(r.srv.ctx, l); err != nil {
		r.log.Warn("rooms: registry put failed", "err", err)
	}
	r.listed = true
	r.srv.lobby.changed(l)
}

// safeDispose disposes with panic recovery (shutdown path).
func (r *Room) safeDispose(reason LeaveReason) {
	defer func() {
		if v := recover(); v != nil {
			r.fail(fmt.Errorf("rooms: game panicked while disposing: %v", v), debug.Stack())
		}
	}()
	r.dispose(reason)
}

// dispose removes every client (room.left + OnLeave), runs OnDispose and
// stops the room.
func (r *Room) dispose(reason LeaveReason) {
	t := r.typ
	t.mu.Lock()
	r.disposing = true
	t.openLocked(r)
	t.mu.Unlock()
	for len(r.clients) > 0 {
		c := r.clients[0]
		if c.conn != nil {
			_ = c.conn.Emit("room.left", map[string]any{"code": string(reason), "reason": "room " + string(reason)})
		}
		r.removeClient(c, reason, true)
	}
	r.game.OnDispose(r)
	r.stop(errorf(CodeRoomNotFound, "room %q was disposed", r.id))
}

// fail disposes the room after a game error or panic without calling game
// code again: clients get room.left {code:"room_error"}.
func (r *Room) fail(err error, stack []byte) {
	r.srv.stats.roomPanics.Add(1)
	r.log.Error("rooms: room failed, disposing", "err", err, "stack", string(stack))
	for _, c := range r.clients {
		c.gone = true
		r.srv.tokens.revoke(c.token, tokenExpired, r.srv.clock.Now())
		if c.conn != nil {
			_ = c.conn.Emit("room.left", map[string]any{"code": LeftCodeRoomError, "reason": "the room failed"})
		}
		if c.sess != nil {
			c.sess.clearSeat(c)
		}
		c.detach()
	}
	r.clients = nil
	failed := &Error{Code: CodeInternal, Message: "the room failed"}
	if r.inHandle {
		m := r.current
		r.inHandle, r.current = false, inboxMsg{}
		r.reject(&m, failed)
	}
	r.stop(failed)
}

// stop closes the inbox, answers queued requests with reqErr, removes the
// room from matchmaking, the registry and the lobby.
func (r *Room) stop(reqErr *Error) {
	if r.stopped {
		return
	}
	r.stopped = true
	t := r.typ
	t.mu.Lock()
	r.disposing = true
	t.openLocked(r)
	for i, x := range t.rooms {
		if x == r {
			t.rooms = append(t.rooms[:i], t.rooms[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	r.stopErr = reqErr
	close(r.done)
	r.sendMu.Lock()
	r.closed = true
	r.sendMu.Unlock()
	for {
		select {
		case m := <-r.inbox:
			r.reject(&m, reqErr)
			continue
		default:
		}
		break
	}
	r.srv.forget(r)
	if r.listed {
		if err := r.srv.registry.Remove(context.WithoutCancel(r.srv.ctx), r.id); err != nil {
			r.log.Warn("rooms: registry remove failed", "err", err)
		}
		r.srv.lobby.removed(r.id)
	}
	r.srv.stats.roomsDisposed.Add(1)
}

// reject answers a message that arrived at a stopped room.
func (r *Room) reject(m *inboxMsg, e *Error) {
	switch m.kind {
	case msgJoin:
		m.sess.endSeat(nil)
		m.ack(errorAck(e))
	case msgResume:
		m.sess.endSeat(nil)
		r.srv.stats.resumeFailures.Add(1)
		m.ack(errorAck(ErrTokenExpired))
	case msgMessage, msgLeave:
		if m.client != nil && m.sess != nil {
			m.sess.clearSeat(m.client)
		}
		if m.ack != nil {
			if m.kind == msgLeave {
				m.ack(okAck(nil))
			} else {
				m.ack(errorAck(e))
			}
		}
	}
}

func okAck(fields map[string]any) map[string]any {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return fields
}

func errorAck(e *Error) map[string]any {
	return map[string]any{"ok": false, "error": map[string]any{"code": e.Code, "message": e.Message}}
}
