package rooms

import "sync"

// matchEntry is what matchmaking knows of a room, guarded by its room
// type's mutex: seat accounting (reserved by the joining request, under
// that lock, so a room is never overfilled), and whether matchmaking may
// pick the room at all.
type matchEntry struct {
	seats     int  // reserved and held seats (dropped clients' included)
	locked    bool // Room.Lock: no new clients
	private   bool // only joinById reaches it
	disposing bool // going away: never picked again
	inOpen    bool // in roomType.open
	clients   int  // clients in the last flushed listing
	meta      map[string]any
}

// roomType is a registered type and its matchmaking state.
type roomType struct {
	name     string
	newGame  func() Game
	settings Settings

	// mu guards the matchEntry of every room of the type, rooms and open.
	// Taken before Server.mu (and Server.randMu), never after; the token
	// table's lock is never taken under it.
	mu    sync.Mutex
	rooms []*Room // live, creation order
	open  []*Room // live rooms with a free seat (matchmaking candidates)
}

// openLocked keeps r in t.open exactly while it has a free seat.
func (t *roomType) openLocked(r *Room) {
	want := !r.match.disposing && r.match.seats < t.settings.MaxClients
	if want == r.match.inOpen {
		return
	}
	r.match.inOpen = want
	if want {
		t.open = append(t.open, r)
		return
	}
	for i, x := range t.open {
		if x == r {
			t.open = append(t.open[:i], t.open[i+1:]...)
			return
		}
	}
}

// joinableLocked reports whether r can take a matchmaking joiner with options
// opts (t.mu held).
func (t *roomType) joinableLocked(r *Room, opts Options) bool {
	if r.match.disposing || r.match.locked || r.match.private || r.match.seats >= t.settings.MaxClients {
		return false
	}
	for _, k := range t.settings.FilterBy {
		if v, ok := opts[k]; ok && !valuesEqual(r.match.meta[k], v) {
			return false
		}
	}
	return true
}

// reserve finds or creates a room for a joiner and reserves a seat in it;
// mayCreate, called only when a room is to be created, can refuse.
func (s *Server) reserve(name string, opts Options, mode JoinMode, mayCreate func() error) (*Room, error) {
	t, err := s.roomType(name)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if mode != Create {
		for _, r := range t.open {
			if t.joinableLocked(r, opts) {
				r.match.seats++
				t.openLocked(r)
				return r, nil
			}
		}
		if mode == JoinExisting {
			return nil, errorf(CodeRoomNotFound, "no %q room to join with these options", name)
		}
	}
	if err := mayCreate(); err != nil {
		return nil, err
	}
	r, err := s.createRoomLocked(t, "", opts)
	if err != nil {
		return nil, err
	}
	r.match.seats = 1
	t.openLocked(r)
	return r, nil
}

// reserveByID reserves a seat in room id.
func (s *Server) reserveByID(id string) (*Room, error) {
	s.mu.RLock()
	r, down := s.rooms[id], s.shuttingDown
	s.mu.RUnlock()
	if down {
		return nil, ErrShuttingDown
	}
	if r == nil {
		return nil, errorf(CodeRoomNotFound, "no room %q", id)
	}
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case r.match.disposing:
		return nil, errorf(CodeRoomNotFound, "no room %q", id)
	case r.match.locked:
		return nil, errorf(CodeRoomLocked, "room %q is locked", id)
	case r.match.seats >= t.settings.MaxClients:
		return nil, errorf(CodeRoomFull, "room %q is full", id)
	}
	r.match.seats++
	t.openLocked(r)
	return r, nil
}

// createRoomLocked creates and starts room id ("": a new random id) (t.mu
// held). The room runs OnCreate on its goroutine before anything else.
func (s *Server) createRoomLocked(t *roomType, id string, opts Options) (*Room, error) {
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		return nil, ErrShuttingDown
	}
	if s.cfg.MaxRooms > 0 && len(s.rooms) >= s.cfg.MaxRooms {
		s.mu.Unlock()
		return nil, errorf(CodeCreateFailed, "too many rooms (%d)", s.cfg.MaxRooms)
	}
	if id == "" {
		id = s.randomID(9)
	}
	r := newRoom(s, t, id, opts)
	s.rooms[r.id] = r
	s.wg.Add(1)
	s.mu.Unlock()
	t.rooms = append(t.rooms, r)
	go r.run()
	return r, nil
}

// listingLocked builds the listing (t.mu held); clients < 0 means use seats.
func (r *Room) listingLocked(clients int) Listing {
	if clients < 0 {
		clients = r.match.seats
	}
	return Listing{
		ID: r.id, Name: r.typ.name, Clients: clients, MaxClients: r.settings.MaxClients,
		Locked: r.match.locked, Private: r.match.private, Metadata: r.match.meta, CreatedAt: r.created,
	}
}

// releaseSeat gives one seat back; an empty room is marked for disposal
// unless KeepWhenEmpty.
func (r *Room) releaseSeat() {
	t := r.typ
	t.mu.Lock()
	r.match.seats--
	t.openLocked(r)
	t.mu.Unlock()
	if r.srv.dir != nil {
		r.srv.dir.Release(r.id)
	}
}

// autoDisposeDue marks an empty room disposing (so matchmaking skips it)
// and reports whether to dispose it now.
func (r *Room) autoDisposeDue() bool {
	if r.settings.KeepWhenEmpty {
		return false
	}
	if r.srv.dir != nil {
		r.clusterDisposeDue()
		return false
	}
	t := r.typ
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.match.seats == 0 && !r.match.disposing {
		r.match.disposing = true
		t.openLocked(r)
		return true
	}
	return false
}

// markDisposing takes the room out of matchmaking for good.
func (r *Room) markDisposing() {
	t := r.typ
	t.mu.Lock()
	r.match.disposing = true
	t.openLocked(r)
	t.mu.Unlock()
}

// flushListing publishes the listing (registry and lobby) if it changed.
func (r *Room) flushListing() {
	if !r.listingDirty {
		return
	}
	r.listingDirty = false
	t := r.typ
	t.mu.Lock()
	l := r.listingLocked(len(r.clients))
	r.match.clients = len(r.clients)
	t.mu.Unlock()
	if err := r.srv.registry.Put(r.srv.ctx, l); err != nil {
		r.log.Warn("rooms: registry put failed", "err", err)
	}
	r.listed = true
	r.srv.lobby.changed(l)
}
