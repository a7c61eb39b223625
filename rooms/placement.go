package rooms

import (
	"context"
	"errors"
	"time"
)

// Placement across nodes (Config.Directory set): joins reserve their seat
// in the Directory, then take it here or are redirected; claims take a
// seat reserved by another node; empty rooms ask the Directory before they
// go.

// directoryTimeout bounds one request to the Directory made for a client.
const directoryTimeout = 5 * time.Second

// disposeRetry is how long an empty room waits before it asks the
// Directory again after a seat was reserved in it meanwhile.
const disposeRetry = time.Second

// stoppedMemory is how long the ids of this node's stopped rooms are
// remembered, so that a reservation racing with a room's removal never
// starts a second room under the same id.
const stoppedMemory = time.Minute

// joinPlaced is Session.Join with a Directory.
func (s *Session) joinPlaced(req JoinRequest, done func(Seat, error)) {
	dir := s.srv.dir
	res := Reservation{Mode: req.Mode, Name: req.Name, RoomID: req.RoomID, JoinOptions: req.Options}
	var t *roomType
	if req.Mode != JoinByID {
		var err error
		if t, err = s.srv.roomType(req.Name); err != nil {
			done(Seat{}, err)
			return
		}
		res.Filter = map[string]any{}
		for _, k := range t.settings.FilterBy {
			if v, ok := req.Options[k]; ok {
				res.Filter[k] = v
			}
		}
	} else if s.srv.draining() {
		done(Seat{}, ErrShuttingDown)
		return
	}
	if !s.startPending() {
		done(Seat{}, ErrAlreadyInRoom)
		return
	}
	fail := func(err error) {
		s.endSeat(nil)
		done(Seat{}, asError(err, CodeInternal))
	}
	ctx, cancel := context.WithTimeout(s.srv.ctx, directoryTimeout)
	defer cancel()
	wantCreate := func() error {
		if err := s.mayCreate(); err != nil {
			return err
		}
		res.Create = true
		res.NewRoomID = s.srv.randomID(9)
		res.MaxClients = t.settings.MaxClients
		res.Private = t.settings.Private
		res.Metadata = initialMetadata(t.settings, req.Options)
		res.CreateOptions = req.Options
		return nil
	}
	if req.Mode == Create {
		if err := wantCreate(); err != nil {
			fail(err)
			return
		}
	}
	p, err := dir.Reserve(ctx, res)
	if errors.Is(err, ErrNeedCreate) && req.Mode == JoinOrCreate && !res.Create {
		if err = wantCreate(); err == nil {
			p, err = dir.Reserve(ctx, res)
		}
	}
	if errors.Is(err, ErrNeedCreate) {
		err = errorf(CodeRoomNotFound, "no %q room to join with these options", req.Name)
	}
	if err != nil {
		fail(err)
		return
	}
	if p.NodeID != dir.NodeID() {
		s.endSeat(nil)
		done(Seat{}, &Error{Code: CodeRedirect, Message: "the seat is on another node: claim it there",
			Redirect: &Redirect{URL: p.URL, Claim: p.Claim, RoomID: p.RoomID}})
		return
	}
	s.seatPlaced(p, req.Options, done)
}

// Claim takes a seat another node reserved for this connection on this
// node (rooms.claim): the room is created here first if the reservation
// created it. done runs once with the seat or an *Error (bad_request,
// claim_invalid, unavailable, already_in_room, and the errors of a join).
// Without a Directory every claim is invalid.
func (s *Session) Claim(claim string, done func(Seat, error)) {
	done = onceSeat(done)
	dir := s.srv.dir
	if claim == "" {
		done(Seat{}, errorf(CodeBadRequest, "rooms.claim({claim}): claim must be a non-empty string"))
		return
	}
	if dir == nil {
		done(Seat{}, errorf(CodeClaimInvalid, "this server is not part of a cluster"))
		return
	}
	if s.srv.draining() {
		done(Seat{}, ErrShuttingDown)
		return
	}
	if !s.startPending() {
		done(Seat{}, ErrAlreadyInRoom)
		return
	}
	ctx, cancel := context.WithTimeout(s.srv.ctx, directoryTimeout)
	defer cancel()
	p, err := dir.Claim(ctx, claim)
	if err != nil {
		s.endSeat(nil)
		done(Seat{}, asError(err, CodeInternal))
		return
	}
	s.seatPlaced(p, p.JoinOptions, done)
}

// seatPlaced takes a seat the Directory reserved on this node: the room
// (created here if it does not run yet) gets the join.
func (s *Session) seatPlaced(p Placement, opts Options, done func(Seat, error)) {
	r, err := s.srv.placedRoom(p)
	if err != nil {
		s.srv.dir.Release(p.RoomID)
		if s.srv.Room(p.RoomID) == nil {
			// A room reserved here that cannot run here (no capacity
			// left, shutting down): its record goes unless another seat
			// is reserved in it.
			s.srv.dir.DisposeIfEmpty(p.RoomID, func(bool) {})
		}
		s.endSeat(nil)
		done(Seat{}, asError(err, CodeInternal))
		return
	}
	if opts == nil {
		opts = Options{}
	}
	if err := r.inbox.send(inboxMsg{kind: msgJoin, sess: s, payload: opts, seatDone: done}); err != nil {
		r.releaseSeat()
		s.endSeat(nil)
		done(Seat{}, err)
	}
}

// placedRoom returns room p.RoomID of this node with one more seat taken,
// creating it (once) if it does not run here yet.
func (s *Server) placedRoom(p Placement) (*Room, error) {
	t, err := s.roomType(p.Name)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s.mu.RLock()
	r := s.rooms[p.RoomID]
	_, stopped := s.stopped[p.RoomID]
	s.mu.RUnlock()
	if r == nil {
		if stopped {
			return nil, errorf(CodeRoomNotFound, "room %q was disposed", p.RoomID)
		}
		opts := p.CreateOptions
		if opts == nil {
			opts = Options{}
		}
		if r, err = s.createRoomLocked(t, p.RoomID, opts); err != nil {
			return nil, err
		}
		if !p.Created.IsZero() {
			r.created = p.Created
		}
	} else if r.typ != t || r.match.disposing {
		return nil, errorf(CodeRoomNotFound, "no room %q", p.RoomID)
	} else if r.match.locked {
		// Room.Lock reaches the Directory through the ordered write
		// queue, so a seat may be reserved there just after the room was
		// locked here: this node, which holds the room, has the last
		// word, and a locked room seats nobody new (the caller gives the
		// reserved seat back).
		return nil, errorf(CodeRoomLocked, "room %q was locked while the seat was reserved; join again", p.RoomID)
	}
	r.match.seats++
	t.openLocked(r)
	return r, nil
}

// clusterDisposeDue asks the Directory whether an empty room may go (its
// answer disposes the room on its goroutine). Room goroutine.
func (r *Room) clusterDisposeDue() {
	t := r.typ
	t.mu.Lock()
	ask := r.match.seats == 0 && !r.match.disposing && !r.disposeAsked && !r.srv.clock.Now().Before(r.disposeNext)
	if ask {
		r.disposeAsked = true
	}
	t.mu.Unlock()
	if !ask {
		return
	}
	r.srv.dir.DisposeIfEmpty(r.id, func(disposed bool) {
		if !r.Do(func(r *Room) { r.disposeAnswered(disposed) }) {
			r.log.Debug("rooms: dispose answer for a stopped room")
		}
	})
}

// disposeAnswered acts on the Directory's answer to DisposeIfEmpty.
func (r *Room) disposeAnswered(disposed bool) {
	t := r.typ
	t.mu.Lock()
	r.disposeAsked = false
	seats := r.match.seats
	if !disposed {
		r.disposeNext = r.srv.clock.Now().Add(disposeRetry)
	} else {
		r.match.disposing = true
		t.openLocked(r)
	}
	t.mu.Unlock()
	if !disposed {
		return
	}
	if seats > 0 {
		r.log.Warn("rooms: the directory removed a room that holds seats here; disposing it", "seats", seats)
	}
	r.Dispose()
}

// initialMetadata is a new room's metadata: the type's, plus the
// creating options' values of its FilterBy keys.
func initialMetadata(st Settings, opts Options) map[string]any {
	meta := cloneMap(st.Metadata)
	for _, k := range st.FilterBy {
		if v, ok := opts[k]; ok {
			if meta == nil {
				meta = map[string]any{}
			}
			meta[k] = v
		}
	}
	return meta
}

// newToken is a new reconnection token: in a cluster, prefixed with the
// node id.
func (s *Server) newToken() string {
	tok := s.randomID(16)
	if s.dir != nil {
		return s.dir.NodeID() + "." + tok
	}
	return tok
}

// resumeElsewhere answers a resume whose token names another node: a
// redirect to it, or node_gone.
func (s *Session) resumeElsewhere(node string, done func(Seat, error)) {
	ctx, cancel := context.WithTimeout(s.srv.ctx, directoryTimeout)
	defer cancel()
	url, err := s.srv.dir.NodeURL(ctx, node)
	if err != nil {
		done(Seat{}, asError(err, CodeInternal))
		return
	}
	done(Seat{}, &Error{Code: CodeRedirect, Message: "the seat is on another node: resume there", Redirect: &Redirect{URL: url}})
}

// noteStopped remembers a stopped room's id (s.mu held).
func (s *Server) noteStoppedLocked(id string) {
	if s.dir == nil {
		return
	}
	now := s.clock.Now()
	for id, at := range s.stopped {
		if now.Sub(at) > stoppedMemory {
			delete(s.stopped, id)
		}
	}
	s.stopped[id] = now
}
