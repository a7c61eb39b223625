package rooms

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomcast/roomcast/tick"
)

// Server holds room types, rooms, seats and the lobby of one process.
type Server struct {
	cfg      Config
	log      *slog.Logger
	clock    tick.Clock
	registry Registry
	dir      Directory // nil: one process
	tokens   *tokenTable
	lobby    *lobby
	stats    counters
	// ipCreates rate-limits room creation per remote address.
	ipCreates *ipBuckets
	// lists caches rooms.list's snapshots; listRefused and listAbused
	// are its two refusals (made once: a refusal does no other work).
	lists                   *listCache
	listRefused, listAbused *Error

	ctx    context.Context // cancelled by Shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup // room goroutines and the lobby

	randMu sync.Mutex // guards cfg.Rand
	rnd    io.Reader

	mu           sync.RWMutex // guards types, rooms, stopped, shuttingDown
	types        map[string]*roomType
	rooms        map[string]*Room
	stopped      map[string]time.Time // with a Directory: ids of stopped rooms (noteStoppedLocked)
	shuttingDown bool
}

// NewServer validates cfg and returns a Server. Call Shutdown to stop it.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock, registry: cfg.Registry, dir: cfg.Directory,
		tokens: newTokenTable(cfg.TokenMemory),
		ctx:    ctx, cancel: cancel,
		rnd:       cfg.Rand,
		ipCreates: newIPBuckets(cfg.IPCreateRate, cfg.LimitLoopback),
		lists:     newListCache(),
		listRefused: &Error{Code: CodeRateLimited, Message: fmt.Sprintf(
			"rooms.list and lobby.subscribe: more than %g requests a second on this connection", cfg.ListRate.PerSecond)},
		listAbused: &Error{Code: CodeRateLimited, Disconnect: true, Message: fmt.Sprintf(
			"rooms.list and lobby.subscribe: more than %d refused requests in a second; closing the connection", cfg.ListAbuse)},
		types:   map[string]*roomType{},
		rooms:   map[string]*Room{},
		stopped: map[string]time.Time{},
	}
	if s.rnd == nil {
		s.rnd = rand.Reader
	}
	s.lobby = newLobby(s)
	if s.dir != nil {
		s.dir.Bind(serverLocal{s})
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.lobby.run(ctx)
	}()
	return s, nil
}

// Define registers a room type: newGame returns the game code of each new
// room of the type. Settings' zero fields take their defaults.
func (s *Server) Define(name string, newGame func() Game, settings Settings) error {
	if name == "" {
		return fmt.Errorf("rooms: Define: empty room type name")
	}
	if newGame == nil {
		return fmt.Errorf("rooms: Define %q: nil game constructor", name)
	}
	settings = settings.withDefaults()
	if err := settings.Validate(); err != nil {
		return fmt.Errorf("rooms: Define %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.types[name]; dup {
		return fmt.Errorf("rooms: Define %q: already defined", name)
	}
	s.types[name] = &roomType{name: name, newGame: newGame, settings: settings}
	return nil
}

// Connect registers a new connection; its transport adapter then calls the
// Session's request methods (Join, Resume, Input, Message, Leave, List,
// SubscribeLobby) for the client's requests and Session.Close when the
// connection is gone.
func (s *Server) Connect(conn Conn, info ConnInfo) *Session {
	return &Session{srv: s, conn: conn, info: info}
}

// Room returns a live room of this process by id (nil if none). Its
// methods other than ID, Name and Listing must only be used from its own
// hooks; use Do to run code on the room goroutine.
func (s *Server) Room(id string) *Room {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rooms[id]
}

// Rooms lists the live rooms of this process.
func (s *Server) Rooms() []*Room {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// Drain stops matchmaking (every join fails with server_shutting_down)
// while the rooms go on: seated players keep playing and dropped ones can
// still resume. Call Shutdown when the drain deadline passes.
func (s *Server) Drain() {
	s.mu.Lock()
	s.shuttingDown = true
	s.mu.Unlock()
}

// Shutdown stops matchmaking, disposes every room (clients get room.left
// with code "shutdown", games get OnLeave and OnDispose) and waits for the
// room goroutines, or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rooms: shutdown: %w", ctx.Err())
	}
}

// draining reports whether Drain or Shutdown was called.
func (s *Server) draining() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.shuttingDown
}

func (s *Server) randomID(n int) string {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return randomID(s.rnd, n)
}

func (s *Server) roomType(name string) (*roomType, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shuttingDown {
		return nil, ErrShuttingDown
	}
	t := s.types[name]
	if t == nil {
		return nil, errorf(CodeUnknownRoomType, "no room type %q", name)
	}
	return t, nil
}

// forget removes a disposed room from the server's map.
func (s *Server) forget(r *Room) {
	s.mu.Lock()
	delete(s.rooms, r.id)
	s.noteStoppedLocked(r.id)
	s.mu.Unlock()
}

// counters are the server's running counters.
type counters struct {
	inputsStale      atomic.Uint64
	inputsDropped    atomic.Uint64
	framesDropped    atomic.Uint64
	snapshotsSent    atomic.Uint64
	deltasSent       atomic.Uint64
	slowDisconnects  atomic.Uint64
	abuseDisconnects atomic.Uint64
	resumeReplays    atomic.Uint64
	resumeSnapshots  atomic.Uint64
	resumeFailures   atomic.Uint64
	roomPanics       atomic.Uint64
	roomsCreated     atomic.Uint64
	roomsDisposed    atomic.Uint64
	roomPauses       atomic.Uint64
	createsLimited   atomic.Uint64
	listsLimited     atomic.Uint64
}

// Stats are the server's counters (monotonic except Rooms).
type Stats struct {
	Rooms            int    // live rooms now
	RoomsCreated     uint64 // rooms created
	RoomsDisposed    uint64 // rooms disposed (any reason)
	RoomPanics       uint64 // rooms disposed because game code panicked
	InputsStale      uint64 // inputs ignored because their seq did not increase
	InputsDropped    uint64 // inputs dropped: rate, size, full inbox, malformed, no seat
	FramesDropped    uint64 // state frames a full send queue did not take
	SnapshotsSent    uint64
	DeltasSent       uint64
	SlowDisconnects  uint64 // clients disconnected after SlowConsumerTimeout of drops
	AbuseDisconnects uint64 // clients disconnected for flooding inputs, or rooms.list and lobby.subscribe (Config.ListAbuse)
	ResumeReplays    uint64 // resumes served by replaying deltas
	ResumeSnapshots  uint64 // resumes served with a snapshot (every resume without a tick or with tick 0)
	ResumeFailures   uint64 // resume requests refused (unknown, used, expired token)
	RoomPauses       uint64 // times a room paused because every seat was in grace
	CreatesLimited   uint64 // room creations refused with rate_limited
	ListsLimited     uint64 // rooms.list and lobby.subscribe refused with rate_limited
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.RLock()
	n := len(s.rooms)
	s.mu.RUnlock()
	c := &s.stats
	return Stats{
		Rooms: n, RoomsCreated: c.roomsCreated.Load(), RoomsDisposed: c.roomsDisposed.Load(),
		RoomPanics: c.roomPanics.Load(), InputsStale: c.inputsStale.Load(), InputsDropped: c.inputsDropped.Load(),
		FramesDropped: c.framesDropped.Load(), SnapshotsSent: c.snapshotsSent.Load(), DeltasSent: c.deltasSent.Load(),
		SlowDisconnects: c.slowDisconnects.Load(), AbuseDisconnects: c.abuseDisconnects.Load(),
		ResumeReplays: c.resumeReplays.Load(), ResumeSnapshots: c.resumeSnapshots.Load(), ResumeFailures: c.resumeFailures.Load(),
		RoomPauses: c.roomPauses.Load(), CreatesLimited: c.createsLimited.Load(), ListsLimited: c.listsLimited.Load(),
	}
}
