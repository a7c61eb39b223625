package arena_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
)

func encode(t testing.TB, v any) []byte {
	b, err := mpack.AppendValue(nil, v)
	require.NoError(t, err)
	return b
}

func TestDecodeMove(t *testing.T) {
	cases := []struct {
		name    string
		payload []byte
		want    arena.Move
		err     bool
	}{
		{"integers", encode(t, map[string]any{"dx": int64(1), "dy": int64(-1)}), arena.Move{DX: 1, DY: -1}, false},
		{"floats snapped", encode(t, map[string]any{"dx": 0.25, "dy": float32(-0.5)}), arena.Move{DX: 0, DY: -1}, false},
		{"diagonal snapped", encode(t, map[string]any{"dx": 0.707107, "dy": -0.707107}), arena.Move{DX: 1, DY: -1}, false},
		{"large and NaN", encode(t, map[string]any{"dx": 1e300, "dy": math.NaN()}), arena.Move{DX: 1, DY: 0}, false},
		{"missing axis", encode(t, map[string]any{"dy": int64(1)}), arena.Move{DY: 1}, false},
		{"other keys skipped", encode(t, map[string]any{"dx": int64(1), "fire": []any{true, map[string]any{"x": "y"}}}), arena.Move{DX: 1}, false},
		{"axis not a number", encode(t, map[string]any{"dx": "left", "dy": nil}), arena.Move{}, false},
		{"not an object", encode(t, []any{int64(1), int64(2)}), arena.Move{}, false},
		{"nil", encode(t, nil), arena.Move{}, false},
		{"non-string key", []byte{0x81, 0x01, 0x02}, arena.Move{}, false},
		{"truncated", []byte{0x82, 0xa2, 'd', 'x'}, arena.Move{}, true},
		{"huge map", []byte{0xdf, 0xff, 0xff, 0xff, 0xff}, arena.Move{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mpack.NewReader(tc.payload, mpack.Limits{MaxDepth: 16})
			v, err := arena.DecodeMove(r)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
			assert.Zero(t, r.Len(), "reads exactly one value")
		})
	}
}

// FuzzDecodeMove: never panics; on success it agrees with the generic
// path (Input.Float on the payload decoded to the argument model, snapped
// with Axis) when that path can decode the payload.
func FuzzDecodeMove(f *testing.F) {
	f.Add(encode(f, map[string]any{"dx": int64(1), "dy": -0.5}))
	f.Add(encode(f, []any{"x", map[string]any{}}))
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := mpack.NewReader(b, mpack.Limits{MaxDepth: 16})
		v, err := arena.DecodeMove(r)
		if err != nil {
			return
		}
		m := v.(arena.Move)
		generic, err := mpack.NewReader(b[:len(b)-r.Len()], mpack.Limits{MaxDepth: 16}).ReadValue()
		if err != nil {
			return // e.g. an ext the generic reader refuses inside a skipped value
		}
		in := rooms.Input{Payload: generic}
		if arena.Axis(in.Float("dx", 0)) != m.DX || arena.Axis(in.Float("dy", 0)) != m.DY {
			t.Fatalf("typed %+v, generic %v", m, generic)
		}
	})
}

// benchSession is a session seated in a bench-mode arena room whose
// settings typed selects (DecodeMove or the generic payload); the room
// ticks at 1000 Hz with a large inbox so it keeps up with the benchmark.
func benchSession(b *testing.B, typed bool) *rooms.Session {
	rs, err := rooms.NewServer(rooms.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = rs.Shutdown(context.Background()) })
	settings := arena.Settings()
	settings.TickRate, settings.InboxSize, settings.MaxInputsPerSecond = 1000, 1<<16, 1<<30
	if !typed {
		settings.Input = nil
	}
	require.NoError(b, rs.Define("bench", func() rooms.Game { return arena.NewGame(arena.Config{Mode: arena.ModeBench}) }, settings))
	sess := rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
	done := make(chan error, 1)
	sess.Join(rooms.JoinRequest{Name: "bench"}, func(_ rooms.Seat, err error) { done <- err })
	require.NoError(b, <-done)
	return sess
}

// BenchmarkInputPath: one arena input {dx, dy} from the bytes a msgpack
// client sent to the game's OnInput (the room goroutine's share included,
// process-wide allocs/op). typed-raw is the path of a msgpack session:
// roomsio hands the payload's bytes to Session.InputMsgpack and DecodeMove
// reads them into a Move (no map). generic-raw: the same bytes decoded to
// the argument model (a map per input). generic-packet: the path without
// the raw hook — the whole packet decoded by codec/socketio, then
// roomsio.Dispatch (a map and the argument slices per input).
func BenchmarkInputPath(b *testing.B) {
	payload := encode(b, map[string]any{"dx": int64(1), "dy": int64(-1)})
	packet, err := siocodec.AppendMsgpack(nil, &siocodec.Packet{Type: siocodec.Event, Nsp: "/",
		Data: []any{"input", int64(1), map[string]any{"dx": int64(1), "dy": int64(-1)}}})
	require.NoError(b, err)
	for _, tc := range []struct {
		name  string
		typed bool
		send  func(sess *rooms.Session, seq uint64)
	}{
		{"typed-raw", true, func(sess *rooms.Session, seq uint64) { sess.InputMsgpack(seq, payload) }},
		{"generic-raw", false, func(sess *rooms.Session, seq uint64) { sess.InputMsgpack(seq, payload) }},
		{"generic-packet", false, func(sess *rooms.Session, seq uint64) {
			p, err := siocodec.DecodeMsgpack(packet, siocodec.Limits{})
			if err != nil {
				panic(err)
			}
			args := p.Data.([]any)[1:]
			args[0] = int64(seq)
			roomsio.Dispatch(sess, roomsio.EventInput, args, nil)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sess := benchSession(b, tc.typed)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				tc.send(sess, uint64(i+1))
			}
		})
	}
}
