package socketio

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// rawSeen is what a raw handler got.
type rawSeen struct {
	n    int
	args []byte
	ack  bool
}

// With the msgpack parser, an event with a raw handler reaches it with its
// encoded arguments (keys in any order, an ack id honoured); other events,
// and every event with the default parser, go to the generic handlers.
func TestRawEvent(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		var raws []rawSeen
		var generic []string
		srv.OnConnection(func(s *Socket) {
			require.NoError(t, s.OnRawEvent("input", func(_ *Socket, a RawArgs, ack func(...any)) {
				raws = append(raws, rawSeen{n: a.Len(), args: append([]byte(nil), a.Bytes()...), ack: ack != nil})
				if ack != nil {
					ack("raw")
				}
			}))
			s.OnAny(func(_ *Socket, event string, args []any, ack func(...any)) {
				generic = append(generic, event)
				if ack != nil {
					ack("generic")
				}
			})
		})
		c := srv.fakeClient(t, mp)
		c.connect("/", nil)
		c.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"input", int64(7), map[string]any{"dx": int64(1)}}})
		c.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/", HasID: true, ID: 3, Data: []any{"input", int64(8)}})
		c.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"other", int64(1)}})
		acks := c.waitPackets(1)
		assert.Equal(t, []string{"other"}, generic)
		require.Len(t, raws, 2)
		want0 := mpack.AppendInt(nil, 7)
		want0 = mpack.AppendMapHeader(want0, 1)
		want0 = mpack.AppendInt(mpack.AppendString(want0, "dx"), 1)
		assertSameArgs(t, rawSeen{n: 2, args: want0}, raws[0])
		assertSameArgs(t, rawSeen{n: 1, args: mpack.AppendInt(nil, 8), ack: true}, raws[1])
		assert.Equal(t, siocodec.Packet{Type: siocodec.Ack, Nsp: "/", HasID: true, ID: 3, Data: []any{"raw"}}, acks[0])

		// Binary arguments: the default parser sends attachments, which
		// take the generic path; msgpack carries them inline.
		c.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"input", int64(9), []byte{1, 2}}})
		if !mp {
			assert.Equal(t, []string{"other", "input"}, generic)
			return
		}
		require.Len(t, raws, 3)
		assertSameArgs(t, rawSeen{n: 2, args: mpack.AppendBytes(mpack.AppendInt(nil, 9), []byte{1, 2})}, raws[2])

		// A JavaScript client's key order (type, data, options, id, nsp).
		var b []byte
		b = mpack.AppendMapHeader(b, 5)
		b = mpack.AppendUint(mpack.AppendString(b, "type"), 2)
		b = mpack.AppendArrayHeader(mpack.AppendString(b, "data"), 2)
		b = mpack.AppendInt(mpack.AppendString(b, "input"), 9)
		b = mpack.AppendMapHeader(mpack.AppendString(b, "options"), 1)
		b = mpack.AppendBool(mpack.AppendString(b, "compress"), true)
		b = append(mpack.AppendString(b, "id"), 0xd4, 0x00, 0x00) // undefined
		b = mpack.AppendString(mpack.AppendString(b, "nsp"), "/")
		c.cl.onMessage(b, true)
		require.Len(t, raws, 4)
		assert.Equal(t, rawSeen{n: 1, args: mpack.AppendInt(nil, 9)}, raws[3])
	})
}

// assertSameArgs compares arguments by value (the default parser's are
// transcoded with 32-bit headers, so their bytes differ).
func assertSameArgs(t *testing.T, want, got rawSeen) {
	t.Helper()
	assert.Equal(t, want.n, got.n)
	assert.Equal(t, want.ack, got.ack)
	assert.Equal(t, decodeAll(t, want.args), decodeAll(t, got.args))
}

func decodeAll(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	r := mpack.NewReader(b, mpack.Limits{})
	for r.Len() > 0 {
		v, err := r.ReadValue()
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// Malformed packets are not taken by the raw path: the generic decoder
// refuses them and closes the session, as without a raw handler.
func TestRawEventMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"trailing byte": append(mustMsgpack(t, siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"input", int64(1)}}), 0xc0),
		"huge array":    {0x82, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't', 'a', 0xdd, 0xff, 0xff, 0xff, 0xff},
		"reserved name": mustMsgpack(t, siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"connect", int64(1)}}),
	} {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, Config{})
			var raws int
			srv.OnConnection(func(s *Socket) {
				require.NoError(t, s.OnRawEvent("input", func(*Socket, RawArgs, func(...any)) { raws++ }))
			})
			c := srv.fakeClient(t, true)
			c.connect("/", nil)
			c.cl.onMessage(b, true)
			assert.Zero(t, raws)
		})
	}
	srv := newTestServer(t, Config{})
	var sock *Socket
	srv.OnConnection(func(s *Socket) { sock = s })
	c := srv.fakeClient(t, true)
	c.connect("/", nil)
	require.ErrorIs(t, sock.OnRawEvent("disconnect", nil), ErrReservedEvent)
}

func mustMsgpack(t *testing.T, p siocodec.Packet) []byte {
	b, err := siocodec.AppendMsgpack(nil, &p)
	require.NoError(t, err)
	return b
}

// FuzzPeekRawEvent: the raw envelope reader never panics, and whatever it
// takes the generic decoder takes too, with the same event name and
// arguments.
func FuzzPeekRawEvent(f *testing.F) {
	seed := func(p siocodec.Packet) {
		b, _ := siocodec.AppendMsgpack(nil, &p)
		f.Add(b)
	}
	seed(siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"input", int64(7), map[string]any{"dx": 1.5}}})
	seed(siocodec.Packet{Type: siocodec.Event, Nsp: "/g", HasID: true, ID: 4, Data: []any{"msg", "t", []any{nil, true}}})
	f.Add([]byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't', 'a', 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, ok := peekRawEvent(data, siocodec.DefaultMaxDepth+1)
		if !ok {
			return
		}
		p, err := siocodec.DecodeMsgpack(data, siocodec.Limits{})
		if err != nil {
			t.Fatalf("raw path took a packet the decoder refuses: %v", err)
		}
		requireRawIsPacket(t, ev, p)
	})
}

// FuzzPeekRawText: the default parser's raw path never panics, and
// whatever it takes the generic decoder takes too, with the same event
// name, id and argument values.
func FuzzPeekRawText(f *testing.F) {
	f.Add([]byte(`2["input",7,{"dx":1.5,"dy":-1,"s":"a\u00e9\ud83d\ude00"}]`))
	f.Add([]byte(`2/game,12["msg","t",[null,true,false,1e400,-0,12345678901234567890]]`))
	f.Add([]byte(`2 [ "input" , 1 ]`))
	f.Add([]byte(`21-["x",{"_placeholder":true,"num":0}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, _, ok := peekRawText(data, siocodec.DefaultMaxDepth, nil)
		if !ok {
			return
		}
		p, done, err := siocodec.NewDecoder(siocodec.Limits{}).Decode(data, false)
		if err != nil || !done {
			t.Fatalf("raw path took %q, the decoder does not: %v", data, err)
		}
		requireRawIsPacket(t, ev, p)
		require.Equal(t, p.ID, ev.id)
		require.Equal(t, p.Namespace(), nspOf(ev.nsp))
	})
}

// requireRawIsPacket checks that the raw path read the event the decoder
// did: its name, whether it asks for an ack, and its argument values (in
// ev.args as msgpack).
func requireRawIsPacket(t *testing.T, ev rawEvent, p siocodec.Packet) {
	t.Helper()
	name, _ := p.EventName()
	require.Equal(t, name, string(ev.name))
	require.Equal(t, p.HasID, ev.hasID)
	args := p.Data.([]any)[1:]
	require.Len(t, args, ev.nargs)
	r := mpack.NewReader(ev.args, mpack.Limits{})
	for _, want := range args {
		got, err := r.ReadValue()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("%#v", want), fmt.Sprintf("%#v", got)) // (NaN != NaN)
	}
}

func nspOf(b []byte) string {
	if len(b) > 1 {
		return string(b)
	}
	return "/"
}

// BenchmarkRawEvent: one input(seq, {dx, dy}) message through the
// transport to a raw handler (msgpack: arguments passed in place;
// default: JSON transcoded into a pooled buffer) versus the generic
// decoding to an OnAny handler. allocs/op are per message.
func BenchmarkRawEvent(b *testing.B) {
	for _, mp := range []bool{true, false} {
		for _, raw := range []bool{true, false} {
			name := map[bool]string{true: "msgpack", false: "default"}[mp] + map[bool]string{true: "/raw", false: "/generic"}[raw]
			b.Run(name, func(b *testing.B) {
				srv := newServer(Config{ConnectTimeout: -1}.withDefaults())
				var got int
				var cl *client
				srv.OnConnection(func(s *Socket) {
					cl = s.cl
					if raw {
						_ = s.OnRawEvent("input", func(_ *Socket, a RawArgs, _ func(...any)) { got += a.Len() })
					}
					s.OnAny(func(_ *Socket, _ string, args []any, _ func(...any)) { got += len(args) })
				})
				connectNull(b, srv, 1, mp)
				p := siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"input", int64(12345), map[string]any{"dx": int64(1), "dy": -0.5}}}
				var msg []byte
				if mp {
					msg, _ = siocodec.AppendMsgpack(nil, &p)
				} else {
					msg, _, _ = siocodec.AppendDefault(nil, &p)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					cl.onMessage(msg, mp)
				}
				if got == 0 {
					b.Fatal("no event handled")
				}
			})
		}
	}
}
