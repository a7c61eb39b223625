package rooms

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Listing is what is known of a room outside its goroutine: listed by
// rooms.list and the lobby, looked up by joinById.
type Listing struct {
	ID         string         `json:"roomId"`
	Name       string         `json:"name"`
	Clients    int            `json:"clients"`
	MaxClients int            `json:"maxClients"`
	Locked     bool           `json:"locked"`
	Private    bool           `json:"private"`
	Metadata   map[string]any `json:"metadata"`
	CreatedAt  time.Time      `json:"-"`
}

// Query selects listings.
type Query struct {
	Name           string         // room type; "" = any
	Filter         map[string]any // metadata equality; nil = any
	IncludePrivate bool
}

// Match reports whether l is selected by q.
func (q Query) Match(l *Listing) bool {
	return (q.Name == "" || q.Name == l.Name) &&
		(q.IncludePrivate || !l.Private) &&
		matchFilter(l.Metadata, q.Filter)
}

// Registry is where rooms are listed. The rooms of this process write their
// listing on every change (at most once per tick) and remove it when they
// are disposed; rooms.list and the lobby's first list read it. Seats are
// not its business (in one process the room types count them; across
// nodes a Directory, which is also the Registry, does). Put and Remove are called on room
// goroutines (at most once per tick per room), so they must be quick: a
// networked implementation should buffer and write asynchronously.
// Implementations must be safe for concurrent use; Listing values passed in must not be retained by reference to
// Metadata beyond the call's contract (they are not modified afterwards).
type Registry interface {
	// Put adds or replaces a listing.
	Put(ctx context.Context, l Listing) error
	// Remove deletes a listing (no error if absent).
	Remove(ctx context.Context, roomID string) error
	// Get returns a listing or ErrRoomNotFound.
	Get(ctx context.Context, roomID string) (Listing, error)
	// List returns the listings q selects, oldest first.
	List(ctx context.Context, q Query) ([]Listing, error)
}

// MemoryRegistry is the in-process Registry (the default).
type MemoryRegistry struct {
	mu    sync.RWMutex // guards rooms
	rooms map[string]Listing
}

// NewMemoryRegistry returns an empty MemoryRegistry.
func NewMemoryRegistry() *MemoryRegistry {
	return &MemoryRegistry{rooms: map[string]Listing{}}
}

// Put implements Registry.
func (m *MemoryRegistry) Put(_ context.Context, l Listing) error {
	m.mu.Lock()
	m.rooms[l.ID] = l
	m.mu.Unlock()
	return nil
}

// Remove implements Registry.
func (m *MemoryRegistry) Remove(_ context.Context, id string) error {
	m.mu.Lock()
	delete(m.rooms, id)
	m.mu.Unlock()
	return nil
}

// Get implements Registry.
func (m *MemoryRegistry) Get(_ context.Context, id string) (Listing, error) {
	m.mu.RLock()
	l, ok := m.rooms[id]
	m.mu.RUnlock()
	if !ok {
		return Listing{}, ErrRoomNotFound
	}
	return l, nil
}

// List implements Registry.
func (m *MemoryRegistry) List(_ context.Context, q Query) ([]Listing, error) {
	m.mu.RLock()
	out := make([]Listing, 0, len(m.rooms))
	for _, l := range m.rooms {
		if q.Match(&l) {
			out = append(out, l)
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Listing) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out, nil
}

var _ Registry = (*MemoryRegistry)(nil)
