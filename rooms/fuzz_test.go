package rooms

import (
	"context"
	"testing"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
)

var fuzzEvents = []string{
	EventJoinOrCreate, EventCreate, EventJoin, EventJoinByID, EventList, EventLeave, EventResume,
	EventInput, EventMsg, EventLobbySubscribe, EventLobbyUnsubscribe, "nope",
}

// FuzzSessionHandle feeds arbitrary arguments (decoded like a msgpack
// client's, with the bounded reader) to every protocol event: Handle never
// panics and every ack is {ok: bool, ...} with an error code when not ok.
// Input: first byte selects events (one per following msgpack array).
func FuzzSessionHandle(f *testing.F) {
	seed := func(ev byte, args ...any) {
		b := []byte{ev}
		b, _ = mpack.AppendValue(b, args)
		f.Add(b)
	}
	seed(0, "counter", map[string]any{"name": "a"})
	seed(1, "counter", nil)
	seed(2, "counter", map[string]any{"mode": int64(3)})
	seed(3, "abc", "x")
	seed(4, map[string]any{"name": "counter", "filter": map[string]any{"k": 1.5}})
	seed(6, map[string]any{"token": "zzz", "tick": int64(-1)})
	seed(7, int64(1), map[string]any{"dx": 1.0})
	seed(8, "hi", []byte{1, 2})
	seed(9, "counter")
	seed(11)
	f.Add([]byte{0x07, 0xdd, 0xff, 0xff, 0xff, 0xff})

	srv, err := NewServer(Config{Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if err := srv.Define("counter", func() Game { return &counterGame{} }, Settings{TickRate: 1000, MaxClients: 2}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		conn := &fakeConn{id: "fuzz"}
		sess := srv.Connect(conn, ConnInfo{})
		conn.sess = sess
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
			sess.Handle(event, args, func(a ...any) {
				m, _ := a[0].(map[string]any)
				done <- m
			})
			if event == EventInput {
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
