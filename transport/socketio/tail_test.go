package socketio

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

func TestTailPacketBothParsers(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		var socks []*Socket
		srv.OnConnection(func(s *Socket) { socks = append(socks, s) })
		a, b := srv.fakeClient(t, mp), srv.fakeClient(t, mp)
		a.connect("/", nil)
		b.connect("/", nil)
		require.Len(t, socks, 2)

		state := []byte{0x92, 0x07, 0xc3}
		p, err := PrepareTailEvent("/", "delta", state)
		require.NoError(t, err)
		require.NoError(t, socks[0].EmitTail(p, 0, true))
		require.NoError(t, socks[1].EmitTail(p, 1<<40, false))
		require.NoError(t, socks[0].EmitTail(p, 300, true))

		ga := a.waitPackets(2)
		gb := b.waitPackets(1)
		want := func(ack uint64) siocodec.Packet {
			return siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{"delta", state, int64(ack)}}
		}
		assert.Equal(t, want(0), ga[0])
		assert.Equal(t, want(300), ga[1])
		assert.Equal(t, want(1<<40), gb[0])
	})
}

func TestTailPacketWireBytes(t *testing.T) {
	p, err := PrepareTailEvent("/", "delta", []byte{0xaa, 0xbb})
	require.NoError(t, err)

	text, err := p.AppendTail(nil, ParserDefault, 42)
	require.NoError(t, err)
	assert.Equal(t, `51-["delta",{"_placeholder":true,"num":0},42]`, string(text))
	atts, err := p.TailAttachments(ParserDefault)
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, []byte{0xaa, 0xbb}, atts[0].Payload())
	atts2, _ := p.TailAttachments(ParserDefault)
	assert.Same(t, atts[0], atts2[0], "the attachment frame is shared")

	m, err := p.AppendTail(nil, ParserMsgpack, 200)
	require.NoError(t, err)
	// {"type":2,"nsp":"/","data":["delta",bin(aabb),200]}: keys in that
	// order, the ack is the last bytes (cc c8).
	want := []byte{0x83,
		0xa4, 't', 'y', 'p', 'e', 0x02,
		0xa3, 'n', 's', 'p', 0xa1, '/',
		0xa4, 'd', 'a', 't', 'a', 0x93,
		0xa5, 'd', 'e', 'l', 't', 'a',
		0xc4, 0x02, 0xaa, 0xbb,
		0xcc, 0xc8}
	assert.Equal(t, want, m)
	dec, err := siocodec.DecodeMsgpack(m, siocodec.Limits{})
	require.NoError(t, err)
	assert.Equal(t, []any{"delta", []byte{0xaa, 0xbb}, int64(200)}, dec.Data)

	// Another namespace and a raw msgpack argument.
	p2, err := PrepareTailEvent("/game", "snapshot", mpack.Raw{0x91, 0x01})
	require.NoError(t, err)
	text, err = p2.AppendTail(nil, ParserDefault, 7)
	require.NoError(t, err)
	assert.Equal(t, `51-/game,["snapshot",{"_placeholder":true,"num":0},7]`, string(text))
}

// A shared suffix after the tail (a state frame's checksum): encoded once,
// exact bytes for both parsers, and decoded back as the last argument.
func TestTailPacketSuffixWireBytes(t *testing.T) {
	p, err := PrepareTailEventSuffix("/", "delta", []any{[]byte{0xaa, 0xbb}}, []any{"00000000deadbeef"})
	require.NoError(t, err)

	text, err := p.AppendTail(nil, ParserDefault, 42)
	require.NoError(t, err)
	assert.Equal(t, `51-["delta",{"_placeholder":true,"num":0},42,"00000000deadbeef"]`, string(text))
	atts, err := p.TailAttachments(ParserDefault)
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, []byte{0xaa, 0xbb}, atts[0].Payload())

	m, err := p.AppendTail(nil, ParserMsgpack, 200)
	require.NoError(t, err)
	want := []byte{0x83,
		0xa4, 't', 'y', 'p', 'e', 0x02,
		0xa3, 'n', 's', 'p', 0xa1, '/',
		0xa4, 'd', 'a', 't', 'a', 0x94, // array of 4
		0xa5, 'd', 'e', 'l', 't', 'a',
		0xc4, 0x02, 0xaa, 0xbb,
		0xcc, 0xc8, // the tail
		0xb0, '0', '0', '0', '0', '0', '0', '0', '0', 'd', 'e', 'a', 'd', 'b', 'e', 'e', 'f'}
	assert.Equal(t, want, m)
	dec, err := siocodec.DecodeMsgpack(m, siocodec.Limits{})
	require.NoError(t, err)
	assert.Equal(t, []any{"delta", []byte{0xaa, 0xbb}, int64(200), "00000000deadbeef"}, dec.Data)

	// Two suffix values, another namespace.
	p2, err := PrepareTailEventSuffix("/game", "snapshot", []any{[]byte{1}}, []any{"x", int64(-3)})
	require.NoError(t, err)
	text, err = p2.AppendTail(nil, ParserDefault, 7)
	require.NoError(t, err)
	assert.Equal(t, `51-/game,["snapshot",{"_placeholder":true,"num":0},7,"x",-3]`, string(text))
	m, err = p2.AppendTail(nil, ParserMsgpack, 7)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x07, 0xa1, 'x', 0xfd}, m[len(m)-4:])

	_, err = PrepareTailEventSuffix("/", "delta", nil, []any{[]byte{1}})
	require.Error(t, err, "binary after the tail")
	_, err = PrepareTailEventSuffix("/", "delta", nil, []any{struct{}{}})
	require.Error(t, err)
}

func TestTailPacketSuffixBothParsers(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		var sock *Socket
		srv.OnConnection(func(s *Socket) { sock = s })
		c := srv.fakeClient(t, mp)
		c.connect("/", nil)
		state := []byte{0x92, 0x07, 0x01}
		p, err := PrepareTailEventSuffix("/", "snapshot", []any{state}, []any{"0123456789abcdef"})
		require.NoError(t, err)
		require.NoError(t, sock.EmitTail(p, 5, true))
		got := c.waitPackets(1)
		assert.Equal(t, siocodec.Packet{Type: siocodec.Event, Nsp: "/",
			Data: []any{"snapshot", state, int64(5), "0123456789abcdef"}}, got[0])
	})
}

func TestTailPacketErrors(t *testing.T) {
	_, err := PrepareTailEvent("/", "connect")
	require.ErrorIs(t, err, ErrReservedEvent)
	_, err = PrepareTailEvent("/", "x", struct{}{})
	require.Error(t, err)

	srv := newTestServer(t, Config{})
	var sock *Socket
	srv.Of("/other").OnConnection(func(s *Socket) { sock = s })
	c := srv.fakeClient(t, false)
	c.connect("/other", nil)
	p, _ := PrepareTailEvent("/", "delta", []byte{1})
	require.ErrorIs(t, sock.EmitTail(p, 1, true), ErrNamespaceMismatch)

	p, _ = PrepareTailEvent("/other", "delta", []byte{1})
	c.conn.mu.Lock()
	c.conn.queueFull = true
	c.conn.mu.Unlock()
	require.ErrorIs(t, sock.EmitTail(p, 1, true), ErrDropped)
}

// BenchmarkEmitTail: per-recipient cost of a state frame over the null
// engine session — copy the shared prefix, append the ack, one Engine.IO
// frame (the default parser adds the shared attachment). ns/op and
// allocs/op are per recipient.
func BenchmarkEmitTail(b *testing.B) {
	state := make([]byte, 96) // a typical arena delta for 8 players
	for _, mp := range []bool{true, false} {
		name := "default"
		if mp {
			name = "msgpack"
		}
		b.Run(name, func(b *testing.B) {
			srv := newServer(Config{}.withDefaults())
			var socks []*Socket
			srv.OnConnection(func(s *Socket) { socks = append(socks, s) })
			connectNull(b, srv, 8, mp)
			p, err := PrepareTailEvent("/", "delta", state)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := socks[i%8].EmitTail(p, uint64(i), true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ResetBinary re-prepares a packet in place: with either parser, every
// reset encodes exactly what a packet prepared afresh with the same
// content encodes, whatever the packet held before (longer or shorter
// data, a checksum suffix or none, another namespace).
func TestTailPacketResetBinary(t *testing.T) {
	type content struct {
		nsp, event string
		data       []byte
		suffix     []any
	}
	steps := []content{
		{"/", "delta", []byte{0x92, 0x01, 0x02}, nil},
		{"/", "delta", bytes.Repeat([]byte{7}, 300), []any{"00000000deadbeef"}},
		{"/", "snapshot", []byte{1}, nil},
		{"/game", "delta", []byte{}, []any{"x", int64(-3)}},
		{"/", "delta", []byte{0xc0}, nil},
	}
	p, err := PrepareTailEvent("/", "delta", []byte{9, 9})
	require.NoError(t, err)
	for i, st := range steps {
		require.NoError(t, p.ResetBinary(st.nsp, st.event, st.data, st.suffix), "step %d", i)
		fresh, err := PrepareTailEventSuffix(st.nsp, st.event, []any{st.data}, st.suffix)
		require.NoError(t, err)
		for _, parser := range []Parser{ParserMsgpack, ParserDefault} {
			got, err := p.AppendTail(nil, parser, uint64(1000+i))
			require.NoError(t, err)
			want, err := fresh.AppendTail(nil, parser, uint64(1000+i))
			require.NoError(t, err)
			require.Equal(t, want, got, "step %d parser %v", i, parser)
			gotAtt, err := p.TailAttachments(parser)
			require.NoError(t, err)
			wantAtt, err := fresh.TailAttachments(parser)
			require.NoError(t, err)
			require.Len(t, gotAtt, len(wantAtt))
			for k := range wantAtt {
				require.Equal(t, wantAtt[k].Payload(), gotAtt[k].Payload())
			}
		}
		require.Equal(t, normalizeNsp(st.nsp), p.Namespace())
	}
	require.ErrorIs(t, p.ResetBinary("/", "connect", nil, nil), ErrReservedEvent)
	require.Error(t, p.ResetBinary("/", "delta", nil, []any{[]byte{1}}), "binary after the tail")
}
