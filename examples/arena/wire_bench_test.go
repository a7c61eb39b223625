package arena_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// BenchmarkInputPathWire: one arena input from the bytes of a client's
// WebSocket frame (masked, as a browser sends it) to the arena's OnInput,
// through every layer of the production stack: gws's frame reader,
// Engine.IO, Socket.IO (the raw-event path), roomsio, rooms.Session (rate
// limit, inbox) and the room goroutine. Only the kernel is replaced: the
// server's connection is an in-memory net.Conn (memConn) whose reads return
// the frames the benchmark queues; writes (the room's state frames at
// 1000 Hz) are discarded. allocs/op counts the whole process; gws-only is
// gws's share (its frame reader with a handler that does nothing), which
// is not ours to remove. cpu-ns/op is the process's CPU time per input
// (the frame builder included, about 30 ns).
func BenchmarkInputPathWire(b *testing.B) {
	b.Run("gws-only", benchGWSOnly)
	for _, parser := range []string{"msgpack", "default"} {
		b.Run(parser, func(b *testing.B) { benchWire(b, parser) })
	}
}

func benchWire(b *testing.B, parser string) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sio, err := socketio.NewServer(socketio.Config{Logger: log})
	require.NoError(b, err)
	rs, err := rooms.NewServer(rooms.Config{Logger: log})
	require.NoError(b, err)
	game := &countingGame{ticked: make(chan struct{}, 1), joined: make(chan struct{})}
	settings := arena.Settings()
	settings.TickRate, settings.InboxSize, settings.MaxInputsPerSecond = 1000, 1<<14, 1<<30
	require.NoError(b, rs.Define(arena.RoomType, func() rooms.Game {
		game.Game = arena.NewGame(arena.Config{Mode: arena.ModeBench})
		return game
	}, settings))
	roomsio.Attach(rs, sio.Of("/"))
	conn := newMemConn()
	b.Cleanup(func() {
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rs.Shutdown(ctx)
		_ = sio.Shutdown(ctx)
	})
	sio.ServeHTTP(hijackable{conn}, upgradeRequest(b))

	var packets wirePackets
	if parser == "msgpack" {
		packets = msgpackPackets(b)
	} else {
		packets = textPackets()
	}
	var scratch []byte
	for _, p := range packets.setup {
		scratch = conn.queueFrame(scratch[:0], p.opcode, p.data)
	}
	select {
	case <-game.joined:
	case <-time.After(10 * time.Second):
		b.Fatal("the session did not join the arena")
	}
	// OnJoin runs before the session records its seat: inputs until then
	// are dropped. Send one at a time until one arrives.
	seq := uint64(0)
	for deadline := time.Now().Add(10 * time.Second); game.inputs.Load() == 0; {
		if time.Now().After(deadline) {
			b.Fatal("no input reached the game")
		}
		seq++
		scratch = conn.queueFrame(scratch[:0], packets.inputOpcode, packets.input(nil, seq))
		time.Sleep(time.Millisecond)
	}
	game.inputs.Store(0) // (a warm-up input still in flight makes the count at most one ahead)

	feed := newFeeder(b, conn, &game.inputs, game.ticked)
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	for i := range b.N {
		scratch = packets.input(scratch[:0], seq+uint64(i+1))
		feed.send(scratch, packets.inputOpcode)
	}
	feed.wait(int64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// benchGWSOnly feeds the same msgpack input frames to a gws connection
// whose handler only counts them: gws's own cost per message.
func benchGWSOnly(b *testing.B) {
	h := &countingHandler{ticked: make(chan struct{}, 1)}
	up := gws.NewUpgrader(h, &gws.ServerOption{})
	conn := newMemConn()
	b.Cleanup(func() { _ = conn.Close() })
	ws, err := up.Upgrade(hijackable{conn}, upgradeRequest(b))
	require.NoError(b, err)
	go ws.ReadLoop()
	packets := msgpackPackets(b)
	feed := newFeeder(b, conn, &h.messages, h.ticked)
	var scratch []byte
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	for i := range b.N {
		scratch = packets.input(scratch[:0], uint64(i+1))
		feed.send(scratch, packets.inputOpcode)
	}
	feed.wait(int64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// feeder queues input frames on a memConn, at most window ahead of the
// consumer's count (so the room's inbox never overflows).
type feeder struct {
	b       *testing.B
	conn    *memConn
	handled *atomic.Int64
	ticked  <-chan struct{}
	timer   *time.Timer
	sent    int64
	frame   []byte
}

const feedWindow = 1024

func newFeeder(b *testing.B, conn *memConn, handled *atomic.Int64, ticked <-chan struct{}) *feeder {
	return &feeder{b: b, conn: conn, handled: handled, ticked: ticked, timer: time.NewTimer(time.Hour)}
}

func (f *feeder) send(payload []byte, opcode byte) {
	f.frame = f.conn.queueFrame(f.frame[:0], opcode, payload)
	f.sent++
	for f.sent-f.handled.Load() >= feedWindow {
		f.await()
	}
}

// wait returns once the consumer has handled n inputs.
func (f *feeder) wait(n int64) {
	for f.handled.Load() < n {
		f.await()
	}
}

// await waits for the consumer's next signal, or a millisecond (the
// signals are sparse); it fails the benchmark when the count has not
// moved for 10 s (inputs were lost).
func (f *feeder) await() {
	before := f.handled.Load()
	for range 10_000 {
		f.timer.Reset(time.Millisecond)
		select {
		case <-f.ticked:
		case <-f.timer.C:
		}
		f.timer.Stop()
		if f.handled.Load() != before {
			return
		}
	}
	f.b.Fatalf("inputs lost: %d sent, %d handled", f.sent, f.handled.Load())
}

// countingGame is the arena game counting the inputs it handled.
type countingGame struct {
	*arena.Game
	inputs atomic.Int64
	ticked chan struct{} // a signal per tick and per 256 inputs
	joined chan struct{}
	once   sync.Once
}

func (g *countingGame) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	err := g.Game.OnJoin(r, c, opts)
	if err == nil {
		g.once.Do(func() { close(g.joined) })
	}
	return err
}

func (g *countingGame) OnInput(r *rooms.Room, c *rooms.Client, in rooms.Input) {
	g.Game.OnInput(r, c, in)
	if g.inputs.Add(1)%256 == 0 {
		signal(g.ticked)
	}
}

func (g *countingGame) OnTick(r *rooms.Room, t rooms.Tick) {
	g.Game.OnTick(r, t)
	signal(g.ticked)
}

// countingHandler is a gws handler that only counts messages.
type countingHandler struct {
	gws.BuiltinEventHandler
	messages atomic.Int64
	ticked   chan struct{}
}

func (h *countingHandler) OnMessage(_ *gws.Conn, msg *gws.Message) {
	_ = msg.Close()
	if h.messages.Add(1)%256 == 0 {
		signal(h.ticked)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wirePackets are the client's frames: setup (Socket.IO connect, join)
// and the input frame for a seq.
type wirePackets struct {
	setup       []wireFrame
	inputOpcode byte
	input       func(dst []byte, seq uint64) []byte
}

type wireFrame struct {
	opcode byte
	data   []byte
}

const (
	opText   = 0x1
	opBinary = 0x2
)

func msgpackPackets(b *testing.B) wirePackets {
	enc := func(p *siocodec.Packet) []byte {
		out, err := siocodec.AppendMsgpack(nil, p)
		require.NoError(b, err)
		return out
	}
	const seqMark = 0xfffffffe // a uint32 to patch: every input frame has the same length
	template := enc(&siocodec.Packet{Type: siocodec.Event, Nsp: "/",
		Data: []any{roomsio.EventInput, uint64(seqMark), map[string]any{"dx": int64(1), "dy": int64(-1)}}})
	at := bytes.Index(template, []byte{0xce, 0xff, 0xff, 0xff, 0xfe})
	require.GreaterOrEqual(b, at, 0, "seq encoded as a uint32")
	return wirePackets{
		setup: []wireFrame{
			{opBinary, enc(&siocodec.Packet{Type: siocodec.Connect, Nsp: "/"})},
			{opBinary, enc(&siocodec.Packet{Type: siocodec.Event, Nsp: "/", HasID: true, ID: 1,
				Data: []any{roomsio.EventJoinOrCreate, arena.RoomType, map[string]any{}}})},
		},
		inputOpcode: opBinary,
		input: func(dst []byte, seq uint64) []byte {
			dst = append(dst, template...)
			s := dst[at+1:]
			s[0], s[1], s[2], s[3] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
			return dst
		},
	}
}

func textPackets() wirePackets {
	return wirePackets{
		setup: []wireFrame{
			{opText, []byte("40")},
			{opText, []byte(`421["` + roomsio.EventJoinOrCreate + `","` + arena.RoomType + `",{}]`)},
		},
		inputOpcode: opText,
		input: func(dst []byte, seq uint64) []byte {
			dst = append(dst, `42["input",`...)
			dst = strconv.AppendUint(dst, seq, 10)
			return append(dst, `,{"dx":1,"dy":-1}]`...)
		},
	}
}

// upgradeRequest is a WebSocket handshake for a new Engine.IO session.
func upgradeRequest(b *testing.B) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=websocket", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	return req
}

// hijackable is a ResponseWriter whose Hijack returns the memConn.
type hijackable struct{ conn *memConn }

func (h hijackable) Header() http.Header         { return http.Header{} }
func (h hijackable) Write(p []byte) (int, error) { return len(p), nil }
func (h hijackable) WriteHeader(int)             {}
func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// memConn is a net.Conn whose reads return the bytes queued with
// queueFrame (blocking while there are none) and whose writes are
// discarded.
type memConn struct {
	mu     sync.Mutex
	ready  *sync.Cond
	buf    []byte
	off    int
	closed bool
}

func newMemConn() *memConn {
	c := &memConn{}
	c.ready = sync.NewCond(&c.mu)
	return c
}

// maskKey masks client frames (RFC 6455: every client frame is masked).
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// queueFrame queues payload as one masked client frame (scratch is a
// buffer to build it in; the grown buffer is returned).
func (c *memConn) queueFrame(scratch []byte, opcode byte, payload []byte) []byte {
	scratch = append(scratch[:0], 0x80|opcode)
	switch n := len(payload); {
	case n < 126:
		scratch = append(scratch, 0x80|byte(n))
	default:
		scratch = append(scratch, 0x80|126, byte(n>>8), byte(n))
	}
	scratch = append(scratch, maskKey[:]...)
	for i, ch := range payload {
		scratch = append(scratch, ch^maskKey[i&3])
	}
	c.mu.Lock()
	c.buf = append(c.buf, scratch...)
	c.mu.Unlock()
	c.ready.Signal()
	return scratch
}

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.off == len(c.buf) && !c.closed {
		c.ready.Wait()
	}
	if c.off == len(c.buf) {
		return 0, io.EOF
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	if c.off == len(c.buf) {
		c.buf, c.off = c.buf[:0], 0
	}
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return len(p), nil
}

func (c *memConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.ready.Broadcast()
	return nil
}

func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2567} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
