package rooms

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A session that never reads does not delay its room: the others get a
// frame every tick; it is marked for a snapshot, gets one when its queue
// drains, and is disconnected after SlowConsumerTimeout of drops.
func TestSlowConsumer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{TickRate: 10, SlowConsumerTimeout: 2 * time.Second}, nil)
		fast, slow := newClient(t, srv, "fast"), newClient(t, srv, "slow")
		fast.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "fast"})
		slow.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "slow"})
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fast.conn.takeFrames()
		slow.conn.takeFrames()

		slow.conn.setFull(true)
		time.Sleep(50 * time.Millisecond) // inputs land mid-tick
		start := time.Now()
		for i := range 10 {
			handle(fast.sess, EventInput, []any{int64(i + 1), nil}, nil)
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		assert.Equal(t, 1*time.Second, time.Since(start))
		fr := fast.conn.takeFrames()
		require.Len(t, fr, 10, "one delta per tick for the fast client")
		for i, f := range fr {
			assert.Equal(t, uint64(i+1), f.ack)
		}
		assert.Empty(t, slow.conn.takeFrames())
		assert.GreaterOrEqual(t, srv.Stats().FramesDropped, uint64(9))

		// Queue drains: a snapshot, then deltas again.
		slow.conn.setFull(false)
		handle(fast.sess, EventInput, []any{int64(11), nil}, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = slow.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, EventSnapshot, fr[0].event)
		_, v := parseState(t, fr[0].state)
		assert.Equal(t, 11, v)
		handle(fast.sess, EventInput, []any{int64(12), nil}, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = slow.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, EventDelta, fr[0].event)

		// Stuck for longer than the timeout: disconnected (seat held).
		slow.conn.setFull(true)
		fast.conn.takeFrames()
		for i := range 25 {
			handle(fast.sess, EventInput, []any{int64(13 + i), nil}, nil)
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		assert.True(t, slow.conn.isClosed())
		assert.Equal(t, uint64(1), srv.Stats().SlowDisconnects)
		assert.Contains(t, log.all(), "drop slow")
		assert.Len(t, fast.conn.takeFrames(), 25)
	})
}

func TestInputRules(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{TickRate: 10, MaxInputsPerSecond: 20, MaxInputBytes: 64}, nil)
		a := newClient(t, srv, "a")
		a.mustJoin(EventJoinOrCreate, "counter", nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		a.conn.takeFrames()

		// Stale seqs are ignored and counted.
		for _, seq := range []int64{5, 3, 5, 6} {
			handle(a.sess, EventInput, []any{seq, nil}, nil)
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr := a.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, uint64(6), fr[0].ack)
		_, v := parseState(t, fr[0].state)
		assert.Equal(t, 2, v, "two inputs applied")
		assert.Equal(t, uint64(2), srv.Stats().InputsStale)

		// Oversized and malformed inputs are dropped.
		before := srv.Stats().InputsDropped
		handle(a.sess, EventInput, []any{int64(7), map[string]any{"junk": strings.Repeat("x", 100)}}, nil)
		handle(a.sess, EventInput, []any{"seven", nil}, nil)
		handle(a.sess, EventInput, []any{int64(-1), nil}, nil)
		assert.Equal(t, before+3, srv.Stats().InputsDropped)

		// Within the rate: all pass. Twice the rate for a second: dropped,
		// and past the abuse threshold the connection is closed.
		time.Sleep(2 * time.Second)
		seq := int64(100)
		for range 20 {
			seq++
			handle(a.sess, EventInput, []any{seq, nil}, nil)
		}
		assert.False(t, a.conn.isClosed())
		for range 30 {
			seq++
			handle(a.sess, EventInput, []any{seq, nil}, nil)
		}
		assert.True(t, a.conn.isClosed())
		assert.Equal(t, uint64(1), srv.Stats().AbuseDisconnects)
	})
}

// Inputs before a join (or after a leave) go nowhere.
func TestInputWithoutSeat(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{}, nil)
		a := newClient(t, srv, "a")
		handle(a.sess, EventInput, []any{int64(1), nil}, nil)
		assert.Equal(t, uint64(1), srv.Stats().InputsDropped)
	})
}

func TestLobby(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, err := NewServer(Config{Logger: discardLogger(), LobbyInterval: time.Second})
		require.NoError(t, err)
		defer srv.Shutdown(t.Context())
		require.NoError(t, srv.Define("counter", func() Game { return &counterGame{} }, Settings{MaxClients: 4}))
		require.NoError(t, srv.Define("other", func() Game { return &counterGame{} }, Settings{}))

		a := newClient(t, srv, "a")
		a.mustJoin(EventCreate, "counter", nil)
		time.Sleep(100 * time.Millisecond)

		sub := newClient(t, srv, "sub")
		require.Equal(t, true, sub.call(EventLobbySubscribe, map[string]any{"name": "counter"})["ok"])
		ev := sub.conn.takeEvents()
		require.Len(t, ev, 1)
		assert.Equal(t, EventLobbyRooms, ev[0].event)
		require.Len(t, ev[0].args[0], 1)

		// Three joins within one interval: one coalesced update after the first push.
		var roomID string
		for i, name := range []string{"b", "c", "d"} {
			c := newClient(t, srv, name)
			roomID = c.mustJoin(EventJoinOrCreate, "counter", nil)["roomId"].(string)
			if i == 0 {
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
			}
		}
		o := newClient(t, srv, "o")
		o.mustJoin(EventCreate, "other", nil) // filtered out by name
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		ev = sub.conn.takeEvents()
		require.Len(t, ev, 1, "first change pushed at once: %v", ev)
		assert.Equal(t, int64(2), ev[0].args[0].(map[string]any)["clients"])
		time.Sleep(time.Second)
		synctest.Wait()
		ev = sub.conn.takeEvents()
		require.Len(t, ev, 1, "the rest coalesced into one update: %v", ev)
		assert.Equal(t, EventLobbyUpdate, ev[0].event)
		assert.Equal(t, roomID, ev[0].args[0].(map[string]any)["roomId"])
		assert.Equal(t, int64(4), ev[0].args[0].(map[string]any)["clients"])

		// Disposal: lobby.remove.
		for _, x := range []*tclient{a} {
			x.call(EventLeave)
		}
		require.NoError(t, srv.Shutdown(t.Context()))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		sub.sess.Close()
	})
}

func TestLobbyLockAndPrivate(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, err := NewServer(Config{Logger: discardLogger(), LobbyInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		defer srv.Shutdown(t.Context())
		require.NoError(t, srv.Define("c", func() Game {
			return &counterGame{onMsg: func(r *Room, c *Client, m *Message) {
				switch m.Type {
				case "lock":
					r.Lock()
				case "private":
					r.SetPrivate(true)
				}
			}}
		}, Settings{}))
		sub := newClient(t, srv, "sub")
		sub.call(EventLobbySubscribe, nil)
		a := newClient(t, srv, "a")
		id := a.mustJoin(EventCreate, "c", nil)["roomId"]
		time.Sleep(time.Second)
		sub.conn.takeEvents()

		a.call(EventMsg, "lock", nil)
		time.Sleep(time.Second)
		ev := sub.conn.takeEvents()
		require.Len(t, ev, 1)
		assert.Equal(t, EventLobbyUpdate, ev[0].event)
		assert.Equal(t, true, ev[0].args[0].(map[string]any)["locked"])

		a.call(EventMsg, "private", nil)
		time.Sleep(time.Second)
		assert.Equal(t, []emitted{{EventLobbyRemove, []any{id}}}, sub.conn.takeEvents())

		require.Equal(t, true, sub.call(EventLobbyUnsubscribe)["ok"])
		a.call(EventLeave)
		time.Sleep(time.Second)
		assert.Empty(t, sub.conn.takeEvents())
	})
}

// queueGame queues inputs and applies one per client per tick (adding its
// "d", default 1, to the counter), acknowledging it then with
// Client.AckInput, and again with the seq before it (backwards: ignored).
type queueGame struct {
	counterGame
	queue map[*Client][]Input
}

func (g *queueGame) OnInput(r *Room, c *Client, in Input) {
	if g.queue == nil {
		g.queue = map[*Client][]Input{}
	}
	g.queue[c] = append(g.queue[c], in)
}

func (g *queueGame) OnTick(r *Room, t Tick) {
	for _, c := range r.Clients() {
		q := g.queue[c]
		if len(q) == 0 {
			continue
		}
		in := q[0]
		g.queue[c] = q[1:]
		g.st.Set(g.st.value + int(in.Int("d", 1)))
		c.AckInput(in.Seq)
		c.AckInput(in.Seq - 1)
	}
}

// With Settings.ManualInputAck the frames carry the seq the game passed to
// AckInput (one more input per tick here); without, the seq of the last
// input received, whatever the game did with it.
func TestManualInputAck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		manual bool
		acks   []uint64 // of the frames of the three ticks after inputs 1, 2, 3 arrived in one tick
	}{
		{"manual", true, []uint64{1, 2, 3}},
		{"auto", false, []uint64{3, 3, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				srv, _ := NewServer(Config{Logger: discardLogger()})
				require.NoError(t, srv.Define("queue", func() Game { return &queueGame{} }, Settings{TickRate: 10, ManualInputAck: tc.manual}))
				t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
				a := newClient(t, srv, "a")
				a.mustJoin(EventJoinOrCreate, "queue", nil)
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				a.conn.takeFrames()

				time.Sleep(50 * time.Millisecond) // mid-tick
				for seq := range int64(3) {
					handle(a.sess, EventInput, []any{seq + 1, nil}, nil)
				}
				for i, ack := range tc.acks {
					time.Sleep(100 * time.Millisecond)
					synctest.Wait()
					fr := a.conn.takeFrames()
					require.Len(t, fr, 1, "tick %d", i+1)
					assert.Equal(t, ack, fr[0].ack, "tick %d", i+1)
					_, v := parseState(t, fr[0].state)
					assert.Equal(t, i+1, v, "one input applied per tick")
				}
				// Nothing left to apply or acknowledge: no more frames.
				time.Sleep(300 * time.Millisecond)
				synctest.Wait()
				assert.Empty(t, a.conn.takeFrames())

				// A stale seq is still refused before the game sees it.
				handle(a.sess, EventInput, []any{int64(2), nil}, nil)
				time.Sleep(100 * time.Millisecond)
				synctest.Wait()
				assert.Empty(t, a.conn.takeFrames())
				assert.Equal(t, uint64(1), srv.Stats().InputsStale)
			})
		})
	}
}

// AckInput only moves forward and never past the last input received.
func TestAckInput(t *testing.T) {
	c := &Client{}
	c.AckInput(3)
	assert.Zero(t, c.AckedInputSeq(), "no input received yet")
	c.lastSeq, c.anyInput = 5, true
	for _, step := range []struct{ seq, want uint64 }{
		{2, 2}, {4, 4}, {3, 4}, {0, 4}, {4, 4}, {9, 5}, {1, 5},
	} {
		c.AckInput(step.seq)
		assert.Equal(t, step.want, c.AckedInputSeq(), "AckInput(%d)", step.seq)
	}
	assert.Equal(t, uint64(5), c.LastInputSeq())
}
