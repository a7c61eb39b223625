package arena_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/tick"
	"github.com/roomcast/roomcast/transport/engineio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// manualClock is a tick.Clock whose time moves only when Advance is
// called: a benchmark decides when a room ticks.
type manualClock struct {
	mu     sync.Mutex
	armed  sync.Cond // broadcast when a timer is reset
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	clk    *manualClock
	c      chan time.Time
	due    time.Time
	active bool
	loop   bool // created with delay 0, as tick.Loop.Start does
}

func newManualClock() *manualClock {
	m := &manualClock{now: time.Unix(1_700_000_000, 0)}
	m.armed.L = &m.mu
	return m
}

func (m *manualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualClock) NewTimer(d time.Duration) tick.Timer {
	t := &manualTimer{clk: m, c: make(chan time.Time, 1), loop: d == 0}
	m.mu.Lock()
	m.timers = append(m.timers, t)
	m.mu.Unlock()
	t.Reset(d)
	return t
}

// Advance moves the time on by d and fires the timers that are due.
func (m *manualClock) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	for _, t := range m.timers {
		if t.active && !t.due.After(m.now) {
			t.fireLocked()
		}
	}
}

// AdvanceArmed is Advance once t is armed: a tick loop re-arms its timer
// after its step, with a delay computed from Now, so advancing in between
// would be lost.
func (m *manualClock) AdvanceArmed(t *manualTimer, d time.Duration) {
	m.mu.Lock()
	for !t.active {
		m.armed.Wait()
	}
	m.mu.Unlock()
	m.Advance(d)
}

// TickTimer returns the first timer created with delay 0: the one the
// room's tick loop starts with (nil before the room exists).
func (m *manualClock) TickTimer() *manualTimer {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.timers {
		if t.loop {
			return t
		}
	}
	return nil
}

// Tick advances by d: as soon as the room's tick loop is armed, if it
// exists, else at once.
func (m *manualClock) Tick(d time.Duration) {
	if t := m.TickTimer(); t != nil {
		m.AdvanceArmed(t, d)
		return
	}
	m.Advance(d)
}

func (t *manualTimer) fireLocked() {
	t.active = false
	select {
	case t.c <- t.clk.now:
	default:
	}
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Reset(d time.Duration) bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.stopLocked()
	t.due, t.active = t.clk.now.Add(d), true
	if d <= 0 {
		t.fireLocked()
	}
	t.clk.armed.Broadcast()
	return was
}

func (t *manualTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	return t.stopLocked()
}

func (t *manualTimer) stopLocked() bool {
	was := t.active
	t.active = false
	select {
	case <-t.c:
	default:
	}
	return was
}

// movingArena is the arena in bench mode whose players change direction
// every second on the room goroutine (as the swarm's bots do, without the
// input path, which BenchmarkInputPath measures): every tick has a delta
// for everyone.
type movingArena struct {
	*arena.Game
}

// compass is the 8 directions a bot moves in.
var compass = [...][2]float64{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}}

// away turns a move along one axis away from a wall that is near.
func away(pos, d float64) float64 {
	switch {
	case pos < arena.Size/4:
		return 1
	case pos > arena.Size*3/4:
		return -1
	}
	return d
}

func (g movingArena) OnTick(r *rooms.Room, t rooms.Tick) {
	if t.N%arena.TickRate == 1 {
		for i, a := range g.Sim().Actors() {
			d := compass[(int(t.N/arena.TickRate)+3*i)%len(compass)]
			dx, dy := away(a.X, d[0]), away(a.Y, d[1])
			g.Sim().SetInput(a.ID, dx, dy)
		}
	}
	g.Game.OnTick(r, t)
}

// rawPlayer is a minimal arena client over a raw TCP socket: WebSocket
// handshake, Socket.IO CONNECT and rooms.joinOrCreate with the msgpack
// parser, then a read loop that parses frames into one reused buffer and
// reports every binary (state) frame, so that the benchmark's allocation
// count is the server's alone.
type rawPlayer struct {
	conn net.Conn
	br   *bufio.Reader
	hdr  [10]byte
	buf  []byte
}

func dialRawPlayer(b *testing.B, addr string, options map[string]any) *rawPlayer {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	require.NoError(b, err)
	p := &rawPlayer{conn: conn, br: bufio.NewReader(conn), buf: make([]byte, 0, 64<<10)}
	resp, err := http.ReadResponse(p.br, nil)
	require.NoError(b, err)
	require.Equal(b, http.StatusSwitchingProtocols, resp.StatusCode)
	op, data, err := p.read()
	require.NoError(b, err)
	require.Equal(b, byte(1), op)
	require.Equal(b, byte('0'), data[0], "Engine.IO open")

	p.sendPacket(b, siocodec.Packet{Type: siocodec.Connect, Nsp: "/"})
	p.sendPacket(b, siocodec.Packet{Type: siocodec.Event, Nsp: "/", HasID: true, ID: 1,
		Data: []any{roomsio.EventJoinOrCreate, "bench", options}})
	for { // CONNECT's answer, then the join's ack
		op, data, err := p.read()
		require.NoError(b, err)
		if op != 2 {
			continue
		}
		pkt, err := siocodec.DecodeMsgpack(data, siocodec.Limits{})
		require.NoError(b, err)
		if pkt.Type == siocodec.Ack {
			reply := pkt.Data.([]any)[0].(map[string]any)
			require.Equal(b, true, reply["ok"], "join: %v", reply)
			return p
		}
	}
}

// sendPacket writes a msgpack packet as a masked binary frame (mask key 0).
func (p *rawPlayer) sendPacket(b *testing.B, pkt siocodec.Packet) {
	data, err := siocodec.AppendMsgpack(nil, &pkt)
	require.NoError(b, err)
	require.Less(b, len(data), 126)
	frame := append([]byte{0x82, 0x80 | byte(len(data)), 0, 0, 0, 0}, data...)
	_, err = p.conn.Write(frame)
	require.NoError(b, err)
}

// read reads one server frame into p.buf (valid until the next read).
func (p *rawPlayer) read() (opcode byte, payload []byte, err error) {
	hdr, h := p.hdr[:2], p.hdr[2:]
	if _, err = io.ReadFull(p.br, hdr); err != nil {
		return 0, nil, err
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		if _, err = io.ReadFull(p.br, h[:2]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(h[:2]))
	case 127:
		if _, err = io.ReadFull(p.br, h[:8]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(h[:8])
	}
	if n > uint64(cap(p.buf)) {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	p.buf = p.buf[:n]
	_, err = io.ReadFull(p.br, p.buf)
	return hdr[0] & 0x0f, p.buf, err
}

// readLoop reports each binary frame's size on frames until the
// connection ends.
func (p *rawPlayer) readLoop(frames chan<- int) {
	for {
		op, data, err := p.read()
		if err != nil {
			return
		}
		if op == 2 {
			frames <- wsHeaderLen(len(data)) + len(data)
		}
	}
}

// processCPU is the process's user+system CPU time so far (server and
// clients: both cores' work, where ns/op is wall time).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func wsHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// BenchmarkFramePath is the whole per-frame path of the arena, one room of
// 8 players: each op is one room tick, i.e. the game's step and its delta
// encoded once by statesync, rooms' fan-out to the 8 players with each
// one's ack, roomsio's TailPacket, socketio's EmitTail, engineio's queue
// and writer, and the write(2) to 8 real loopback TCP connections (the
// gameserver's configuration: inline writes off, so the shared writers
// write; "-inline" subtests let the room goroutine write). The op ends
// when the 8 frames have been read by 8 raw clients in the same process
// that allocate nothing while reading: ns/op is the tick's wall time
// with the clients' reads, allocs/op the server's allocations per tick
// (8 frames).
//
// The room's clock is manual (the benchmark ticks it), so a tick happens
// exactly when an op starts.
func BenchmarkFramePath(b *testing.B) {
	for _, tc := range []struct {
		name    string
		inline  bool
		options map[string]any
	}{
		{"float32", false, map[string]any{}},
		{"quantized", false, map[string]any{arena.OptionQuantized: true}},
		{"quantized-inline", true, map[string]any{arena.OptionQuantized: true}},
	} {
		b.Run(tc.name, func(b *testing.B) { benchFramePath(b, tc.inline, tc.options) })
	}
}

func benchFramePath(b *testing.B, inline bool, options map[string]any) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := newManualClock()
	sio, err := socketio.NewServer(socketio.Config{Logger: log, Engine: engineio.Config{DisableInlineWrites: !inline}})
	require.NoError(b, err)
	rs, err := rooms.NewServer(rooms.Config{Logger: log, Clock: clk})
	require.NoError(b, err)
	require.NoError(b, rs.Define("bench", func() rooms.Game {
		return movingArena{arena.NewGame(arena.Config{Mode: arena.ModeBench, Seed: func() uint64 { return 7 }})}
	}, arena.Settings()))
	roomsio.Attach(rs, sio.Of("/"))
	hs := httptest.NewServer(sio)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rs.Shutdown(ctx)
		_ = sio.Shutdown(ctx)
		hs.Close()
	})

	// Join 8 players; the room ticks on a fast manual pace meanwhile (it
	// takes joins in its ticks).
	dt := time.Second / arena.TickRate
	stop := make(chan struct{})
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				clk.Tick(dt)
			}
		}
	}()
	addr := strings.TrimPrefix(hs.URL, "http://")
	players := make([]*rawPlayer, arena.MaxClients)
	for i := range players {
		opts := map[string]any{"name": fmt.Sprintf("bot%05d", i), arena.OptionMode: arena.ModeBench}
		for k, v := range options {
			opts[k] = v
		}
		players[i] = dialRawPlayer(b, addr, opts)
	}
	close(stop)
	<-ticking
	frames := make(chan int, 4096)
	for _, p := range players {
		go p.readLoop(frames)
	}
	// Let the join snapshots and the pacing ticks' frames arrive, then
	// count only the frames of the benchmark's ticks.
	clk.Tick(dt)
	for drain := time.After(200 * time.Millisecond); ; {
		select {
		case <-frames:
			continue
		case <-drain:
		}
		break
	}

	wire := 0
	stuck := time.NewTimer(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := range b.N {
		clk.Tick(dt)
		stuck.Reset(10 * time.Second)
		for k := range arena.MaxClients {
			select {
			case n := <-frames:
				wire += n
			case <-stuck.C:
				b.Fatalf("tick %d: %d of %d frames arrived", i, k, arena.MaxClients)
			}
		}
	}
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/tick")
	b.ReportMetric(float64(wire)/float64(b.N*arena.MaxClients), "wire-B/frame")
}
