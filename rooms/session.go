package rooms

import (
	"errors"
	"math"
	"sync"
	"time"
)

// Game protocol events (client → server).
const (
	EventJoinOrCreate     = "rooms.joinOrCreate"
	EventCreate           = "rooms.create"
	EventJoin             = "rooms.join"
	EventJoinByID         = "rooms.joinById"
	EventList             = "rooms.list"
	EventLeave            = "rooms.leave"
	EventResume           = "rooms.resume"
	EventInput            = "input"
	EventMsg              = "msg"
	EventLobbySubscribe   = "lobby.subscribe"
	EventLobbyUnsubscribe = "lobby.unsubscribe"
)

// Server → client events besides state frames and msg.
const (
	EventRoomLeft    = "room.left"
	EventLobbyRooms  = "lobby.rooms"
	EventLobbyUpdate = "lobby.update"
	EventLobbyRemove = "lobby.remove"
)

// Session is one connection's view of rooms: at most one seat, a lobby
// subscription, input limits. The transport calls Handle for each event
// (sequentially per connection) and Close once when the connection is gone.
type Session struct {
	srv  *Server
	conn Conn
	info ConnInfo

	mu      sync.Mutex // leaf; guards the fields below
	client  *Client    // current seat
	room    *Room
	pending bool // a join or resume is in flight
	closed  bool

	// Handle's goroutine only (transports call Handle sequentially).
	bucket      float64
	bucketAt    time.Time
	windowStart time.Time
	windowDrops int
}

// Conn returns the session's connection.
func (s *Session) Conn() Conn { return s.conn }

// Handle processes one client event with its arguments (Socket.IO argument
// model: int64, float64, string, bool, nil, []byte, []any, map[string]any).
// ack is nil when the client asked for no acknowledgement. Handle never
// waits for a room longer than about two of its ticks; request results are
// acked later, from the room goroutine.
func (s *Session) Handle(event string, args []any, ack func(args ...any)) {
	reply := func(v map[string]any) {
		if ack != nil {
			ack(v)
		}
	}
	switch event {
	case EventInput:
		s.handleInput(args)
	case EventJoinOrCreate, EventCreate, EventJoin:
		name, ok := argString(args, 0)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "%s(name, options): name must be a string", event)))
			return
		}
		opts, ok := argOptions(args, 1)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "%s(name, options): options must be an object", event)))
			return
		}
		mode := matchJoinOrCreate
		if event == EventCreate {
			mode = matchCreate
		} else if event == EventJoin {
			mode = matchJoin
		}
		s.join(func() (*Room, error) { return s.srv.reserve(name, opts, mode) }, opts, reply)
	case EventJoinByID:
		id, ok := argString(args, 0)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "%s(roomId, options): roomId must be a string", event)))
			return
		}
		opts, ok := argOptions(args, 1)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "%s(roomId, options): options must be an object", event)))
			return
		}
		s.join(func() (*Room, error) { return s.srv.reserveByID(id) }, opts, reply)
	case EventResume:
		s.resume(args, reply)
	case EventLeave:
		s.mu.Lock()
		c, r := s.client, s.room
		s.mu.Unlock()
		if c == nil {
			reply(errorAck(ErrNotInRoom))
			return
		}
		if err := r.send(inboxMsg{kind: msgLeave, sess: s, client: c, ack: onceAck(ackOrNop(ack))}); err != nil {
			s.clearSeat(c)
			reply(okAck(nil))
		}
	case EventMsg:
		s.handleMsg(args, ack, reply)
	case EventList:
		q, ok := argQuery(args, 0)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "rooms.list({name?, filter?}): bad argument")))
			return
		}
		ls, err := s.srv.registry.List(s.srv.ctx, q)
		if err != nil {
			reply(errorAck(errorf(CodeInternal, "listing rooms: %v", err)))
			return
		}
		out := make([]any, len(ls))
		for i := range ls {
			out[i] = ls[i].wire()
		}
		reply(okAck(map[string]any{"rooms": out}))
	case EventLobbySubscribe:
		q, ok := argQuery(args, 0)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "lobby.subscribe({name?, filter?}): bad argument")))
			return
		}
		if err := s.srv.lobby.subscribe(s, q); err != nil {
			reply(errorAck(asError(err, CodeInternal)))
			return
		}
		reply(okAck(nil))
	case EventLobbyUnsubscribe:
		s.srv.lobby.unsubscribe(s)
		reply(okAck(nil))
	default:
		reply(errorAck(errorf(CodeUnknownEvent, "unknown event %q", event)))
	}
}

// onceAck lets only the first call through (a room that fails while
// handling a request answers it with an error, unless it already did).
func onceAck(ack func(...any)) func(...any) {
	var once sync.Once
	return func(args ...any) { once.Do(func() { ack(args...) }) }
}

func ackOrNop(ack func(...any)) func(...any) {
	if ack == nil {
		return func(...any) {}
	}
	return ack
}

// join reserves a seat (reserve) and asks the room to seat the session.
func (s *Session) join(reserve func() (*Room, error), opts Options, reply func(map[string]any)) {
	if !s.startPending() {
		reply(errorAck(ErrAlreadyInRoom))
		return
	}
	r, err := reserve()
	if err != nil {
		s.endSeat(nil)
		reply(errorAck(asError(err, CodeInternal)))
		return
	}
	ack := onceAck(func(args ...any) { reply(args[0].(map[string]any)) })
	if err := r.send(inboxMsg{kind: msgJoin, sess: s, payload: opts, ack: ack}); err != nil {
		// The room never saw the request: give the seat back.
		r.releaseSeat()
		s.endSeat(nil)
		reply(errorAck(asError(err, CodeInternal)))
	}
}

func (s *Session) resume(args []any, reply func(map[string]any)) {
	m, _ := argAt(args, 0).(map[string]any)
	token, _ := m["token"].(string)
	if token == "" {
		reply(errorAck(errorf(CodeBadRequest, "rooms.resume({token, tick?}): token must be a non-empty string")))
		return
	}
	var lastTick uint64
	if v, ok := m["tick"]; ok && v != nil {
		t, ok := argUint(v)
		if !ok {
			reply(errorAck(errorf(CodeBadRequest, "rooms.resume({token, tick?}): tick must be a non-negative integer")))
			return
		}
		lastTick = t
	}
	if !s.startPending() {
		reply(errorAck(ErrAlreadyInRoom))
		return
	}
	r, c, err := s.srv.tokens.take(token, s.srv.clock.Now())
	if err != nil {
		s.srv.stats.resumeFailures.Add(1)
		s.endSeat(nil)
		reply(errorAck(asError(err, CodeTokenUnknown)))
		return
	}
	ack := onceAck(func(args ...any) { reply(args[0].(map[string]any)) })
	if err := r.send(inboxMsg{kind: msgResume, sess: s, client: c, seq: lastTick, ack: ack}); err != nil {
		s.srv.stats.resumeFailures.Add(1)
		s.endSeat(nil)
		reply(errorAck(ErrTokenExpired))
	}
}

func (s *Session) handleMsg(args []any, ack func(...any), reply func(map[string]any)) {
	typ, ok := argString(args, 0)
	if !ok {
		reply(errorAck(errorf(CodeBadRequest, "msg(type, payload): type must be a string")))
		return
	}
	s.mu.Lock()
	c, r := s.client, s.room
	s.mu.Unlock()
	if c == nil {
		reply(errorAck(ErrNotInRoom))
		return
	}
	payload := argAt(args, 1)
	if approxSize(payload, r.settings.MaxMessageBytes) > r.settings.MaxMessageBytes {
		reply(errorAck(errorf(CodeBadRequest, "msg payload larger than %d bytes", r.settings.MaxMessageBytes)))
		return
	}
	var wrapped func(...any)
	if ack != nil {
		wrapped = onceAck(ack)
	}
	if err := r.send(inboxMsg{kind: msgMessage, sess: s, client: c, str: typ, payload: payload, ack: wrapped}); err != nil {
		reply(errorAck(asError(err, CodeInternal)))
	}
}

// handleInput checks and forwards input(seq, payload).
func (s *Session) handleInput(args []any) {
	s.mu.Lock()
	c, r := s.client, s.room
	s.mu.Unlock()
	st := &s.srv.stats
	if c == nil {
		st.inputsDropped.Add(1)
		return
	}
	seq, ok := argUint(argAt(args, 0))
	if !ok {
		st.inputsDropped.Add(1)
		s.abused(r)
		return
	}
	payload := argAt(args, 1)
	if approxSize(payload, r.settings.MaxInputBytes) > r.settings.MaxInputBytes {
		st.inputsDropped.Add(1)
		s.abused(r)
		return
	}
	now := s.srv.clock.Now()
	rate := float64(r.settings.MaxInputsPerSecond)
	if s.bucketAt.IsZero() {
		s.bucket = rate
	} else {
		s.bucket = math.Min(rate, s.bucket+now.Sub(s.bucketAt).Seconds()*rate)
	}
	s.bucketAt = now
	if s.bucket < 1 {
		st.inputsDropped.Add(1)
		s.abused(r)
		return
	}
	s.bucket--
	if !r.trySend(inboxMsg{kind: msgInput, sess: s, client: c, seq: seq, payload: payload}) {
		st.inputsDropped.Add(1)
	}
}

// abused counts a dropped input; more drops in one second than the rate
// allows disconnects the client.
func (s *Session) abused(r *Room) {
	now := s.srv.clock.Now()
	if now.Sub(s.windowStart) >= time.Second {
		s.windowStart, s.windowDrops = now, 0
	}
	s.windowDrops++
	if s.windowDrops > r.settings.MaxInputsPerSecond {
		s.windowDrops = 0
		s.srv.stats.abuseDisconnects.Add(1)
		s.srv.log.Warn("rooms: disconnecting client flooding inputs", "conn", s.conn.ID(), "room", r.id)
		s.conn.Close()
	}
}

// Close tells rooms the connection is gone: its seat is held for the room's
// grace period and its lobby subscription ends. Idempotent.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	c, r := s.client, s.room
	s.mu.Unlock()
	s.srv.lobby.unsubscribe(s)
	if c != nil {
		m := inboxMsg{kind: msgDrop, sess: s, client: c}
		if err := r.send(m); errors.Is(err, ErrRoomBusy) {
			// Keep trying without holding up the transport; the room also
			// notices dead connections when it sends state.
			go func() {
				for errors.Is(r.send(m), ErrRoomBusy) {
				}
			}()
		}
	}
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// startPending marks a join/resume in flight; false if the session holds
// a seat or has a request in flight.
func (s *Session) startPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil || s.pending || s.closed {
		return false
	}
	s.pending = true
	return true
}

// endSeat ends the pending request, seating c if not nil. It returns false
// if the session closed meanwhile (c is then not seated).
func (s *Session) endSeat(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = false
	if s.closed {
		return false
	}
	if c != nil {
		s.client, s.room = c, c.room
	}
	return true
}

// clearSeat forgets c if it is the session's seat.
func (s *Session) clearSeat(c *Client) {
	s.mu.Lock()
	if s.client == c {
		s.client, s.room = nil, nil
	}
	s.mu.Unlock()
}

// Seat returns the session's room and session id ("" when not seated).
func (s *Session) Seat() (roomID, sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return "", ""
	}
	return s.room.id, s.client.id
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func argString(args []any, i int) (string, bool) {
	s, ok := argAt(args, i).(string)
	return s, ok && s != ""
}

func argOptions(args []any, i int) (Options, bool) {
	switch v := argAt(args, i).(type) {
	case nil:
		return Options{}, true
	case map[string]any:
		return Options(v), true
	}
	return nil, false
}

func argQuery(args []any, i int) (Query, bool) {
	switch v := argAt(args, i).(type) {
	case nil:
		return Query{}, true
	case string:
		return Query{Name: v}, true
	case map[string]any:
		q := Query{}
		if n, ok := v["name"]; ok && n != nil {
			s, ok := n.(string)
			if !ok {
				return q, false
			}
			q.Name = s
		}
		if f, ok := v["filter"]; ok && f != nil {
			m, ok := f.(map[string]any)
			if !ok {
				return q, false
			}
			q.Filter = m
		}
		return q, true
	}
	return Query{}, false
}

func argUint(v any) (uint64, bool) {
	switch v := v.(type) {
	case int64:
		if v >= 0 {
			return uint64(v), true
		}
	case uint64:
		return v, true
	case int:
		if v >= 0 {
			return uint64(v), true
		}
	case float64:
		if v >= 0 && v <= 1<<53 && v == math.Trunc(v) {
			return uint64(v), true
		}
	}
	return 0, false
}
