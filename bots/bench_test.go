package bots

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// nullTransport takes every frame (the write syscall is the kernel's: a
// bareclient pays it too).
type nullTransport struct{}

func (nullTransport) name() string        { return "null" }
func (nullTransport) write([]frame) error { return nil }
func (nullTransport) close(bool)          {}

// benchGame is a Game on a nullTransport recording ack latencies into lat
// (cmd/bots shares one histogram among all bots).
func benchGame(b *testing.B, parser Parser, lat *Histogram) *Game {
	cfg := Config{URL: "http://127.0.0.1:1", Parser: parser}
	g, err := NewGame(GameConfig{Client: cfg, AckLatency: lat})
	require.NoError(b, err)
	c, err := New(cfg)
	require.NoError(b, err)
	c.OnRaw(g.onRaw)
	c.e = newEngine(c.cfg, c)
	c.e.tr = nullTransport{}
	g.cli.Store(c)
	return g
}

// stateFrames returns the frames of one arena delta acknowledging ack as
// the server sends them for parser (the WebSocket message bytes: msgpack
// one binary message; default a text message and its binary attachment).
func stateFrames(b *testing.B, parser Parser, ack uint64) []frame {
	state := bytes.Repeat([]byte{0x93}, 60) // a delta's size; the Game without a mirror does not read it
	p := siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: []any{EventDelta, state, ack}}
	if parser == ParserMsgpack {
		out, err := siocodec.AppendMsgpack(nil, &p)
		require.NoError(b, err)
		return []frame{{data: out, binary: true}}
	}
	text, atts, err := siocodec.AppendDefault(nil, &p)
	require.NoError(b, err)
	frames := []frame{{data: append([]byte{eioMessage}, text...)}}
	for _, a := range atts {
		frames = append(frames, frame{data: a, binary: true})
	}
	return frames
}

// BenchmarkBotTick: one bot's share of a tick, as cmd/bots runs it: send
// an input (Game.SendInput: seq, pending ring, encoding, engine) and
// handle the state frame acknowledging it (engine.receive → Client →
// Game.onRaw: envelope parse, ack latency into the swarm's shared
// histogram), without the syscalls, which the bare client pays too. The
// frame's ack is patched per iteration so every frame acknowledges the
// input just sent. "1-bot" runs one Game (everything in cache); "2000-bots"
// takes 2000 Games in turn, as a swarm's shard does, so each tick finds
// its bot's memory cold: the cost that dominates in the real process.
func BenchmarkBotTick(b *testing.B) {
	for _, parser := range []Parser{ParserMsgpack, ParserDefault} {
		for _, bots := range []int{1, 2000} {
			name := fmt.Sprintf("%s/%d-bots", map[Parser]string{ParserMsgpack: "msgpack", ParserDefault: "default"}[parser], bots)
			b.Run(name, func(b *testing.B) { benchBotTick(b, parser, bots) })
		}
	}
}

func benchBotTick(b *testing.B, parser Parser, n int) {
	type botUnderTest struct {
		g      *Game
		e      *engine
		frames []frame
	}
	var lat Histogram
	const ackMark = 0xfffffffe // encoded as a uint32 (msgpack) or 10 digits (JSON)
	at, width := 0, 0
	all := make([]botUnderTest, n)
	for i := range all {
		g := benchGame(b, parser, &lat)
		frames := stateFrames(b, parser, ackMark)
		at, width = patchSite(b, frames[0].data, parser)
		all[i] = botUnderTest{g: g, e: g.Client().e, frames: frames}
	}
	in := &MoveInput{DX: 0.707107, DY: -0.707107}
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	for i := range b.N {
		bt := &all[i%n]
		seq, err := bt.g.SendInput(in)
		if err != nil {
			b.Fatal(err)
		}
		patchAck(bt.frames[0].data[at:at+width], parser, seq)
		for _, f := range bt.frames {
			bt.e.receive(f.data, f.binary)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	var deltas int64
	for _, bt := range all {
		st := bt.g.Stats()
		deltas += st.Deltas
		require.Equal(b, st.InputsSent, int64(st.LastAck))
	}
	require.Equal(b, int64(b.N), deltas)
	require.Equal(b, int64(b.N), lat.Snapshot().Total)
}

// patchSite finds the ack placeholder in a frame.
func patchSite(b *testing.B, data []byte, parser Parser) (at, width int) {
	mark := []byte("4294967294")
	if parser == ParserMsgpack {
		mark = []byte{0xce, 0xff, 0xff, 0xff, 0xfe}
	}
	at = bytes.Index(data, mark)
	require.GreaterOrEqual(b, at, 0)
	return at, len(mark)
}

// patchAck writes seq into the placeholder: a uint32, or 10 digits with
// leading zeros (which the bot's decimal parse accepts).
func patchAck(site []byte, parser Parser, seq uint64) {
	if parser == ParserMsgpack {
		site[1], site[2], site[3], site[4] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
		return
	}
	for i := len(site) - 1; i >= 0; i-- {
		site[i] = '0' + byte(seq%10)
		seq /= 10
	}
}

// processCPU is the process's user + system CPU time.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
