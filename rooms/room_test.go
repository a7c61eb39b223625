package rooms

import (
	"context"
	"github.com/roomcast/roomcast/tick"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLifecycleJoinInputLeave(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{TickRate: 10, MaxClients: 2}, nil)
		a := newClient(t, srv, "a")
		ack := a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "ada", "tag": "t1"})
		assert.Len(t, ack["roomId"], 12)
		assert.Len(t, ack["sessionId"], 12)
		assert.Len(t, ack["token"], 22)
		assert.Equal(t, int64(10), ack["tickRate"])
		assert.Equal(t, "counter", ack["name"])

		// The snapshot follows at the end of the join's tick.
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr := a.conn.takeFrames()
		require.NotEmpty(t, fr)
		assert.Equal(t, EventSnapshot, fr[0].event)
		assert.Equal(t, uint64(0), fr[0].ack)
		_, v := parseState(t, fr[0].state)
		assert.Equal(t, 0, v)

		// Inputs are applied before the next tick; the delta acks the last seq.
		handle(a.sess, EventInput, []any{int64(1), map[string]any{"d": int64(2)}}, nil)
		handle(a.sess, EventInput, []any{int64(2), map[string]any{"d": int64(3)}}, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = a.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, EventDelta, fr[0].event)
		assert.Equal(t, uint64(2), fr[0].ack)
		tk, v := parseState(t, fr[0].state)
		assert.Equal(t, 5, v)
		assert.Equal(t, fr[0].tick, tk, "frame tick = state tick")

		// A tick without changes sends nothing.
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		assert.Empty(t, a.conn.takeFrames())

		// A second client: sees a snapshot; the first keeps getting deltas.
		b := newClient(t, srv, "b")
		ackB := b.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "bob"})
		assert.Equal(t, ack["roomId"], ackB["roomId"])
		// A third does not fit: a new room.
		c := newClient(t, srv, "c")
		ackC := c.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "cy"})
		assert.NotEqual(t, ack["roomId"], ackC["roomId"])

		// The room updates its listing after it acked the join: let it.
		synctest.Wait()
		list := a.call(EventList, map[string]any{"name": "counter"})
		require.Equal(t, true, list["ok"])
		rooms := list["rooms"].([]any)
		require.Len(t, rooms, 2)
		first := rooms[0].(map[string]any)
		assert.Equal(t, ack["roomId"], first["roomId"])
		assert.Equal(t, int64(2), first["clients"])
		assert.Equal(t, int64(2), first["maxClients"])

		assert.Equal(t, "", errCode(a.call(EventLeave)))
		assert.Equal(t, CodeNotInRoom, errCode(a.call(EventLeave)))
		assert.Equal(t, "", errCode(b.call(EventLeave)))
		assert.Equal(t, "", errCode(c.call(EventLeave)))
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		st := srv.Stats()
		assert.Equal(t, 0, st.Rooms, "empty rooms are disposed")
		assert.Equal(t, uint64(2), st.RoomsDisposed)
		ls, err := srv.registry.List(t.Context(), Query{})
		require.NoError(t, err)
		assert.Empty(t, ls)
		assert.Equal(t, []string{"create t1", "join ada", "join bob", "create ", "join cy",
			"leave ada left", "leave bob left", "dispose", "leave cy left", "dispose"}, log.all())
	})
}

func TestJoinErrors(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{MaxClients: 1}, func() *counterGame { return &counterGame{refuse: "mallory"} })
		a := newClient(t, srv, "a")
		cases := []struct {
			name  string
			event string
			args  []any
			code  string
		}{
			{"unknown type", EventJoinOrCreate, []any{"nope", nil}, CodeUnknownRoomType},
			{"name not a string", EventJoinOrCreate, []any{int64(3)}, CodeBadRequest},
			{"options not an object", EventCreate, []any{"counter", "x"}, CodeBadRequest},
			{"join with no room", EventJoin, []any{"counter", nil}, CodeRoomNotFound},
			{"joinById unknown", EventJoinByID, []any{"zzz", nil}, CodeRoomNotFound},
			{"refused", EventCreate, []any{"counter", map[string]any{"name": "mallory"}}, CodeJoinRefused},
			{"resume without token", EventResume, []any{map[string]any{}}, CodeBadRequest},
			{"resume unknown token", EventResume, []any{map[string]any{"token": "nope"}}, CodeTokenUnknown},
			{"msg without seat", EventMsg, []any{"hi", nil}, CodeNotInRoom},
			{"unknown event", "rooms.dance", nil, CodeUnknownEvent},
		}
		for _, tc := range cases { // (t.Run is not allowed inside a bubble)
			assert.Equal(t, tc.code, errCode(a.call(tc.event, tc.args...)), tc.name)
		}
		ack := a.mustJoin(EventCreate, "counter", nil)
		assert.Equal(t, CodeAlreadyInRoom, errCode(a.call(EventJoinOrCreate, "counter", nil)))
		b := newClient(t, srv, "b")
		assert.Equal(t, CodeRoomFull, errCode(b.call(EventJoinByID, ack["roomId"], nil)))
		// The refused create left no room behind.
		time.Sleep(time.Second)
		assert.Equal(t, 1, srv.Stats().Rooms)
	})
}

func TestLockPrivateAndFilters(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var rooms []*Room
		srv, _ := testServer(t, Settings{MaxClients: 4, FilterBy: []string{"mode"}}, func() *counterGame {
			return &counterGame{onMsg: func(r *Room, c *Client, m *Message) {
				switch m.Type {
				case "lock":
					r.Lock()
				case "unlock":
					r.Unlock()
				case "private":
					r.SetPrivate(true)
				case "meta":
					r.SetMetadata("map", m.Payload)
				}
				rooms = append(rooms, r)
			}}
		})
		a := newClient(t, srv, "a")
		ackA := a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"mode": "ctf"})
		b := newClient(t, srv, "b")
		ackB := b.mustJoin(EventJoinOrCreate, "counter", map[string]any{"mode": "dm"})
		assert.NotEqual(t, ackA["roomId"], ackB["roomId"], "filterBy separates modes")
		c := newClient(t, srv, "c")
		ackC := c.mustJoin(EventJoinOrCreate, "counter", map[string]any{"mode": "ctf"})
		assert.Equal(t, ackA["roomId"], ackC["roomId"])

		require.Equal(t, "", errCode(a.call(EventMsg, "lock", nil)))
		d := newClient(t, srv, "d")
		assert.Equal(t, CodeRoomLocked, errCode(d.call(EventJoinByID, ackA["roomId"], nil)))
		assert.Equal(t, CodeRoomNotFound, errCode(d.call(EventJoin, "counter", map[string]any{"mode": "ctf"})))
		require.Equal(t, "", errCode(a.call(EventMsg, "unlock", nil)))
		require.Equal(t, "", errCode(a.call(EventMsg, "meta", "dust")))
		time.Sleep(100 * time.Millisecond)

		list := d.call(EventList, map[string]any{"filter": map[string]any{"map": "dust"}})
		require.Len(t, list["rooms"], 1)
		assert.Equal(t, map[string]any{"mode": "ctf", "map": "dust"}, list["rooms"].([]any)[0].(map[string]any)["metadata"])

		require.Equal(t, "", errCode(a.call(EventMsg, "private", nil)))
		time.Sleep(100 * time.Millisecond)
		list = d.call(EventList, map[string]any{"name": "counter"})
		assert.Len(t, list["rooms"], 1, "private rooms are not listed")
		assert.Equal(t, CodeRoomNotFound, errCode(d.call(EventJoin, "counter", map[string]any{"mode": "ctf"})))
		d.mustJoin(EventJoinByID, ackA["roomId"], nil)
	})
}

func TestMessagesAndBroadcast(t *testing.T) {
	bubble(t, func(t *testing.T) {
		acked := make(chan []any, 1)
		srv, _ := testServer(t, Settings{}, func() *counterGame {
			return &counterGame{onMsg: func(r *Room, c *Client, m *Message) {
				switch m.Type {
				case "echo":
					m.Reply(m.Payload)
				case "nope":
					m.Fail("not now")
				case "all":
					r.Broadcast("news", m.Payload)
				case "others":
					r.BroadcastExcept(c, "news", m.Payload)
				case "ask":
					require.NoError(t, c.SendWithAck("q", "ready?", func(reply []any, err error) {
						acked <- reply
					}))
				case "kick":
					for _, x := range r.Clients() {
						if x != c {
							x.Kick("bye")
						}
					}
				}
			}}
		})
		a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
		a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "a"})
		b.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "b"})

		assert.Equal(t, map[string]any{"ok": true, "data": "hi"}, a.call(EventMsg, "echo", "hi"))
		assert.Equal(t, map[string]any{"ok": true}, a.call(EventMsg, "unknown-to-game", nil))
		assert.Equal(t, CodeMessageRefused, errCode(a.call(EventMsg, "nope", nil)))

		a.conn.takeEvents()
		b.conn.takeEvents()
		a.call(EventMsg, "all", int64(1))
		a.call(EventMsg, "others", int64(2))
		assert.Equal(t, []emitted{{"msg", []any{"news", int64(1)}}}, a.conn.takeEvents())
		assert.Equal(t, []emitted{{"msg", []any{"news", int64(1)}}, {"msg", []any{"news", int64(2)}}}, b.conn.takeEvents())

		a.call(EventMsg, "ask", nil)
		a.conn.mu.Lock()
		cb := a.conn.ackCBs[0]
		a.conn.mu.Unlock()
		cb([]any{"yes"}, nil)
		assert.Equal(t, []any{"yes"}, <-acked)

		a.call(EventMsg, "kick", nil)
		time.Sleep(100 * time.Millisecond)
		ev := b.conn.takeEvents()
		require.NotEmpty(t, ev)
		assert.Equal(t, emitted{EventRoomLeft, []any{map[string]any{"code": "kicked", "reason": "bye"}}}, ev[len(ev)-1])
		assert.Equal(t, CodeNotInRoom, errCode(b.call(EventMsg, "echo", nil)))
	})
}

type panickyDispose struct{ counterGame }

func (g *panickyDispose) OnLeave(r *Room, c *Client, reason LeaveReason) { panic("leave") }
func (g *panickyDispose) OnDispose(r *Room)                              { panic("dispose") }

// A panic while the room is already disposing (OnLeave, OnDispose) still
// ends only that room, once.
func TestPanicWhileDisposing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, err := NewServer(Config{Logger: discardLogger()})
		require.NoError(t, err)
		require.NoError(t, srv.Define("p", func() Game { return &panickyDispose{} }, Settings{}))
		a := newClient(t, srv, "a")
		ack := a.mustJoin(EventCreate, "p", nil)
		require.Equal(t, "", errCode(a.call(EventLeave))) // OnLeave panics
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Nil(t, srv.Room(ack["roomId"].(string)))
		assert.Equal(t, uint64(1), srv.Stats().RoomPanics)

		b := newClient(t, srv, "b")
		b.mustJoin(EventCreate, "p", nil)
		require.NoError(t, srv.Shutdown(context.Background())) // OnLeave panics during shutdown
		ev := b.conn.takeEvents()
		require.NotEmpty(t, ev)
		assert.Equal(t, EventRoomLeft, ev[len(ev)-1].event)
		assert.Equal(t, 0, srv.Stats().Rooms)
		assert.Equal(t, CodeShuttingDown, errCode(newClient(t, srv, "c").call(EventJoinOrCreate, "p", nil)))
	})
}

func TestShutdownTellsClients(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, log := testServer(t, Settings{}, nil)
		a := newClient(t, srv, "a")
		a.mustJoin(EventCreate, "counter", map[string]any{"name": "a"})
		require.NoError(t, srv.Shutdown(context.Background()))
		ev := a.conn.takeEvents()
		require.NotEmpty(t, ev)
		assert.Equal(t, emitted{EventRoomLeft, []any{map[string]any{"code": "shutdown", "reason": "room shutdown"}}}, ev[len(ev)-1])
		assert.Equal(t, []string{"create ", "join a", "leave a shutdown", "dispose"}, log.all())
	})
}

// A request whose hook panics is answered (code internal) and the
// connection can go on.
func TestPanicAnswersTheRequest(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{}, func() *counterGame {
			return &counterGame{onMsg: func(r *Room, c *Client, m *Message) { panic("msg") }}
		})
		require.NoError(t, srv.Define("badjoin", func() Game { return &panickyJoin{} }, Settings{}))
		a := newClient(t, srv, "a")
		assert.Equal(t, CodeInternal, errCode(a.call(EventCreate, "badjoin", nil)))
		a.mustJoin(EventCreate, "counter", nil)
		assert.Equal(t, CodeInternal, errCode(a.call(EventMsg, "x", nil)))
		time.Sleep(100 * time.Millisecond)
		a.mustJoin(EventCreate, "counter", nil)
		assert.Equal(t, uint64(2), srv.Stats().RoomPanics)
	})
}

type panickyJoin struct{ NopGame }

func (panickyJoin) OnJoin(*Room, *Client, Options) error { panic("join") }

func TestDrainKeepsRoomsButRefusesJoins(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var steps int
		obs := tick.ObserverFuncs{OnStep: func(tick.StepStats) { steps++ }}
		srv, _ := testServer(t, Settings{ReconnectGrace: 10 * time.Second, Observer: obs, TickWhileAbandoned: true}, nil)
		a := newClient(t, srv, "a")
		ack := a.mustJoin(EventCreate, "counter", nil)
		srv.Drain()
		assert.Equal(t, CodeShuttingDown, errCode(newClient(t, srv, "b").call(EventJoinOrCreate, "counter", nil)))
		assert.Equal(t, CodeShuttingDown, errCode(newClient(t, srv, "c").call(EventJoinByID, ack["roomId"], nil)))
		a.drop()
		time.Sleep(time.Second)
		a2 := newClient(t, srv, "a2")
		require.Equal(t, true, a2.call(EventResume, map[string]any{"token": ack["token"]})["ok"])
		synctest.Wait()
		got := make(chan int, 1)
		require.True(t, srv.Room(ack["roomId"].(string)).Do(func(*Room) { got <- steps }))
		assert.Greater(t, <-got, 15)
	})
}

// The rooms.leave ack goes out only once the connection holds no seat, so
// a join sent as soon as it arrives is not refused with already_in_room.
func TestLeaveAckAfterSeatFreed(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, _ := testServer(t, Settings{TickRate: 10, MaxClients: 2}, nil)
		a := newClient(t, srv, "a")
		a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "ada"})
		seatAtAck := make(chan string, 1)
		handle(a.sess, EventLeave, nil, func(args ...any) {
			roomID, _ := a.sess.Seat() // on the room goroutine, as the ack is sent
			seatAtAck <- roomID
		})
		require.Equal(t, "", <-seatAtAck, "the connection still held its seat when the leave was acked")
		a.mustJoin(EventJoinOrCreate, "counter", map[string]any{"name": "ada"})
	})
}
