package rooms

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Session is one connection's view of rooms: at most one seat, a lobby
// subscription, input limits. A transport adapter (rooms/roomsio) turns
// the client's events into calls of Join, Resume, Input, Message, Leave,
// List and the lobby methods, sequentially per connection, and calls
// Close once when the connection is gone. None of them waits for a room
// longer than about two of its ticks; results of requests a room handles
// arrive later, from the room goroutine, through the done callbacks.
type Session struct {
	srv  *Server
	conn Conn
	info ConnInfo

	mu     sync.Mutex // leaf; guards the fields below
	client *Client    // current seat
	// Rate limits of rooms.list (and lobby.subscribe) and of room
	// creation.
	listBucket, createBucket tokenBucket
	// Refused lists in the second from listRefusedAt (Config.ListAbuse);
	// listAbused once the connection is being closed for them.
	listRefusals  int
	listRefusedAt time.Time
	listAbused    bool
	room          *Room
	pending       bool // a join or resume is in flight
	closed        bool

	// The adapter's goroutine only (it calls Input sequentially).
	limiter inputLimiter
	reader  *mpack.Reader // decodes encoded payloads
	scratch []byte        // generic payloads re-encoded for Settings.Input
}

// Conn returns the session's connection.
func (s *Session) Conn() Conn { return s.conn }

// Join asks for a seat. done runs once, on another goroutine, with the
// seat or an *Error (code bad_request, unknown_room_type, room_not_found,
// room_full, room_locked, join_refused, create_failed, rate_limited,
// already_in_room, room_busy, server_shutting_down, internal). On success the client gets
// a snapshot in the room's next tick.
func (s *Session) Join(req JoinRequest, done func(Seat, error)) {
	done = onceSeat(done)
	if req.Options == nil {
		req.Options = Options{}
	}
	if s.srv.dir != nil {
		switch {
		case req.Mode == JoinByID && req.RoomID == "":
			done(Seat{}, errorf(CodeBadRequest, "%s: the room id must be a non-empty string", req.Mode))
		case req.Mode != JoinByID && req.Name == "":
			done(Seat{}, errorf(CodeBadRequest, "%s: the room type name must be a non-empty string", req.Mode))
		case req.Mode > JoinByID:
			done(Seat{}, errorf(CodeBadRequest, "unknown join mode %d", req.Mode))
		default:
			s.joinPlaced(req, done)
		}
		return
	}
	var reserve func() (*Room, error)
	switch req.Mode {
	case JoinOrCreate, Create, JoinExisting:
		if req.Name == "" {
			done(Seat{}, errorf(CodeBadRequest, "%s: the room type name must be a non-empty string", req.Mode))
			return
		}
		reserve = func() (*Room, error) { return s.srv.reserve(req.Name, req.Options, req.Mode, s.mayCreate) }
	case JoinByID:
		if req.RoomID == "" {
			done(Seat{}, errorf(CodeBadRequest, "%s: the room id must be a non-empty string", req.Mode))
			return
		}
		reserve = func() (*Room, error) { return s.srv.reserveByID(req.RoomID) }
	default:
		done(Seat{}, errorf(CodeBadRequest, "unknown join mode %d", req.Mode))
		return
	}
	if !s.startPending() {
		done(Seat{}, ErrAlreadyInRoom)
		return
	}
	r, err := reserve()
	if err != nil {
		s.endSeat(nil)
		done(Seat{}, asError(err, CodeInternal))
		return
	}
	if err := r.inbox.send(inboxMsg{kind: msgJoin, sess: s, payload: req.Options, seatDone: done}); err != nil {
		// The room never saw the request: give the seat back.
		r.releaseSeat()
		s.endSeat(nil)
		done(Seat{}, err)
	}
}

// Resume takes a held seat back with its reconnection token. done runs
// once with the seat (and a new token) or an *Error (bad_request,
// token_unknown, token_used, token_expired, already_in_room).
func (s *Session) Resume(req ResumeRequest, done func(Seat, error)) {
	done = onceSeat(done)
	if req.Token == "" {
		done(Seat{}, errorf(CodeBadRequest, "resume: the token must be a non-empty string"))
		return
	}
	if node := tokenNode(req.Token); s.srv.dir != nil && node != "" && node != s.srv.dir.NodeID() {
		s.resumeElsewhere(node, done)
		return
	}
	if !s.startPending() {
		done(Seat{}, ErrAlreadyInRoom)
		return
	}
	r, c, err := s.srv.tokens.take(req.Token, s.srv.clock.Now())
	if err != nil {
		s.srv.stats.resumeFailures.Add(1)
		s.endSeat(nil)
		done(Seat{}, asError(err, CodeTokenUnknown))
		return
	}
	if err := r.inbox.send(inboxMsg{kind: msgResume, sess: s, client: c, seq: req.Tick, seatDone: done}); err != nil {
		s.srv.stats.resumeFailures.Add(1)
		s.endSeat(nil)
		done(Seat{}, ErrTokenExpired)
	}
}

// Leave frees the seat at once (no grace). done (may be nil) runs once
// with nil or ErrNotInRoom.
func (s *Session) Leave(done func(error)) {
	reply := onceReply(func(_ any, err error) {
		if done != nil {
			done(err)
		}
	})
	s.mu.Lock()
	c, r := s.client, s.room
	s.mu.Unlock()
	if c == nil {
		reply(nil, ErrNotInRoom)
		return
	}
	if err := r.inbox.send(inboxMsg{kind: msgLeave, sess: s, client: c, reply: reply}); err != nil {
		s.clearSeat(c)
		reply(nil, nil)
	}
}

// Message hands msg(typ, payload) to the game's OnMessage. reply is nil
// when the client asked for no acknowledgement; otherwise it runs once
// with the game's answer (Message.Reply's value, or nil) or an *Error
// (bad_request, not_in_room, message_refused, room_busy, internal).
// payload is in the argument model (nil, bool, numbers, string, []byte,
// []any, map[string]any).
func (s *Session) Message(typ string, payload any, reply func(data any, err error)) {
	if reply != nil {
		reply = onceReply(reply)
	}
	fail := func(err error) {
		if reply != nil {
			reply(nil, err)
		}
	}
	if typ == "" {
		fail(errorf(CodeBadRequest, "msg(type, payload): type must be a non-empty string"))
		return
	}
	s.mu.Lock()
	c, r := s.client, s.room
	s.mu.Unlock()
	if c == nil {
		fail(ErrNotInRoom)
		return
	}
	if approxSize(payload, r.settings.MaxMessageBytes) > r.settings.MaxMessageBytes {
		fail(errorf(CodeBadRequest, "msg payload larger than %d bytes", r.settings.MaxMessageBytes))
		return
	}
	if err := r.inbox.send(inboxMsg{kind: msgMessage, sess: s, client: c, str: typ, payload: payload, reply: reply}); err != nil {
		fail(err)
	}
}

// ListRequest asks for one page of the public rooms (Session.List).
type ListRequest struct {
	Query
	// Limit is the most rooms of the page, 1..Config.MaxListRooms; 0 (or
	// more than the bound) means Config.MaxListRooms.
	Limit int
	// Cursor is "" for the first page, else the Next of the page before.
	Cursor string
}

// ListPage is one page of rooms.list. Rooms is shared with other pages
// of the same snapshot: do not modify it.
type ListPage struct {
	Rooms []Listing
	// Next is the cursor of the next page; "" when this is the last.
	Next string

	snap *listSnapshot // the page is Rooms = snap.ls[from:from+len(Rooms)]
	from int
}

// Wire returns build of each of the page's rooms (a transport's wire form
// of a listing), building each listing at most once per snapshot: the
// connections that page through the same snapshot share the values, so
// they must not be modified, and build must be the same function for every
// page of one Server.
func (p ListPage) Wire(build func(*Listing) any) []any {
	if p.snap == nil {
		out := make([]any, len(p.Rooms))
		for i := range p.Rooms {
			out[i] = build(&p.Rooms[i])
		}
		return out
	}
	return p.snap.wireOf(p.from, len(p.Rooms), build)
}

// List returns a page of the public rooms req selects (rooms.list),
// oldest first. It fails with code rate_limited when the connection asks
// more often than Config.ListRate (an *Error with Disconnect set once it
// keeps asking: Config.ListAbuse), and bad_request for a cursor it did
// not make. Pages are cut from a snapshot of the listings that serves
// every connection asking the same query for up to 50 ms.
func (s *Session) List(req ListRequest) (ListPage, error) {
	if err := s.takeList(); err != nil {
		return ListPage{}, err
	}
	after, err := parseCursor(req.Cursor)
	if err != nil {
		return ListPage{}, err
	}
	limit := s.srv.cfg.MaxListRooms
	if req.Limit > 0 && req.Limit < limit {
		limit = req.Limit
	}
	q := req.Query
	q.IncludePrivate = false
	snap, err := s.srv.lists.get(q, s.srv.clock.Now(), s.srv.readListings)
	if err != nil {
		return ListPage{}, asError(fmt.Errorf("listing rooms: %w", err), CodeInternal)
	}
	return snap.page(after, req.Cursor != "", limit), nil
}

// SubscribeLobby sends the rooms q selects now (Conn.SendLobbyRooms) and
// their changes from then on, until UnsubscribeLobby or Close.
// It shares rooms.list's rate (Config.ListRate) and abuse rule.
func (s *Session) SubscribeLobby(q Query) error {
	if err := s.takeList(); err != nil {
		return err
	}
	q.IncludePrivate = false
	if err := s.srv.lobby.subscribe(s, q); err != nil {
		return asError(err, CodeInternal)
	}
	return nil
}

// takeList spends a token of the connection's list rate. A refusal does
// no other work: it is counted, and answered with one of two errors made
// once per server; the one that ends more than Config.ListAbuse refusals
// within a second asks the transport to close the connection after the
// answer (Error.Disconnect).
func (s *Session) takeList() error {
	now := s.srv.clock.Now()
	s.mu.Lock()
	if s.listBucket.take(now, s.srv.cfg.ListRate) {
		s.mu.Unlock()
		return nil
	}
	if now.Sub(s.listRefusedAt) >= time.Second {
		s.listRefusedAt, s.listRefusals = now, 0
	}
	s.listRefusals++
	abused := s.listAbused || s.srv.cfg.ListAbuse >= 0 && s.listRefusals > s.srv.cfg.ListAbuse
	first := abused && !s.listAbused
	s.listAbused = abused
	s.mu.Unlock()
	s.srv.stats.listsLimited.Add(1)
	if !abused {
		return s.srv.listRefused
	}
	if first {
		s.srv.stats.abuseDisconnects.Add(1)
		s.srv.log.Warn("rooms: disconnecting client flooding rooms.list", "conn", s.conn.ID())
	}
	return s.srv.listAbused
}

// UnsubscribeLobby ends the lobby subscription (if any).
func (s *Session) UnsubscribeLobby() { s.srv.lobby.unsubscribe(s) }

func onceSeat(done func(Seat, error)) func(Seat, error) {
	var once sync.Once
	return func(seat Seat, err error) {
		once.Do(func() {
			if done != nil {
				done(seat, err)
			}
		})
	}
}

// onceReply lets only the first answer through (a room that fails while
// handling a request answers it with an error, unless it already did).
func onceReply(reply func(any, error)) func(any, error) {
	var once sync.Once
	return func(v any, err error) { once.Do(func() { reply(v, err) }) }
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
		if err := r.inbox.send(m); errors.Is(err, ErrRoomBusy) {
			// Keep trying without holding up the transport; the room also
			// notices dead connections when it sends state.
			go func() {
				for errors.Is(r.inbox.send(m), ErrRoomBusy) {
				}
			}()
		}
	}
}

// mayCreate spends a room creation of the connection's and its address's
// rates (Config.CreateRate, Config.IPCreateRate), or fails with code
// rate_limited.
func (s *Session) mayCreate() error {
	if !s.takeToken(&s.createBucket, s.srv.cfg.CreateRate) {
		s.srv.stats.createsLimited.Add(1)
		return errorf(CodeRateLimited, "this connection creates rooms too often (%g a second)", s.srv.cfg.CreateRate.PerSecond)
	}
	if !s.srv.ipCreates.take(s.info.clientKey(), s.srv.clock.Now()) {
		s.srv.stats.createsLimited.Add(1)
		return errorf(CodeRateLimited, "this address creates rooms too often (%g a second)", s.srv.cfg.IPCreateRate.PerSecond)
	}
	return nil
}

// takeToken spends a token of one of the session's buckets.
func (s *Session) takeToken(b *tokenBucket, r Rate) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return b.take(s.srv.clock.Now(), r)
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

// seat returns the session's client and room (nil when not seated).
func (s *Session) seat() (*Client, *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client, s.room
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

// inputLimiter is a session's input token bucket and abuse window.
type inputLimiter struct {
	bucket      float64
	bucketAt    time.Time
	windowStart time.Time
	windowDrops int
}

// take spends one token at now for a room taking rate inputs per second;
// false means the input is over the rate.
func (l *inputLimiter) take(now time.Time, rate float64) bool {
	if l.bucketAt.IsZero() {
		l.bucket = rate
	} else {
		l.bucket = math.Min(rate, l.bucket+now.Sub(l.bucketAt).Seconds()*rate)
	}
	l.bucketAt = now
	if l.bucket < 1 {
		return false
	}
	l.bucket--
	return true
}

// abused counts a dropped input at now; true means more drops in one
// second than rate allows (the client is to be disconnected).
func (l *inputLimiter) abused(now time.Time, rate int) bool {
	if now.Sub(l.windowStart) >= time.Second {
		l.windowStart, l.windowDrops = now, 0
	}
	l.windowDrops++
	if l.windowDrops > rate {
		l.windowDrops = 0
		return true
	}
	return false
}
