package rooms

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/tick"
)

// clientFrom is newClient with a remote address.
func clientFrom(t *testing.T, srv *Server, id, addr string) *tclient {
	fc := &fakeConn{id: id}
	s := srv.Connect(fc, ConnInfo{RemoteAddr: addr})
	fc.sess = s
	return &tclient{t: t, conn: fc, sess: s}
}

// limitServer is a server with type "counter" and cfg's limits.
func limitServer(t *testing.T, cfg Config) *Server {
	cfg.Logger = discardLogger()
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Define("counter", func() Game { return &counterGame{log: &eventLog{}} }, Settings{MaxClients: 2}))
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	return srv
}

// One connection creating rooms in a loop is refused with rate_limited
// after its burst, and again allowed once the rate refilled; the refusal
// creates no room. joinOrCreate that joins an existing room is not limited.
func TestCreateRatePerConnection(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{CreateRate: Rate{PerSecond: 1, Burst: 2}, IPCreateRate: Rate{PerSecond: -1}})
		c := clientFrom(t, srv, "a", "10.0.0.1:1000")
		for range 2 {
			c.mustJoin(EventCreate, "counter", nil)
			require.Equal(t, true, c.call(EventLeave)["ok"])
		}
		synctest.Wait() // the rooms left empty are disposed: joinOrCreate below has none to join
		assert.Equal(t, CodeRateLimited, errCode(c.call(EventCreate, "counter", nil)))
		assert.Equal(t, CodeRateLimited, errCode(c.call(EventJoinOrCreate, "counter", nil)), "joinOrCreate that creates")
		synctest.Wait()
		assert.Equal(t, uint64(2), srv.Stats().RoomsCreated)

		// A room with a free seat: joinOrCreate joins it without a token.
		other := clientFrom(t, srv, "b", "10.0.0.2:1000")
		other.mustJoin(EventCreate, "counter", nil)
		c.mustJoin(EventJoinOrCreate, "counter", nil)
		require.Equal(t, true, c.call(EventLeave)["ok"])

		time.Sleep(time.Second)
		c.mustJoin(EventCreate, "counter", nil)
	})
}

// Many connections from one address share its rate; another address is
// not affected, nor is loopback.
func TestCreateRatePerAddress(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{IPCreateRate: Rate{PerSecond: 1, Burst: 5}})
		codes := map[string]int{}
		for i := range 8 {
			c := clientFrom(t, srv, fmt.Sprint(i), fmt.Sprintf("192.0.2.7:%d", 4000+i))
			codes[errCode(c.call(EventCreate, "counter", nil))]++
		}
		assert.Equal(t, map[string]int{"": 5, CodeRateLimited: 3}, codes)
		clientFrom(t, srv, "x", "[2001:db8::1]:4000").mustJoin(EventCreate, "counter", nil)
		for i := range 8 { // loopback (a local proxy or bot swarm) is not limited per address
			clientFrom(t, srv, fmt.Sprint("l", i), fmt.Sprintf("127.0.0.1:%d", 4000+i)).mustJoin(EventCreate, "counter", nil)
		}
		time.Sleep(2 * time.Second)
		clientFrom(t, srv, "y", "192.0.2.7:5000").mustJoin(EventCreate, "counter", nil)
	})
}

// rooms.list returns at most MaxListRooms (or limit) rooms per page, oldest
// first, with a cursor that walks every room exactly once; a made-up
// cursor is bad_request.
func TestListPages(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{MaxListRooms: 4, CreateRate: Rate{PerSecond: -1}, IPCreateRate: Rate{PerSecond: -1}, ListRate: Rate{PerSecond: -1}})
		var ids []string
		for i := range 10 {
			ack := clientFrom(t, srv, fmt.Sprint(i), "").mustJoin(EventCreate, "counter", nil)
			ids = append(ids, ack["roomId"].(string))
			time.Sleep(time.Millisecond) // distinct creation times
		}
		synctest.Wait()
		c := clientFrom(t, srv, "lister", "")
		var got []string
		pages := 0
		cursor := ""
		for {
			arg := map[string]any{"limit": int64(3)}
			if cursor != "" {
				arg["cursor"] = cursor
			}
			m := c.call(EventList, arg)
			require.Equal(t, true, m["ok"], "%v", m)
			rs := m["rooms"].([]any)
			require.LessOrEqual(t, len(rs), 3)
			for _, r := range rs {
				got = append(got, r.(map[string]any)["roomId"].(string))
			}
			pages++
			next, _ := m["next"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		assert.Equal(t, ids, got)
		assert.Equal(t, 4, pages)

		m := c.call(EventList, nil)
		assert.Len(t, m["rooms"], 4, "capped at MaxListRooms")
		assert.NotEmpty(t, m["next"])
		assert.Equal(t, CodeBadRequest, errCode(c.call(EventList, map[string]any{"cursor": "nope"})))
	})
}

// msOrderRegistry lists like a registry that orders by creation time in
// milliseconds, then by id (package cluster's Redis sorted set).
type msOrderRegistry struct{ *MemoryRegistry }

func (r msOrderRegistry) List(ctx context.Context, q Query) ([]Listing, error) {
	ls, err := r.MemoryRegistry.List(ctx, q)
	slices.SortStableFunc(ls, func(a, b Listing) int {
		if c := cmp.Compare(a.CreatedAt.UnixMilli(), b.CreatedAt.UnixMilli()); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ls, err
}

// The pages of rooms.list walk every room exactly once even when the
// registry orders rooms created in the same millisecond differently from
// the cursor (creation time in nanoseconds, then id).
func TestListPagesAnyRegistryOrder(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{Registry: msOrderRegistry{NewMemoryRegistry()},
			CreateRate: Rate{PerSecond: -1}, IPCreateRate: Rate{PerSecond: -1}, ListRate: Rate{PerSecond: -1}})
		var ids []string
		for i := range 12 {
			ack := clientFrom(t, srv, fmt.Sprint(i), "").mustJoin(EventCreate, "counter", nil)
			ids = append(ids, ack["roomId"].(string))
			time.Sleep(time.Microsecond) // distinct times within one millisecond
		}
		synctest.Wait()
		c := clientFrom(t, srv, "lister", "")
		var got []string
		cursor := ""
		for range len(ids) {
			arg := map[string]any{"limit": int64(5)}
			if cursor != "" {
				arg["cursor"] = cursor
			}
			m := c.call(EventList, arg)
			require.Equal(t, true, m["ok"], "%v", m)
			for _, r := range m["rooms"].([]any) {
				got = append(got, r.(map[string]any)["roomId"].(string))
			}
			if cursor, _ = m["next"].(string); cursor == "" {
				break
			}
		}
		assert.Equal(t, ids, got, "every room once, oldest first")
	})
}

// rooms.list (and lobby.subscribe) past the connection's rate fail with
// rate_limited until the rate refilled.
func TestListRate(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{ListRate: Rate{PerSecond: 2, Burst: 3}})
		c := clientFrom(t, srv, "a", "")
		for range 3 {
			require.Equal(t, true, c.call(EventList, nil)["ok"])
		}
		assert.Equal(t, CodeRateLimited, errCode(c.call(EventList, nil)))
		assert.Equal(t, CodeRateLimited, errCode(c.call(EventLobbySubscribe, nil)))
		assert.Equal(t, true, clientFrom(t, srv, "b", "").call(EventList, nil)["ok"], "per connection")
		time.Sleep(500 * time.Millisecond)
		assert.Equal(t, true, c.call(EventList, nil)["ok"])
	})
}

// A connection that keeps calling rooms.list after its refusals (more than
// ListAbuse refused within a second) gets one last rate_limited answer
// that asks for the close, and is closed; one that keeps within that is
// refused but stays connected.
func TestListAbuseDisconnects(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{ListRate: Rate{PerSecond: 2, Burst: 2}, ListAbuse: 5})
		c := clientFrom(t, srv, "a", "")
		for range 2 {
			require.Equal(t, true, c.call(EventList, nil)["ok"])
		}
		for range 5 {
			m := c.call(EventList, nil)
			require.Equal(t, CodeRateLimited, errCode(m))
			require.False(t, c.conn.isClosed())
		}
		m := c.call(EventLobbySubscribe, nil) // shares the rule
		require.Equal(t, CodeRateLimited, errCode(m))
		assert.Contains(t, m["error"].(map[string]any)["message"], "closing the connection")
		assert.True(t, c.conn.isClosed(), "closed after the sixth refusal in a second")
		synctest.Wait()
		assert.Equal(t, uint64(1), srv.Stats().AbuseDisconnects)
		assert.Equal(t, uint64(6), srv.Stats().ListsLimited)

		// Four refusals a second for five seconds: refused, never closed.
		p := clientFrom(t, srv, "patient", "")
		refused := 0
		for range 5 {
			for range 6 {
				if errCode(p.call(EventList, nil)) == CodeRateLimited {
					refused++
				}
			}
			time.Sleep(time.Second)
		}
		assert.Positive(t, refused)
		assert.False(t, p.conn.isClosed())
		assert.Equal(t, uint64(1), srv.Stats().AbuseDisconnects)

		// ListAbuse < 0: never closed.
		never := limitServer(t, Config{ListRate: Rate{PerSecond: 1, Burst: 1}, ListAbuse: -1})
		n := clientFrom(t, never, "n", "")
		for range 50 {
			n.call(EventList, nil)
		}
		assert.False(t, n.conn.isClosed())
	})
}

// The per-address creation rate counts the client the transport named
// (ConnInfo.ClientKey: the address behind a trusted proxy), not the TCP
// peer; without a key, the peer's host. Loopback is limited only with
// LimitLoopback.
func TestCreateRateByClientKey(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv := limitServer(t, Config{IPCreateRate: Rate{PerSecond: 0.001, Burst: 1}})
		proxy := "10.0.0.1:1000"
		from := func(id, key string) *tclient {
			fc := &fakeConn{id: id}
			s := srv.Connect(fc, ConnInfo{RemoteAddr: proxy, ClientKey: key})
			fc.sess = s
			return &tclient{t: t, conn: fc, sess: s}
		}
		from("a1", "198.51.100.1").mustJoin(EventCreate, "counter", nil)
		from("b1", "198.51.100.2").mustJoin(EventCreate, "counter", nil)
		assert.Equal(t, CodeRateLimited, errCode(from("a2", "198.51.100.1").call(EventCreate, "counter", nil)), "same client")
		from("p1", "").mustJoin(EventCreate, "counter", nil) // the peer's own bucket
		assert.Equal(t, CodeRateLimited, errCode(clientFrom(t, srv, "p2", "10.0.0.1:2000").call(EventCreate, "counter", nil)))

		lo := limitServer(t, Config{IPCreateRate: Rate{PerSecond: 0.001, Burst: 1}, LimitLoopback: true})
		clientFrom(t, lo, "l1", "127.0.0.1:1").mustJoin(EventCreate, "counter", nil)
		assert.Equal(t, CodeRateLimited, errCode(clientFrom(t, lo, "l2", "127.0.0.1:2").call(EventCreate, "counter", nil)))
	})
}

// A room whose every seat is in grace pauses: no ticks (so no OnTick, no
// timer wake-ups) until a client resumes; then the tick numbers go on, and
// a grace period still ends on time. TickWhileAbandoned keeps it ticking.
func TestAbandonedRoomPauses(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("TickWhileAbandoned=%v", keep), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				var steps atomic.Int64
				obs := tick.ObserverFuncs{OnStep: func(tick.StepStats) { steps.Add(1) }}
				srv, log := testServer(t, Settings{TickRate: 20, ReconnectGrace: 10 * time.Second, Observer: obs, TickWhileAbandoned: keep}, nil)
				a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
				ackA := a.mustJoin(EventCreate, "counter", map[string]any{"name": "a"})
				ackB := b.mustJoin(EventJoinByID, ackA["roomId"], map[string]any{"name": "b"})
				time.Sleep(time.Second)
				synctest.Wait()
				a.drop()
				b.drop()
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				before := steps.Load()
				time.Sleep(4 * time.Second)
				synctest.Wait()
				idle := steps.Load() - before
				if keep {
					assert.GreaterOrEqual(t, idle, int64(79), "ticks on at 20 Hz")
				} else {
					assert.Zero(t, idle, "no tick while every seat is in grace")
					assert.NotZero(t, srv.Stats().RoomPauses)
				}

				// b comes back: the room ticks again, tick numbers go on.
				a2 := newClient(t, srv, "b2")
				require.Equal(t, true, a2.call(EventResume, map[string]any{"token": ackB["token"]})["ok"])
				time.Sleep(time.Second)
				synctest.Wait()
				fr := a2.conn.takeFrames()
				require.NotEmpty(t, fr)
				assert.Greater(t, fr[len(fr)-1].tick, uint64(20))

				// a's grace still ends on time (10 s after its drop).
				time.Sleep(5 * time.Second)
				synctest.Wait()
				assert.Contains(t, log.all(), "leave a seat_expired")
			})
		})
	}
}

// A paused room whose last seat's grace ends is disposed.
func TestAbandonedRoomExpires(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{ReconnectGrace: 3 * time.Second}, nil)
		a := newClient(t, srv, "a")
		ack := a.mustJoin(EventCreate, "counter", map[string]any{"name": "a"})
		a.drop()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.NotNil(t, srv.Room(ack["roomId"].(string)))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		assert.Nil(t, srv.Room(ack["roomId"].(string)))
		assert.Contains(t, log.all(), "leave a seat_expired")
		assert.Contains(t, log.all(), "dispose")
	})
}
