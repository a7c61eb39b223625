package rooms

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// listSnapshotTTL is how long a snapshot of the public listings serves
// rooms.list pages: one tick at the default 20 Hz. Listings themselves
// change at most once per tick of their room.
const listSnapshotTTL = 50 * time.Millisecond

// maxListShapes bounds the query shapes cached at once; queries beyond it
// read the registry themselves (uncached, still within the list rate).
const maxListShapes = 64

// maxListKey bounds the length of a cached query shape's key; longer
// queries (a large filter) are not cached.
const maxListKey = 256

// listCache caches the public listings of each query shape (room type and
// filter) for listSnapshotTTL. Clients listing in a loop then read the
// registry (a copy and sort of every matching listing, under the lock the
// room goroutines take to publish theirs) at most once per shape and
// TTL, not once a call, and every page is a slice of a shared snapshot
// whose wire form is built once (ListPage.Wire).
type listCache struct {
	mu      sync.Mutex // guards entries
	entries map[string]*listSnapshot
}

// listSnapshot is the sorted listings of one query at one time.
type listSnapshot struct {
	at    time.Time
	ready chan struct{} // closed once ls and err are set
	ls    []Listing     // oldest first (CreatedAt, then ID)
	err   error

	wireMu sync.Mutex // guards wire's nil entries
	wire   []any      // ListPage.Wire's values, built on first use
}

func newListCache() *listCache { return &listCache{entries: map[string]*listSnapshot{}} }

// get returns the snapshot of q's listings, reading them with read when the
// cached one is older than listSnapshotTTL at now. Concurrent callers of
// one shape wait for a single read.
func (c *listCache) get(q Query, now time.Time, read func(Query) ([]Listing, error)) (*listSnapshot, error) {
	key, ok := queryKey(q)
	if !ok {
		return readSnapshot(q, now, read), nil
	}
	c.mu.Lock()
	if e := c.entries[key]; e != nil && now.Sub(e.at) < listSnapshotTTL {
		c.mu.Unlock()
		<-e.ready
		return e, e.err
	}
	e := &listSnapshot{at: now, ready: make(chan struct{})}
	if len(c.entries) >= maxListShapes {
		for k, old := range c.entries {
			if now.Sub(old.at) >= listSnapshotTTL {
				delete(c.entries, k)
			}
		}
	}
	cached := len(c.entries) < maxListShapes
	if cached {
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.ls, e.err = read(q)
	if e.err == nil {
		sortListings(e.ls)
	}
	close(e.ready)
	if e.err != nil && cached { // the next caller tries again
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e, e.err
}

func readSnapshot(q Query, now time.Time, read func(Query) ([]Listing, error)) *listSnapshot {
	e := &listSnapshot{at: now, ready: make(chan struct{})}
	e.ls, e.err = read(q)
	if e.err == nil {
		sortListings(e.ls)
	}
	close(e.ready)
	return e
}

// sortListings sorts oldest first, the order of rooms.list's pages and
// cursors.
func sortListings(ls []Listing) {
	slices.SortFunc(ls, func(a, b Listing) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// page cuts the page after cursor (at most limit rooms) out of the
// snapshot.
func (e *listSnapshot) page(after listCursor, hasCursor bool, limit int) ListPage {
	from := 0
	if hasCursor {
		from = sort.Search(len(e.ls), func(i int) bool { return after.before(&e.ls[i]) })
	}
	to := len(e.ls)
	p := ListPage{snap: e, from: from}
	if to-from > limit {
		to = from + limit
		p.Next = cursorOf(&e.ls[to-1])
	}
	p.Rooms = e.ls[from:to:to]
	return p
}

// wireOf returns build of the listings [from, from+n), building each at
// most once per snapshot.
func (e *listSnapshot) wireOf(from, n int, build func(*Listing) any) []any {
	e.wireMu.Lock()
	defer e.wireMu.Unlock()
	if e.wire == nil {
		e.wire = make([]any, len(e.ls))
	}
	for i := from; i < from+n; i++ {
		if e.wire[i] == nil {
			e.wire[i] = build(&e.ls[i])
		}
	}
	return e.wire[from : from+n : from+n]
}

// queryKey is the cache key of a query shape: its room type and its filter
// of scalar values, keys sorted. ok is false for a filter with other
// values or a key longer than maxListKey (such queries are not cached).
func queryKey(q Query) (string, bool) {
	if len(q.Name) > maxListKey {
		return "", false
	}
	var b strings.Builder
	b.WriteString(strconv.Quote(q.Name))
	keys := make([]string, 0, len(q.Filter))
	for k := range q.Filter {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		switch v := q.Filter[k].(type) {
		case nil:
			b.WriteString("nil")
		case string:
			b.WriteString(strconv.Quote(v))
		case bool, int64, uint64, float64, int:
			fmt.Fprintf(&b, "%T:%v", v, v)
		default:
			return "", false
		}
		if b.Len() > maxListKey {
			return "", false
		}
	}
	return b.String(), true
}

// readListings reads the public listings q selects from the registry.
func (s *Server) readListings(q Query) ([]Listing, error) {
	return s.registry.List(s.ctx, q)
}
