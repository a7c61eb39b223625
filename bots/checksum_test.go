package bots

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	statesync "github.com/roomcast/roomcast/sync"
)

type sumPlayer struct {
	statesync.Entity
	X     statesync.Int32
	Score statesync.Uint16
}

type sumRoom struct {
	statesync.Entity
	Round   statesync.Uint32
	Players statesync.Map[string, *sumPlayer]
}

// sumFrame is one state frame as a server sends it, with its checksum.
type sumFrame struct {
	kind  string
	state []byte
	sum   uint64
}

// sumFrames runs a small state for a few ticks: a snapshot at tick 1,
// then one delta per tick, each with the encoder's checksum after it.
func sumFrames(t *testing.T) []sumFrame {
	t.Helper()
	st := &sumRoom{}
	enc, err := statesync.NewEncoder(st, statesync.EncoderOptions{})
	require.NoError(t, err)
	p := &sumPlayer{}
	st.Players.Set("s1", p)
	st.Round.Set(1)
	_, _ = enc.EncodeDelta(nil, 1)
	frames := []sumFrame{{EventSnapshot, enc.EncodeSnapshot(nil, 1), enc.Checksum()}}
	for tick := uint32(2); tick <= 5; tick++ {
		p.X.Set(int32(tick) * 3)
		p.Score.Set(uint16(tick))
		if tick == 4 {
			st.Players.Set("s2", &sumPlayer{})
		}
		d, changed := enc.EncodeDelta(nil, tick)
		require.True(t, changed)
		frames = append(frames, sumFrame{EventDelta, d, enc.Checksum()})
	}
	return frames
}

// wire encodes f for parser p as the server does: event(state, ack) or,
// with a checksum, event(state, ack, "16 hex digits").
func (f sumFrame) wire(t *testing.T, p Parser, ack uint64, sum string) (text []byte, bin []byte) {
	t.Helper()
	if p == ParserMsgpack {
		data := []any{f.kind, f.state, ack}
		if sum != "" {
			data = append(data, sum)
		}
		b, err := siocodec.AppendMsgpack(nil, &siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: data})
		require.NoError(t, err)
		return nil, b
	}
	head := fmt.Sprintf(`51-["%s",{"_placeholder":true,"num":0},%d`, f.kind, ack)
	if sum != "" {
		head += `,"` + sum + `"`
	}
	return []byte(head + "]"), f.state
}

// feed hands a frame to g's fast path, as the read goroutine does.
func feed(t *testing.T, g *Game, text, bin []byte) {
	t.Helper()
	if text != nil {
		require.True(t, g.onRaw(text, false), "header %s not taken", text)
	}
	require.True(t, g.onRaw(bin, true), "frame not taken")
}

// unconnectedGame is a Game whose fast path can be fed by hand.
func unconnectedGame(t *testing.T, p Parser, mirror StateMirror) *Game {
	t.Helper()
	g, err := NewGame(GameConfig{Client: Config{URL: "http://127.0.0.1:1", Parser: p}, Mirror: mirror})
	require.NoError(t, err)
	c, err := New(g.cfg.Client)
	require.NoError(t, err)
	g.cli.Store(c)
	return g
}

func TestGame_ChecksumVerified(t *testing.T) {
	frames := sumFrames(t)
	for _, p := range []Parser{ParserMsgpack, ParserDefault} {
		t.Run(p.String(), func(t *testing.T) {
			t.Run("matching checksums: no desync", func(t *testing.T) {
				m := statesync.NewMirror(statesync.MirrorLimits{})
				g := unconnectedGame(t, p, m)
				for i, f := range frames {
					text, bin := f.wire(t, p, uint64(i), fmt.Sprintf("%016x", f.sum))
					feed(t, g, text, bin)
				}
				st := g.Stats()
				require.EqualValues(t, 5, st.Checksums)
				require.Zero(t, st.Desyncs)
				require.Zero(t, st.MirrorErrors)
				require.EqualValues(t, 4, st.Deltas)
				require.EqualValues(t, 4, st.LastAck)
				require.Equal(t, frames[len(frames)-1].sum, m.Checksum())
			})
			t.Run("frames without checksum are unaffected", func(t *testing.T) {
				m := statesync.NewMirror(statesync.MirrorLimits{})
				g := unconnectedGame(t, p, m)
				for i, f := range frames {
					text, bin := f.wire(t, p, uint64(i), "")
					feed(t, g, text, bin)
				}
				st := g.Stats()
				require.Zero(t, st.Desyncs)
				require.Zero(t, st.Checksums)
				require.EqualValues(t, 5, st.Snapshots+st.Deltas)
				require.EqualValues(t, 5, m.Tick())
			})
			t.Run("wrong checksum: desync, deltas skipped until a snapshot", func(t *testing.T) {
				m := statesync.NewMirror(statesync.MirrorLimits{})
				g := unconnectedGame(t, p, m)
				var mu sync.Mutex
				var got []Desync
				g.OnDesync(func(d Desync) {
					mu.Lock()
					got = append(got, d)
					mu.Unlock()
				})
				text, bin := frames[0].wire(t, p, 0, fmt.Sprintf("%016x", frames[0].sum))
				feed(t, g, text, bin)
				bad := frames[1].sum ^ 1
				text, bin = frames[1].wire(t, p, 1, fmt.Sprintf("%016x", bad))
				feed(t, g, text, bin)
				require.EqualValues(t, 1, g.Stats().Desyncs)
				mu.Lock()
				require.Equal(t, []Desync{{Kind: EventDelta, Tick: 2, Want: bad, Got: frames[1].sum}}, got)
				mu.Unlock()
				// resyncing: the next delta is not applied, and a resume
				// would ask for a snapshot (no tick)
				text, bin = frames[2].wire(t, p, 2, fmt.Sprintf("%016x", frames[2].sum))
				feed(t, g, text, bin)
				require.EqualValues(t, 2, m.Tick())
				require.NotContains(t, g.resumeArg("tok"), "tick")
				require.EqualValues(t, 1, g.Stats().Desyncs)
				// the snapshot ends the resync
				snap := statesync.NewMirror(statesync.MirrorLimits{})
				require.NoError(t, snap.ApplySnapshot(frames[0].state))
				text, bin = frames[0].wire(t, p, 3, fmt.Sprintf("%016x", frames[0].sum))
				feed(t, g, text, bin)
				require.EqualValues(t, 1, m.Tick())
				require.Equal(t, map[string]any{"token": "tok", "tick": int64(1)}, g.resumeArg("tok"))
				require.EqualValues(t, 3, g.Stats().LastAck) // acks count through it all
			})
			t.Run("no mirror: nothing to verify", func(t *testing.T) {
				g := unconnectedGame(t, p, nil)
				text, bin := frames[0].wire(t, p, 0, "ffffffffffffffff")
				feed(t, g, text, bin)
				require.Zero(t, g.Stats().Desyncs)
				require.EqualValues(t, 1, g.Stats().Snapshots)
			})
		})
	}
}

func TestGame_ChecksumGenericPath(t *testing.T) {
	frames := sumFrames(t)
	m := statesync.NewMirror(statesync.MirrorLimits{})
	g := unconnectedGame(t, ParserMsgpack, m)
	g.onStateArgs(EventSnapshot, []any{frames[0].state, int64(0), fmt.Sprintf("%016x", frames[0].sum)})
	g.onStateArgs(EventDelta, []any{frames[1].state, uint64(1), fmt.Sprintf("%016x", frames[1].sum^0xff00)})
	require.EqualValues(t, 1, g.Stats().Desyncs)
	// a malformed checksum argument is ignored, as if absent
	m2 := statesync.NewMirror(statesync.MirrorLimits{})
	g2 := unconnectedGame(t, ParserMsgpack, m2)
	g2.onStateArgs(EventSnapshot, []any{frames[0].state, int64(0), "not a checksum"})
	g2.onStateArgs(EventDelta, []any{frames[1].state, int64(1), "0123456789ABCDEF"})
	require.Zero(t, g2.Stats().Desyncs)
	require.EqualValues(t, 2, m2.Tick())
}

func TestParseStateTail(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ack    uint64
		sum    uint64
		hasSum bool
		ok     bool
	}{
		{"12]", 12, 0, false, true},
		{`12,"00000000000000ff"]`, 12, 0xff, true, true},
		{`0,"ffffffffffffffff"]`, 0, ^uint64(0), true, true},
		{`12,"00000000000000FF"]`, 0, 0, false, false}, // uppercase
		{`12,"0ff"]`, 0, 0, false, false},
		{`12,7]`, 0, 0, false, false},
		{`12,"00000000000000ff",1]`, 0, 0, false, false},
		{`x]`, 0, 0, false, false},
		{`12`, 0, 0, false, false},
		{`]`, 0, 0, false, false},
	} {
		ack, sum, hasSum, ok := parseStateTail([]byte(tc.in))
		require.Equal(t, tc.ok, ok, tc.in)
		if ok {
			require.Equal(t, []any{tc.ack, tc.sum, tc.hasSum}, []any{ack, sum, hasSum}, tc.in)
		}
	}
}

// A delta that does not apply (a gap) makes the mirror wait for a
// snapshot: later deltas are skipped and a resume asks for a snapshot.
func TestGame_GapResyncs(t *testing.T) {
	frames := sumFrames(t)
	m := statesync.NewMirror(statesync.MirrorLimits{})
	g := unconnectedGame(t, ParserMsgpack, m)
	g.token = "tok" // seated: the resync drops the (here unconnected) connection
	_, bin := frames[0].wire(t, ParserMsgpack, 0, "")
	feed(t, g, nil, bin)
	_, bin = frames[2].wire(t, ParserMsgpack, 2, "") // frames[1] lost
	feed(t, g, nil, bin)
	require.EqualValues(t, 1, g.Stats().MirrorErrors)
	require.Zero(t, g.Stats().Desyncs)
	require.True(t, g.needSnap.Load())
	require.NotContains(t, g.resumeArg("tok"), "tick")
	_, bin = frames[3].wire(t, ParserMsgpack, 3, "")
	feed(t, g, nil, bin)
	require.EqualValues(t, 1, g.Stats().MirrorErrors, "deltas are skipped, not failed, while resyncing")
	_, bin = frames[0].wire(t, ParserMsgpack, 4, "")
	feed(t, g, nil, bin)
	require.False(t, g.needSnap.Load())
	require.EqualValues(t, 4, g.Stats().LastAck)
}
