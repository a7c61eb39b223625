package arena_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
)

// conn is an in-memory rooms.Conn that applies the state frames it gets to
// a mirror.
type conn struct {
	mu     sync.Mutex
	mirror *statesync.Mirror
	acked  uint64
	frames []seen // every state frame: its ack and the players after it
	events []string
	err    error
}

// seen is one state frame as a client sees it.
type seen struct {
	ack     uint64
	players map[string]any
}

func newConn() *conn { return &conn{mirror: statesync.NewMirror(statesync.MirrorLimits{})} }

func (c *conn) ID() string { return "c" }

func (c *conn) SendState(p *rooms.StatePacket, ack uint64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acked = ack
	var err error
	if p.Event == rooms.EventSnapshot {
		err = c.mirror.ApplySnapshot(p.State)
	} else {
		err = c.mirror.ApplyDelta(p.State)
	}
	if err != nil && c.err == nil {
		c.err = err
	}
	players, _ := c.mirror.Value()["players"].(map[string]any)
	c.frames = append(c.frames, seen{ack: ack, players: players})
	return true, nil
}

func (c *conn) event(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, name)
	return nil
}

func (c *conn) SendMessage(string, any) error                            { return c.event(roomsio.EventMsg) }
func (c *conn) SendMessageWithAck(string, any, func([]any, error)) error { return nil }
func (c *conn) SendLeft(string, string) error                            { return c.event(roomsio.EventRoomLeft) }
func (c *conn) SendLobbyRooms([]rooms.Listing) error                     { return c.event(roomsio.EventLobbyRooms) }
func (c *conn) SendLobbyUpdate(rooms.Listing) error                      { return c.event(roomsio.EventLobbyUpdate) }
func (c *conn) SendLobbyRemove(string) error                             { return c.event(roomsio.EventLobbyRemove) }
func (c *conn) Close()                                                   {}

// takeFrames returns the frames received since the last call.
func (c *conn) takeFrames() []seen {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.frames
	c.frames = nil
	return f
}

// player returns the mirrored player id (nil if absent).
func (c *conn) player(t *testing.T, id string) map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NoError(t, c.err)
	p, _ := c.mirror.Value()["players"].(map[string]any)[id].(map[string]any)
	return p
}

// call sends a request and returns its ack.
func call(sess *rooms.Session, event string, args ...any) map[string]any {
	got := make(chan map[string]any, 1)
	roomsio.Dispatch(sess, event, args, func(a ...any) { got <- a[0].(map[string]any) })
	synctest.Wait()
	select {
	case m := <-got:
		return m
	default:
		time.Sleep(time.Second) // let the room tick (fake time)
		return <-got
	}
}

// The arena as a room type: a joiner is in the mirrored state, integer
// (msgpack) and float (JSON) inputs move it at 100 units/s, ping messages
// are echoed, a dropped player stands still until its seat expires.
func TestArenaRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs, err := rooms.NewServer(rooms.Config{})
		require.NoError(t, err)
		defer rs.Shutdown(context.Background())
		require.NoError(t, arena.Define(rs, arena.RoomType, arena.Config{Seed: func() uint64 { return 1 }}, arena.Settings()))

		c := newConn()
		sess := rs.Connect(c, rooms.ConnInfo{})
		ack := call(sess, "rooms.joinOrCreate", arena.RoomType, map[string]any{"name": "ada"})
		require.Equal(t, true, ack["ok"], "%v", ack)
		id := ack["sessionId"].(string)
		require.EqualValues(t, arena.TickRate, ack["tickRate"])
		time.Sleep(100 * time.Millisecond)
		p := c.player(t, id)
		require.NotNil(t, p)
		require.Equal(t, "ada", p["name"])
		require.EqualValues(t, arena.MaxHP, p["hp"])
		require.Equal(t, true, p["online"])
		x0, y0 := p["x"].(float32), p["y"].(float32)

		// A msgpack client sends integers.
		roomsio.Dispatch(sess, "input", []any{int64(1), map[string]any{"dx": int64(1), "dy": int64(0)}}, nil)
		time.Sleep(time.Second)
		p = c.player(t, id)
		require.InDelta(t, float64(x0)+arena.Speed, float64(p["x"].(float32)), arena.Speed/arena.TickRate+0.01)
		require.Equal(t, y0, p["y"].(float32))
		c.mu.Lock()
		require.EqualValues(t, 1, c.acked)
		c.mu.Unlock()

		// A JSON client's numbers are float64; stop, then go up.
		roomsio.Dispatch(sess, "input", []any{int64(2), map[string]any{"dx": 0.0, "dy": -1.0}}, nil)
		time.Sleep(50 * time.Millisecond)
		p = c.player(t, id)
		x1 := p["x"].(float32)
		time.Sleep(time.Second)
		p = c.player(t, id)
		require.Equal(t, x1, p["x"].(float32))
		require.Less(t, p["y"].(float32), y0)

		// msg ping is echoed; other types are refused.
		ack = call(sess, "msg", arena.MsgPing, "t0")
		require.Equal(t, map[string]any{"ok": true, "data": "t0"}, ack)
		ack = call(sess, "msg", "dance", nil)
		require.Equal(t, false, ack["ok"])
		require.Equal(t, rooms.CodeMessageRefused, ack["error"].(map[string]any)["code"])

		// A second player in the same room, then the first drops: it
		// stays, standing still, until the grace ends.
		c2 := newConn()
		sess2 := rs.Connect(c2, rooms.ConnInfo{})
		ack = call(sess2, "rooms.joinOrCreate", arena.RoomType, map[string]any{})
		require.Equal(t, true, ack["ok"], "%v", ack)
		roomsio.Dispatch(sess, "input", []any{int64(3), map[string]any{"dx": int64(-1), "dy": int64(-1)}}, nil)
		time.Sleep(100 * time.Millisecond)
		sess.Close()
		time.Sleep(100 * time.Millisecond)
		still := c2.player(t, id)
		require.NotNil(t, still)
		time.Sleep(time.Second)
		require.Equal(t, false, still["online"], "a dropped player is marked offline")
		require.Equal(t, still, c2.player(t, id), "a dropped player stands still")
		require.Equal(t, arena.DefaultName, c2.player(t, ack["sessionId"].(string))["name"])
		time.Sleep(rooms.DefaultReconnectGrace)
		require.Nil(t, c2.player(t, id), "removed when the grace ended")
	})
}

// A dropped player is marked offline (Player.Online false) while its seat
// is held, in every position encoding, and online again once it resumes.
func TestOnlineMarker(t *testing.T) {
	for _, opts := range []map[string]any{{}, {"quantized": true}, {"packed": true}, {"mode": "bench"}} {
		t.Run(fmt.Sprint(opts), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rs, err := rooms.NewServer(rooms.Config{})
				require.NoError(t, err)
				defer rs.Shutdown(context.Background())
				require.NoError(t, arena.Define(rs, arena.RoomType, arena.Config{}, arena.Settings()))

				c1, c2 := newConn(), newConn()
				sess1 := rs.Connect(c1, rooms.ConnInfo{})
				ack := call(sess1, "rooms.create", arena.RoomType, opts)
				require.Equal(t, true, ack["ok"], "%v", ack)
				id, token, roomID := ack["sessionId"].(string), ack["token"].(string), ack["roomId"].(string)
				sess2 := rs.Connect(c2, rooms.ConnInfo{})
				ack = call(sess2, "rooms.joinById", roomID, map[string]any{})
				require.Equal(t, true, ack["ok"], "%v", ack)
				time.Sleep(100 * time.Millisecond)
				require.Equal(t, true, c2.player(t, id)["online"])
				require.Equal(t, true, c2.player(t, ack["sessionId"].(string))["online"])

				sess1.Close()
				time.Sleep(100 * time.Millisecond)
				require.Equal(t, false, c2.player(t, id)["online"], "dropped: offline while the seat is held")

				c3 := newConn()
				sess3 := rs.Connect(c3, rooms.ConnInfo{})
				ack = call(sess3, "rooms.resume", map[string]any{"token": token, "tick": 0})
				require.Equal(t, true, ack["ok"], "%v", ack)
				time.Sleep(100 * time.Millisecond)
				require.Equal(t, true, c2.player(t, id)["online"], "resumed: online again")
				require.Equal(t, true, c3.player(t, id)["online"], "the resumed client sees itself online")
			})
		})
	}
}

// A bench room created with the "mode" option has no pickups; a joiner
// asking for bench mode never lands in a play room.
func TestBenchRoomOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs, err := rooms.NewServer(rooms.Config{})
		require.NoError(t, err)
		defer rs.Shutdown(context.Background())
		require.NoError(t, arena.Define(rs, arena.RoomType, arena.Config{}, arena.Settings()))

		play := newConn()
		ack := call(rs.Connect(play, rooms.ConnInfo{}), "rooms.joinOrCreate", arena.RoomType, map[string]any{arena.OptionMode: arena.ModePlay})
		require.Equal(t, true, ack["ok"])
		playRoom := ack["roomId"]
		bench := newConn()
		ack = call(rs.Connect(bench, rooms.ConnInfo{}), "rooms.joinOrCreate", arena.RoomType, map[string]any{arena.OptionMode: arena.ModeBench, arena.OptionQuantized: true})
		require.Equal(t, true, ack["ok"])
		require.NotEqual(t, playRoom, ack["roomId"])
		time.Sleep(100 * time.Millisecond)

		play.mu.Lock()
		require.Len(t, play.mirror.Value()["pickups"], arena.DefaultPickups)
		play.mu.Unlock()
		bench.mu.Lock()
		_, has := bench.mirror.Value()["pickups"]
		require.False(t, has)
		bench.mu.Unlock()
		p := bench.player(t, ack["sessionId"].(string))
		require.IsType(t, float64(0), p["x"], "quantized positions decode as float64")

		bad := newConn()
		ack = call(rs.Connect(bad, rooms.ConnInfo{}), "rooms.create", arena.RoomType, map[string]any{arena.OptionMode: "ctf"})
		require.Equal(t, false, ack["ok"])
		require.Equal(t, rooms.CodeCreateFailed, ack["error"].(map[string]any)["code"])
	})
}

// A key tap whose press and release reach the room within one tick (one
// long-polling request): in play mode the player moves exactly one tick's
// distance, each input is acknowledged in the tick that applies it (so the
// ack moves one input per tick), and every state frame lets the client
// predict where it ends: its position plus one tick of each input not yet
// acknowledged. In bench mode (arena v1) both are acknowledged at once,
// the latest input wins and the tap is lost.
func TestTapInOneTick(t *testing.T) {
	for _, mode := range []string{arena.ModePlay, arena.ModeBench} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rs, err := rooms.NewServer(rooms.Config{})
				require.NoError(t, err)
				defer rs.Shutdown(context.Background())
				require.NoError(t, arena.Define(rs, arena.RoomType, arena.Config{Seed: func() uint64 { return 3 }}, arena.Settings()))

				c := newConn()
				sess := rs.Connect(c, rooms.ConnInfo{})
				ack := call(sess, "rooms.create", arena.RoomType, map[string]any{arena.OptionMode: mode, arena.OptionQuantized: true})
				require.Equal(t, true, ack["ok"], "%v", ack)
				id := ack["sessionId"].(string)
				time.Sleep(110 * time.Millisecond) // between two ticks
				x0 := c.player(t, id)["x"].(float64)
				y0 := c.player(t, id)["y"].(float64)
				c.takeFrames()

				step := arena.Speed / arena.TickRate
				type move struct{ dx, dy int64 }
				sent := map[uint64]move{}
				send := func(seq uint64, dx, dy int64) {
					sent[seq] = move{dx, dy}
					roomsio.Dispatch(sess, "input", []any{int64(seq), map[string]any{"dx": dx, "dy": dy}}, nil)
				}
				// predicted is where a client predicts its player after f:
				// the frame's position, then each unacknowledged input for
				// one tick.
				predicted := func(f seen) [2]float64 {
					p := f.players[id].(map[string]any)
					x, y := p["x"].(float64), p["y"].(float64)
					for seq, m := range sent {
						if seq > f.ack {
							x += float64(m.dx) * step
							y += float64(m.dy) * step
						}
					}
					return [2]float64{x, y}
				}

				send(1, 1, 0)                     // press
				send(2, 0, 0)                     // release, same tick
				time.Sleep(50 * time.Millisecond) // one tick
				p := c.player(t, id)
				if mode == arena.ModeBench {
					c.mu.Lock()
					require.EqualValues(t, 2, c.acked, "bench: acked on receipt")
					c.mu.Unlock()
					require.Equal(t, x0, p["x"], "bench: the release overwrote the press")
					return
				}
				require.Equal(t, x0+step, p["x"], "the press applied")
				time.Sleep(time.Second)
				p = c.player(t, id)
				require.Equal(t, x0+step, p["x"], "one tick's distance, no more")
				require.Equal(t, y0, p["y"])
				fr := c.takeFrames()
				require.Len(t, fr, 2, "the press moved, then the release's ack-only frame")
				for i, f := range fr {
					require.EqualValues(t, i+1, f.ack, "frame %d acks the input it applied", i)
					require.Equal(t, [2]float64{x0 + step, y0}, predicted(f), "frame %d", i)
				}

				// Two moves and a release in one tick: one applied and
				// acknowledged a tick.
				send(3, 0, 1)
				send(4, 0, 1)
				send(5, 0, 0)
				time.Sleep(time.Second)
				p = c.player(t, id)
				require.Equal(t, y0+2*step, p["y"])
				require.Equal(t, x0+step, p["x"])
				fr = c.takeFrames()
				require.Len(t, fr, 3)
				for i, f := range fr {
					require.EqualValues(t, i+3, f.ack)
					require.Equal(t, y0+[]float64{1, 2, 2}[i]*step, f.players[id].(map[string]any)["y"], "frame %d", i)
					require.Equal(t, [2]float64{x0 + step, y0 + 2*step}, predicted(f), "frame %d", i)
				}
			})
		})
	}
}
