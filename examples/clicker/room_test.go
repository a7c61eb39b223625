package clicker_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
)

// conn is an in-memory rooms.Conn that mirrors the state frames it gets
// and records the messages; it drops the other sends.
type conn struct {
	roomstest.NopConn
	mu     sync.Mutex
	mirror *statesync.Mirror
	msgs   []map[string]any // payloads of msg events
	err    error
}

func newConn() *conn { return &conn{mirror: statesync.NewMirror(statesync.MirrorLimits{})} }

func (c *conn) ID() string { return "c" }

func (c *conn) SendState(p *rooms.StatePacket, _ uint64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if p.Event == rooms.EventSnapshot {
		err = c.mirror.ApplySnapshot(p.State)
	} else {
		err = c.mirror.ApplyDelta(p.State)
	}
	if err != nil && c.err == nil {
		c.err = err
	}
	return true, nil
}

func (c *conn) SendMessage(typ string, payload any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, _ := payload.(map[string]any)
	c.msgs = append(c.msgs, map[string]any{"type": typ, "payload": p})
	return nil
}

// state returns the mirrored state.
func (c *conn) state(t *testing.T) map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NoError(t, c.err)
	return c.mirror.Value()
}

// player returns the mirrored player id (nil if absent).
func (c *conn) player(t *testing.T, id string) map[string]any {
	t.Helper()
	p, _ := c.state(t)["players"].(map[string]any)[id].(map[string]any)
	return p
}

// call sends a request and returns its ack (fake time passes until it
// comes: requests are handled at the room's next tick).
func call(sess *rooms.Session, event string, args ...any) map[string]any {
	got := make(chan map[string]any, 1)
	roomsio.Dispatch(sess, event, args, func(a ...any) { got <- a[0].(map[string]any) })
	for {
		synctest.Wait()
		select {
		case m := <-got:
			return m
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

// player is one seated test client.
type player struct {
	c     *conn
	sess  *rooms.Session
	id    string
	room  string
	token string
	seq   int64
}

func join(t *testing.T, rs *rooms.Server, event, target string, opts map[string]any) *player {
	t.Helper()
	p := &player{c: newConn()}
	p.sess = rs.Connect(p.c, rooms.ConnInfo{})
	ack := call(p.sess, event, target, opts)
	require.Equal(t, true, ack["ok"], "%v", ack)
	require.EqualValues(t, clicker.TickRate, ack["tickRate"])
	p.id, p.room, p.token = ack["sessionId"].(string), ack["roomId"].(string), ack["token"].(string)
	return p
}

// click sends input(seq, payload).
func (p *player) click(payload any) {
	p.seq++
	roomsio.Dispatch(p.sess, "input", []any{p.seq, payload}, nil)
}

// newServer defines the clicker on a fresh rooms server (inside a
// synctest bubble: fake time).
func newServer(t *testing.T) *rooms.Server {
	rs, err := rooms.NewServer(rooms.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Shutdown(context.Background()) })
	require.NoError(t, rs.Define(clicker.RoomType, clicker.NewGame, clicker.Settings()))
	return rs
}

// short are the options of a room with 2 s rounds and 1 s breaks.
func short() map[string]any {
	return map[string]any{clicker.OptionRoundSeconds: 2, clicker.OptionIntermissionSeconds: 1.0}
}

// Two players click through a round: scores count while playing, the
// round ends with the most clicks winning, the intermission ignores
// clicks and shows the final scores, the next round resets the scores
// and keeps the wins.
func TestRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		opts := short()
		opts["name"] = "ada"
		ada := join(t, rs, "rooms.create", clicker.RoomType, opts)
		bob := join(t, rs, "rooms.joinById", ada.room, map[string]any{"name": "  bob  "})

		s := bob.c.state(t)
		require.EqualValues(t, 1, s["round"])
		require.Equal(t, clicker.PhasePlaying, s["phase"])
		require.EqualValues(t, 2, s["timeLeft"])
		require.Equal(t, "", s["winner"])
		require.Equal(t, map[string]any{"name": "ada", "score": uint64(0), "wins": uint64(0), "online": true}, bob.c.player(t, ada.id))
		require.Equal(t, "bob", bob.c.player(t, bob.id)["name"])

		ada.click(map[string]any{"n": int64(3)}) // msgpack clients send integers
		bob.click(map[string]any{"n": 1.0})      // JSON clients floats
		bob.click(map[string]any{})              // n defaults to 1
		time.Sleep(150 * time.Millisecond)
		require.EqualValues(t, 3, ada.c.player(t, ada.id)["score"])
		require.EqualValues(t, 2, ada.c.player(t, bob.id)["score"])
		require.EqualValues(t, 2, ada.c.state(t)["timeLeft"], "whole seconds, rounded up")

		time.Sleep(2 * time.Second) // the round ends
		s = bob.c.state(t)
		require.Equal(t, clicker.PhaseIntermission, s["phase"])
		require.Equal(t, ada.id, s["winner"])
		require.Equal(t, "ada", s["winnerName"])
		require.EqualValues(t, 3, s["winnerScore"])
		require.EqualValues(t, 1, bob.c.player(t, ada.id)["wins"])
		require.EqualValues(t, 0, bob.c.player(t, bob.id)["wins"])
		require.EqualValues(t, 3, bob.c.player(t, ada.id)["score"], "final scores stay during the intermission")

		bob.click(map[string]any{"n": int64(10)})
		time.Sleep(150 * time.Millisecond)
		require.EqualValues(t, 2, bob.c.player(t, bob.id)["score"], "no clicks in the intermission")

		time.Sleep(time.Second) // the next round
		s = bob.c.state(t)
		require.EqualValues(t, 2, s["round"])
		require.Equal(t, clicker.PhasePlaying, s["phase"])
		require.Equal(t, ada.id, s["winner"], "last round's winner stays")
		require.EqualValues(t, 0, bob.c.player(t, ada.id)["score"])
		require.EqualValues(t, 0, bob.c.player(t, bob.id)["score"])
		require.EqualValues(t, 1, bob.c.player(t, ada.id)["wins"])
	})
}

// A tie goes to whoever reached the score first; a round nobody clicked
// in has no winner.
func TestTieAndNoWinner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		ada := join(t, rs, "rooms.create", clicker.RoomType, short())
		bob := join(t, rs, "rooms.joinById", ada.room, nil)
		bob.click(map[string]any{"n": int64(4)})
		time.Sleep(200 * time.Millisecond)
		ada.click(map[string]any{"n": int64(2)})
		ada.click(map[string]any{"n": int64(2)})
		time.Sleep(2 * time.Second)
		s := ada.c.state(t)
		require.Equal(t, clicker.PhaseIntermission, s["phase"])
		require.EqualValues(t, 4, ada.c.player(t, ada.id)["score"])
		require.Equal(t, bob.id, s["winner"], "bob reached 4 first")
		require.Equal(t, clicker.DefaultName, s["winnerName"])

		time.Sleep(3 * time.Second) // round 2: nobody clicks
		s = ada.c.state(t)
		require.EqualValues(t, 2, s["round"])
		require.Equal(t, clicker.PhaseIntermission, s["phase"])
		require.Equal(t, "", s["winner"])
		require.Equal(t, "", s["winnerName"])
		require.EqualValues(t, 0, s["winnerScore"])
		require.EqualValues(t, 1, ada.c.player(t, bob.id)["wins"])
	})
}

// Bad inputs are ignored and cost nothing else: the player keeps its seat
// and its later clicks count.
func TestBadInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		ada := join(t, rs, "rooms.create", clicker.RoomType, nil)
		for _, payload := range []any{
			nil, "click", int64(1), []any{int64(1)}, []byte{1},
			map[string]any{"n": int64(0)}, map[string]any{"n": int64(-1)}, map[string]any{"n": int64(11)},
			map[string]any{"n": 2.5}, map[string]any{"n": "3"}, map[string]any{"n": 1e300},
			map[string]any{"n": uint64(1 << 63)}, map[string]any{"n": nil}, map[string]any{"n": true},
		} {
			ada.click(payload)
		}
		ada.click(map[string]any{"n": int64(10)})
		time.Sleep(150 * time.Millisecond)
		require.EqualValues(t, 10, ada.c.player(t, ada.id)["score"])
	})
}

// A dropped player stays in the state as a ghost (online false) while its
// seat is held, comes back online with rooms.resume, and is removed when a
// later drop outlasts the grace.
func TestDropAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		ada := join(t, rs, "rooms.create", clicker.RoomType, nil)
		bob := join(t, rs, "rooms.joinById", ada.room, map[string]any{"name": "bob"})
		bob.click(map[string]any{"n": int64(5)})
		time.Sleep(150 * time.Millisecond)

		bob.sess.Close()
		time.Sleep(150 * time.Millisecond)
		ghost := ada.c.player(t, bob.id)
		require.Equal(t, false, ghost["online"])
		require.EqualValues(t, 5, ghost["score"], "a ghost keeps its score")

		back := newConn()
		sess := rs.Connect(back, rooms.ConnInfo{})
		ack := call(sess, "rooms.resume", map[string]any{"token": bob.token})
		require.Equal(t, true, ack["ok"], "%v", ack)
		require.Equal(t, bob.id, ack["sessionId"])
		time.Sleep(150 * time.Millisecond)
		require.Equal(t, true, ada.c.player(t, bob.id)["online"])
		require.Equal(t, true, back.player(t, bob.id)["online"])

		sess.Close()
		time.Sleep(rooms.DefaultReconnectGrace + time.Second)
		require.Nil(t, ada.c.player(t, bob.id), "removed when the grace ended")
	})
}

// Emotes are broadcast to the room; anything else is refused.
func TestEmote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		ada := join(t, rs, "rooms.create", clicker.RoomType, nil)
		bob := join(t, rs, "rooms.joinById", ada.room, nil)

		require.Equal(t, map[string]any{"ok": true}, call(ada.sess, "msg", clicker.MsgEmote, "🎉"))
		want := []map[string]any{{"type": clicker.MsgEmote, "payload": map[string]any{"from": ada.id, "emote": "🎉"}}}
		for _, p := range []*player{ada, bob} {
			p.c.mu.Lock()
			require.Equal(t, want, p.c.msgs)
			p.c.mu.Unlock()
		}
		for _, tc := range []struct{ typ, payload any }{{clicker.MsgEmote, "💩"}, {clicker.MsgEmote, int64(1)}, {"dance", "🎉"}} {
			ack := call(bob.sess, "msg", tc.typ, tc.payload)
			require.Equal(t, false, ack["ok"], "%v", tc)
			require.Equal(t, rooms.CodeMessageRefused, ack["error"].(map[string]any)["code"])
		}
	})
}

// Round options: bad values refuse the room with the reason; matchmaking
// keeps joiners apart by round length, and a joiner asking for the default
// lengths finds a default room.
func TestRoundOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := newServer(t)
		for _, opts := range []map[string]any{
			{clicker.OptionRoundSeconds: 0.1},
			{clicker.OptionRoundSeconds: "20"},
			{clicker.OptionIntermissionSeconds: int64(100000)},
		} {
			c := newConn()
			ack := call(rs.Connect(c, rooms.ConnInfo{}), "rooms.create", clicker.RoomType, opts)
			require.Equal(t, false, ack["ok"], "%v", opts)
			e := ack["error"].(map[string]any)
			require.Equal(t, rooms.CodeCreateFailed, e["code"])
			require.Contains(t, e["message"], "clicker: option")
		}

		def := join(t, rs, "rooms.create", clicker.RoomType, nil)
		fast := join(t, rs, "rooms.joinOrCreate", clicker.RoomType, short())
		require.NotEqual(t, def.room, fast.room)
		again := join(t, rs, "rooms.joinOrCreate", clicker.RoomType, map[string]any{clicker.OptionRoundSeconds: int64(20)})
		require.Equal(t, def.room, again.room)
	})
}
