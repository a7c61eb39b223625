package rooms

import (
	"log/slog"
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// Room is one running room. Its methods, unless noted, must only be called
// from the room's own hooks (the room goroutine).
//
// The room's work is split by concern: the inbox (inbox.go) queues
// requests for the room goroutine; the lifecycle (lifecycle.go) runs the
// tick loop, dispatches requests and disposes; seats (seats.go) join,
// resume, drop and remove clients; matchmaking (matchmaking.go) keeps the
// room's matchEntry under its type's lock; the fanout (fanout.go) sends
// state frames.
type Room struct {
	id       string
	typ      *roomType
	srv      *Server
	game     Game
	settings Settings
	log      *slog.Logger
	created  time.Time
	opts     Options // the creating request's options

	inbox inbox
	match matchEntry // guarded by typ.mu

	// Room goroutine only.
	clients       []*Client
	fan           fanout
	tickN         uint64
	tickBase      uint64 // tickN when the tick loop last (re)started
	meta          map[string]any
	listingDirty  bool
	listed        bool
	disposeReason LeaveReason // set: dispose after this step
	pendingKicks  []kick
	deadConns     []*Client
	stopped       bool      // stop ran
	current       inboxMsg  // the message being handled (answered if the room fails)
	inHandle      bool      // current is set
	disposeAsked  bool      // guarded by typ.mu: a Directory.DisposeIfEmpty is in flight
	disposeNext   time.Time // not before: ask the Directory again
}

func newRoom(s *Server, t *roomType, id string, opts Options) *Room {
	r := &Room{
		id: id, typ: t, srv: s, settings: t.settings,
		log:     s.log.With("room", id, "type", t.name),
		created: s.clock.Now(),
		opts:    opts,
		inbox:   newInbox(t.settings.InboxSize, t.settings.TickRate, s.clock),
	}
	r.match.private = t.settings.Private
	r.fan = fanout{
		room:     r,
		resume:   statesync.NewResumeBuffer(statesync.ResumeOptions{MaxDeltas: t.settings.ResumeTicks, MaxBytes: t.settings.ResumeBytes}),
		every:    uint64(t.settings.ChecksumEvery),
		snapHint: 256,
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
	r.match.meta = cloneMap(r.meta)
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
func (r *Room) SetState(s State) { r.fan.state = s }

// State returns the state set with SetState.
func (r *Room) State() State { return r.fan.state }

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
	r.match.meta = m
	t.mu.Unlock()
	r.listingDirty = true
}

// Lock stops matchmaking from adding clients (joinById too); resumes still
// work. With a Directory (a cluster), no client is seated here once Lock
// returns: a seat another node reserved in the room before the Directory
// learnt of the lock is refused with room_locked when it is claimed.
func (r *Room) Lock() { r.setLocked(true) }

// Unlock undoes Lock.
func (r *Room) Unlock() { r.setLocked(false) }

func (r *Room) setLocked(v bool) { r.setMatchFlag(func(m *matchEntry) { m.locked = v }) }

// setMatchFlag changes whether matchmaking may pick the room (set runs
// under the room type's lock) and tells the Directory now, not at the next
// tick (a queued write: it never blocks this goroutine), so that
// matchmaking on other nodes stops placing joiners here sooner. The
// owner's own check still has the last word for a lock (placedRoom); a
// joiner matched into a room in the instant it became private is seated,
// as one matched just before would have been.
func (r *Room) setMatchFlag(set func(m *matchEntry)) {
	t := r.typ
	t.mu.Lock()
	set(&r.match)
	disposing := r.match.disposing
	t.mu.Unlock()
	r.listingDirty = true
	if r.srv.dir != nil && r.listed && !disposing {
		r.flushListing()
	}
}

// Locked reports whether the room is locked.
func (r *Room) Locked() bool {
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	return r.match.locked
}

// SetPrivate hides the room from listings and joinOrCreate/join (joinById
// still works) or shows it again.
func (r *Room) SetPrivate(v bool) { r.setMatchFlag(func(m *matchEntry) { m.private = v }) }

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
			_ = c.conn.SendMessage(typ, payload)
		}
	}
}

// Do runs fn on the room goroutine before its next tick (safe from any
// goroutine). It returns false if the room is gone or its inbox is full.
func (r *Room) Do(fn func(r *Room)) bool {
	return r.inbox.trySend(inboxMsg{kind: msgCall, payload: func() { fn(r) }})
}

// Listing returns the room's current listing (safe from any goroutine).
func (r *Room) Listing() Listing {
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	return r.listingLocked(-1)
}
