package rooms

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 1000 simultaneous joinOrCreate for 8 seats: exactly 125 full rooms.
func TestJoinOrCreateSeatsExact(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{MaxClients: 8}, nil)
		const n = 1000
		acks := make([]map[string]any, n)
		var wg sync.WaitGroup
		for i := range n {
			c := newClient(t, srv, fmt.Sprint(i))
			wg.Go(func() { acks[i] = c.call(EventJoinOrCreate, "counter", nil) })
		}
		wg.Wait()
		perRoom := map[string]int{}
		sessions := map[string]bool{}
		for _, a := range acks {
			require.Equal(t, true, a["ok"], "%v", a)
			perRoom[a["roomId"].(string)]++
			sessions[a["sessionId"].(string)] = true
		}
		assert.Len(t, sessions, n, "session ids are unique")
		assert.Len(t, perRoom, 125)
		for id, k := range perRoom {
			assert.Equal(t, 8, k, "room %s", id)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		ls, err := srv.registry.List(t.Context(), Query{Name: "counter"})
		require.NoError(t, err)
		require.Len(t, ls, 125)
		for _, l := range ls {
			assert.Equal(t, 8, l.Clients)
		}
	})
}

// Concurrent joinById for the last seats: exactly MaxClients win.
func TestJoinByIDRace(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{MaxClients: 5}, nil)
		owner := newClient(t, srv, "owner")
		id := owner.mustJoin(EventCreate, "counter", nil)["roomId"]
		const n = 50
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			c := newClient(t, srv, fmt.Sprint(i))
			wg.Go(func() { codes[i] = errCode(c.call(EventJoinByID, id, nil)) })
		}
		wg.Wait()
		count := map[string]int{}
		for _, c := range codes {
			count[c]++
		}
		assert.Equal(t, map[string]int{"": 4, CodeRoomFull: 46}, count)
	})
}

func TestGraceExpiry(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{ReconnectGrace: 5 * time.Second}, nil)
		a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
		ackA := a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "a"})
		b.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "b"})
		a.drop()
		time.Sleep(4 * time.Second)
		synctest.Wait()
		assert.Contains(t, log.all(), "drop a")
		assert.NotContains(t, log.all(), "leave a seat_expired")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		assert.Contains(t, log.all(), "leave a seat_expired")

		a2 := newClient(t, srv, "a2")
		m := a2.call(EventResume, map[string]any{"token": ackA["token"]})
		assert.Equal(t, CodeTokenExpired, errCode(m))
		assert.Equal(t, 1, srv.Room(ackA["roomId"].(string)).Listing().Clients)
	})
}

func TestResumeReplaysDeltas(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{TickRate: 10}, func() *counterGame {
			return &counterGame{}
		})
		a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
		ackA := a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "a"})
		b.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "b"})
		handle(a.sess, EventInput, []any{int64(1), nil}, nil)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		var lastTick uint64
		for _, f := range a.conn.takeFrames() {
			lastTick = f.tick
		}
		require.NotZero(t, lastTick)

		a.drop()
		time.Sleep(50 * time.Millisecond) // inputs land mid-tick
		// b keeps playing: 3 changes while a is away.
		for i := range 3 {
			handle(b.sess, EventInput, []any{int64(i + 1), nil}, nil)
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()

		a2 := newClient(t, srv, "a2")
		m := a2.call(EventResume, map[string]any{"token": ackA["token"], "tick": int64(lastTick)})
		require.Equal(t, true, m["ok"], "%v", m)
		assert.Equal(t, ackA["sessionId"], m["sessionId"])
		assert.Equal(t, ackA["roomId"], m["roomId"])
		assert.NotEqual(t, ackA["token"], m["token"], "fresh token")
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr := a2.conn.takeFrames()
		require.Len(t, fr, 3, "three missed deltas")
		prev := lastTick
		for _, f := range fr {
			assert.Equal(t, EventDelta, f.event)
			assert.Greater(t, f.tick, prev)
			assert.Equal(t, uint64(1), f.ack, "a's own last input seq")
			prev = f.tick
		}
		_, v := parseState(t, fr[2].state)
		assert.Equal(t, 4, v)
		assert.Equal(t, uint64(1), srv.Stats().ResumeReplays)
		assert.Contains(t, log.all(), "resume a")

		// The token worked once.
		a3 := newClient(t, srv, "a3")
		assert.Equal(t, CodeTokenUsed, errCode(a3.call(EventResume, map[string]any{"token": ackA["token"]})))

		// Resume on a connection that is still attached: the old one is told.
		m2 := a3.call(EventResume, map[string]any{"token": m["token"]})
		require.Equal(t, true, m2["ok"])
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		ev := a2.conn.takeEvents()
		require.NotEmpty(t, ev)
		assert.Equal(t, EventRoomLeft, ev[len(ev)-1].event)
		fr = a3.conn.takeFrames()
		require.NotEmpty(t, fr)
		assert.Equal(t, EventSnapshot, fr[0].event, "no tick given: snapshot")
	})
}

func TestResumeSnapshotWhenCheaper(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{TickRate: 10}, nil)
		a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
		ackA := a.mustJoin(EventJoinOrCreate, "counter", nil)
		b.mustJoin(EventJoinOrCreate, "counter", nil)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		fr := a.conn.takeFrames()
		require.NotEmpty(t, fr)
		last := fr[len(fr)-1].tick
		a.drop()
		r := srv.Room(ackA["roomId"].(string))
		r.Do(func(r *Room) { r.State().(*fakeState).pad = 100 }) // big deltas
		time.Sleep(50 * time.Millisecond)
		for i := range 2 {
			handle(b.sess, EventInput, []any{int64(i + 1), nil}, nil)
			time.Sleep(100 * time.Millisecond)
		}
		a2 := newClient(t, srv, "a2")
		require.Equal(t, true, a2.call(EventResume, map[string]any{"token": ackA["token"], "tick": int64(last)})["ok"])
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = a2.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, EventSnapshot, fr[0].event)
		_, v := parseState(t, fr[0].state)
		assert.Equal(t, 2, v)
		assert.Equal(t, uint64(1), srv.Stats().ResumeSnapshots)
	})
}

func TestGamePanicDisposesOnlyThatRoom(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{MaxClients: 2}, func() *counterGame { return &counterGame{panicOn: "boom"} })
		a, b, c := newClient(t, srv, "a"), newClient(t, srv, "b"), newClient(t, srv, "c")
		ackA := a.mustJoin(EventJoinOrCreate, "counter", nil)
		b.mustJoin(EventJoinOrCreate, "counter", nil)
		ackC := c.mustJoin(EventJoinOrCreate, "counter", nil)
		require.NotEqual(t, ackA["roomId"], ackC["roomId"])

		handle(a.sess, EventInput, []any{int64(1), map[string]any{"cmd": "boom"}}, nil)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		for _, x := range []*tclient{a, b} {
			ev := x.conn.takeEvents()
			require.NotEmpty(t, ev)
			assert.Equal(t, emitted{EventRoomLeft, []any{map[string]any{"code": LeftCodeRoomError, "reason": "the room failed"}}}, ev[len(ev)-1])
		}
		assert.Nil(t, srv.Room(ackA["roomId"].(string)))
		assert.Equal(t, uint64(1), srv.Stats().RoomPanics)
		assert.Equal(t, CodeTokenExpired, errCode(newClient(t, srv, "x").call(EventResume, map[string]any{"token": ackA["token"]})))

		// The other room goes on; the panicked clients can join again.
		c.conn.takeFrames()
		handle(c.sess, EventInput, []any{int64(1), nil}, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr := c.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, uint64(1), fr[0].ack)
		a.mustJoin(EventJoinOrCreate, "counter", nil)
	})
}

func TestCreatePanicAndFailure(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{}, func() *counterGame {
			return &counterGame{onCreate: func(r *Room, opts Options) error {
				switch opts.String("fail", "") {
				case "panic":
					panic("bad create")
				case "error":
					return fmt.Errorf("no map %q", opts.String("map", ""))
				}
				return nil
			}}
		})
		a := newClient(t, srv, "a")
		m := a.call(EventCreate, "counter", map[string]any{"fail": "error", "map": "x"})
		assert.Equal(t, CodeCreateFailed, errCode(m))
		assert.True(t, strings.Contains(m["error"].(map[string]any)["message"].(string), `no map "x"`))
		assert.Equal(t, CodeInternal, errCode(a.call(EventCreate, "counter", map[string]any{"fail": "panic"})))
		a.mustJoin(EventCreate, "counter", nil)
		time.Sleep(100 * time.Millisecond)
		assert.Equal(t, 1, srv.Stats().Rooms)
	})
}

// Every successful resume is counted once, by how it was served: without a
// tick or with tick 0 (the JS client's resync and the bots' path) it is a
// snapshot; a failed one is a failure.
func TestResumeCountsEveryResume(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  map[string]any
	}{
		{"no tick", map[string]any{}},
		{"tick 0", map[string]any{"tick": int64(0)}},
		{"tick nil", map[string]any{"tick": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv, _ := testServer(t, Settings{TickRate: 10}, nil)
				a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
				ack := a.mustJoin(EventJoinOrCreate, "counter", nil)
				b.mustJoin(EventJoinOrCreate, "counter", nil)
				time.Sleep(200 * time.Millisecond)
				synctest.Wait()
				a.drop()
				synctest.Wait()
				before := srv.Stats()
				req := map[string]any{"token": ack["token"]}
				for k, v := range tc.req {
					req[k] = v
				}
				a2 := newClient(t, srv, "a2")
				require.Equal(t, true, a2.call(EventResume, req)["ok"])
				time.Sleep(300 * time.Millisecond)
				synctest.Wait()
				fr := a2.conn.takeFrames()
				require.NotEmpty(t, fr)
				assert.Equal(t, EventSnapshot, fr[0].event)
				after := srv.Stats()
				assert.Equal(t, before.ResumeSnapshots+1, after.ResumeSnapshots, "counted as a snapshot resume")
				assert.Equal(t, before.ResumeReplays, after.ResumeReplays)
				assert.Equal(t, before.ResumeFailures, after.ResumeFailures)
			})
		})
	}
}
