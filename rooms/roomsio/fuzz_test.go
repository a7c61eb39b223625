package roomsio_test

import (
	"context"
	"testing"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
)

var fuzzEvents = []string{
	roomsio.EventJoinOrCreate, roomsio.EventCreate, roomsio.EventJoin, roomsio.EventJoinByID,
	roomsio.EventList, roomsio.EventLeave, roomsio.EventResume, roomsio.EventInput, roomsio.EventMsg,
	roomsio.EventLobbySubscribe, roomsio.EventLobbyUnsubscribe, "nope",
	roomsio.EventClaim, // last: the recorded seeds keep their events
}

// FuzzDispatch feeds arbitrary arguments (decoded like a msgpack client's,
// with the bounded reader) to every protocol event: Dispatch never panics
// and every ack is {ok: bool, ...} with an error code when not ok.
// Input: first byte selects events (one per following msgpack array).
func FuzzDispatch(f *testing.F) {
	seed := func(ev byte, args ...any) {
		b := []byte{ev}
		b, _ = mpack.AppendValue(b, args)
		f.Add(b)
	}
	seed(0, "move", map[string]any{"name": "a"})
	seed(1, "move", nil)
	seed(2, "move", map[string]any{"mode": int64(3)})
	seed(3, "abc", "x")
	seed(4, map[string]any{"name": "move", "filter": map[string]any{"k": 1.5}})
	seed(6, map[string]any{"token": "zzz", "tick": int64(-1)})
	seed(7, int64(1), map[string]any{"dx": 1.0})
	seed(8, "hi", []byte{1, 2})
	seed(9, "move")
	seed(11)
	f.Add([]byte{0x07, 0xdd, 0xff, 0xff, 0xff, 0xff})

	rs, err := rooms.NewServer(rooms.Config{Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	defer rs.Shutdown(context.Background())
	if err := rs.Define("move", func() rooms.Game { return &moveGame{} }, rooms.Settings{TickRate: 1000, MaxClients: 2}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		sess := rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
		defer sess.Close()
		r := mpack.NewReader(data[1:], mpack.Limits{MaxDepth: 8})
		for i := 0; r.Len() > 0 && i < 8; i++ {
			v, err := r.ReadValue()
			if err != nil {
				return
			}
			args, _ := v.([]any)
			event := fuzzEvents[int(data[0]+byte(i))%len(fuzzEvents)]
			done := make(chan map[string]any, 1)
			roomsio.Dispatch(sess, event, args, func(a ...any) {
				m, _ := a[0].(map[string]any)
				done <- m
			})
			if event == roomsio.EventInput {
				continue
			}
			select {
			case m := <-done:
				ok, isBool := m["ok"].(bool)
				if !isBool {
					t.Fatalf("%s%v: ack %v without ok", event, args, m)
				}
				if !ok {
					e, _ := m["error"].(map[string]any)
					if c, _ := e["code"].(string); c == "" {
						t.Fatalf("%s%v: error ack %v without code", event, args, m)
					}
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s%v: no ack", event, args)
			}
		}
	})
}
