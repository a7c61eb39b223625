package rooms

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingRegistry counts List calls of a MemoryRegistry.
type countingRegistry struct {
	*MemoryRegistry
	lists atomic.Int64
}

func (r *countingRegistry) List(ctx context.Context, q Query) ([]Listing, error) {
	r.lists.Add(1)
	return r.MemoryRegistry.List(ctx, q)
}

// Connections listing the same query within a tick share one read of the
// registry; a later call, or another query, reads again; a room created
// meanwhile is listed once the snapshot is older than a tick.
func TestListSnapshotPerQueryShape(t *testing.T) {
	bubble(t, func(t *testing.T) {
		reg := &countingRegistry{MemoryRegistry: NewMemoryRegistry()}
		srv := limitServer(t, Config{Registry: reg, CreateRate: Rate{PerSecond: -1}, IPCreateRate: Rate{PerSecond: -1}, ListRate: Rate{PerSecond: -1}})
		for i := range 3 {
			clientFrom(t, srv, fmt.Sprint(i), "").mustJoin(EventCreate, "counter", nil)
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		listers := []*tclient{clientFrom(t, srv, "l1", ""), clientFrom(t, srv, "l2", ""), clientFrom(t, srv, "l3", "")}
		before := reg.lists.Load()
		for _, c := range listers {
			require.Len(t, c.call(EventList, map[string]any{"name": "counter"})["rooms"], 3)
		}
		assert.Equal(t, before+1, reg.lists.Load(), "three calls of one query within a tick read the registry once")

		listers[0].call(EventList, map[string]any{"name": "counter", "filter": map[string]any{"mode": "ctf"}})
		listers[0].call(EventList, nil)
		assert.Equal(t, before+3, reg.lists.Load(), "other query shapes read on their own")

		clientFrom(t, srv, "late", "").mustJoin(EventCreate, "counter", nil)
		synctest.Wait()
		time.Sleep(listSnapshotTTL)
		synctest.Wait()
		require.Len(t, listers[1].call(EventList, map[string]any{"name": "counter"})["rooms"], 4, "a snapshot lives one tick")
		assert.Equal(t, before+4, reg.lists.Load())
	})
}

// Pages of one snapshot share the wire form of each listing: it is built
// once, whoever asks.
func TestListPageWireIsBuiltOnce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{CreateRate: Rate{PerSecond: -1}, IPCreateRate: Rate{PerSecond: -1}, ListRate: Rate{PerSecond: -1}})
		for i := range 5 {
			clientFrom(t, srv, fmt.Sprint(i), "").mustJoin(EventCreate, "counter", nil)
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		var built atomic.Int64
		build := func(l *Listing) any {
			built.Add(1)
			return map[string]any{"roomId": l.ID}
		}
		a, b := clientFrom(t, srv, "a", ""), clientFrom(t, srv, "b", "")
		pa, err := a.sess.List(ListRequest{Limit: 3})
		require.NoError(t, err)
		pb, err := b.sess.List(ListRequest{})
		require.NoError(t, err)
		wa, wb := pa.Wire(build), pb.Wire(build)
		require.Len(t, wa, 3)
		require.Len(t, wb, 5)
		assert.Equal(t, int64(5), built.Load(), "each listing built once")
		for i := range wa {
			assert.Equal(t, reflect.ValueOf(wa[i]).Pointer(), reflect.ValueOf(wb[i]).Pointer(), "shared value %d", i)
			assert.Equal(t, pa.Rooms[i].ID, wa[i].(map[string]any)["roomId"])
		}
		next, err := a.sess.List(ListRequest{Limit: 3, Cursor: pa.Next})
		require.NoError(t, err)
		require.Len(t, next.Wire(build), 2)
		assert.Equal(t, int64(5), built.Load())
		assert.Empty(t, next.Next)
	})
}

func TestQueryKey(t *testing.T) {
	long := strings.Repeat("x", maxListKey)
	for _, tc := range []struct {
		name   string
		a, b   Query
		same   bool
		cached bool
	}{
		{"same shape", Query{Name: "arena", Filter: map[string]any{"a": "1", "b": int64(2)}}, Query{Name: "arena", Filter: map[string]any{"b": int64(2), "a": "1"}}, true, true},
		{"other name", Query{Name: "arena"}, Query{Name: "arena2"}, false, true},
		{"value types differ", Query{Filter: map[string]any{"a": "1"}}, Query{Filter: map[string]any{"a": int64(1)}}, false, true},
		{"quoting", Query{Filter: map[string]any{"a": "1 \"b\"=x"}}, Query{Filter: map[string]any{"a": "1", "b": "x"}}, false, true},
		{"nil filter is empty", Query{Name: "x"}, Query{Name: "x", Filter: map[string]any{}}, true, true},
		{"nested value", Query{Filter: map[string]any{"a": map[string]any{}}}, Query{}, false, false},
		{"too long", Query{Name: long + "y"}, Query{}, false, false},
		{"long filter", Query{Filter: map[string]any{"k": long}}, Query{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ka, ok := queryKey(tc.a)
			require.Equal(t, tc.cached, ok)
			if !tc.cached {
				return
			}
			kb, _ := queryKey(tc.b)
			assert.Equal(t, tc.same, ka == kb, "%q vs %q", ka, kb)
		})
	}
}

// More query shapes than maxListShapes in one tick: the extra ones are
// read uncached, and the cache does not grow past its bound.
func TestListCacheIsBounded(t *testing.T) {
	c := newListCache()
	var reads int
	read := func(Query) ([]Listing, error) { reads++; return nil, nil }
	now := time.Unix(1000, 0)
	for i := range maxListShapes + 10 {
		_, err := c.get(Query{Name: fmt.Sprint(i)}, now, read)
		require.NoError(t, err)
	}
	assert.Equal(t, maxListShapes+10, reads)
	assert.Len(t, c.entries, maxListShapes)
	_, err := c.get(Query{Name: "later"}, now.Add(listSnapshotTTL), read)
	require.NoError(t, err)
	assert.Len(t, c.entries, 1, "expired shapes are swept when the cache is full")
}

// A registry error is not cached.
func TestListCacheDoesNotKeepErrors(t *testing.T) {
	c := newListCache()
	fail := true
	read := func(Query) ([]Listing, error) {
		if fail {
			return nil, fmt.Errorf("registry down")
		}
		return []Listing{{ID: "a"}}, nil
	}
	now := time.Unix(1000, 0)
	_, err := c.get(Query{}, now, read)
	require.Error(t, err)
	fail = false
	e, err := c.get(Query{}, now, read)
	require.NoError(t, err)
	assert.Len(t, e.ls, 1)
}

// BenchmarkListPage is one rooms.list call of the first page (100 rooms)
// with 5 000 public rooms listed, as a listing loop makes it: "snapshot"
// is the server's path (a snapshot per query shape and tick, the wire
// form built once), "read each call" copies and sorts the registry and
// builds the page's wire form every time (the path before snapshots).
func BenchmarkListPage(b *testing.B) {
	srv, err := NewServer(Config{Logger: discardLogger(), ListRate: Rate{PerSecond: -1}})
	require.NoError(b, err)
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	created := time.Unix(1_700_000_000, 0)
	for i := range 5000 {
		require.NoError(b, srv.registry.Put(context.Background(), Listing{
			ID: fmt.Sprintf("room%05d", i), Name: "arena", Clients: i % 8, MaxClients: 8,
			Metadata: map[string]any{"mode": "duel"}, CreatedAt: created.Add(time.Duration(i) * time.Millisecond),
		}))
	}
	build := func(l *Listing) any {
		return map[string]any{"roomId": l.ID, "name": l.Name, "clients": int64(l.Clients), "maxClients": int64(l.MaxClients), "metadata": l.Metadata}
	}
	q := Query{Name: "arena"}
	b.Run("snapshot", func(b *testing.B) {
		sess := srv.Connect(&nullConn{}, ConnInfo{})
		b.ReportAllocs()
		for b.Loop() {
			page, err := sess.List(ListRequest{Query: q})
			if err != nil || len(page.Wire(build)) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("read each call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page := readSnapshot(q, time.Now(), srv.readListings).page(listCursor{}, false, 100)
			page.snap = nil // build the wire form anew, as every call did
			if len(page.Wire(build)) != 100 {
				b.Fatal("short page")
			}
		}
	})
}

// BenchmarkListRefused is a rooms.list over the connection's rate: the
// refusal a listing loop gets (no allocation, no registry read).
func BenchmarkListRefused(b *testing.B) {
	srv, err := NewServer(Config{Logger: discardLogger(), ListRate: Rate{PerSecond: 0.001, Burst: 1}, ListAbuse: -1})
	require.NoError(b, err)
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	sess := srv.Connect(&nullConn{}, ConnInfo{})
	_, _ = sess.List(ListRequest{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sess.List(ListRequest{}); err == nil {
			b.Fatal("not refused")
		}
	}
}
