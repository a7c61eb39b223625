package statesync

import (
	"fmt"
	"syscall"
	"testing"
)

// cpuClock measures the process's CPU time (user + system), which, unlike
// wall time, does not grow while the benchmark is descheduled on a busy
// machine. The benchmarks here allocate nothing, so no GC work is mixed in.
type cpuClock struct{ start int64 }

func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

// report adds a cpu-ns/op metric.
func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// The arena v1 workload (BENCHMARKS.md): 8 players, all moving every tick.
type benchPlayer struct {
	Entity
	X, Y  Float32
	HP    Uint8
	Score Uint16
	Name  String
}

type benchArena struct {
	Entity
	Players Map[string, *benchPlayer]
}

// The same with quantized positions: 0..1024 at 1/32.
type benchQPlayer struct {
	Entity
	X     Fixed `sync:"x,min=0,max=1024,step=1/32"`
	Y     Fixed `sync:"y,min=0,max=1024,step=1/32"`
	HP    Uint8
	Score Uint16
	Name  String
}

type benchQArena struct {
	Entity
	Players Map[string, *benchQPlayer]
}

// startTick is a realistic tick number (83 minutes at 20 Hz): the tick
// takes its 5-byte msgpack form, as it does after the first 55 minutes.
const startTick = 100_000

func newBenchArena(b testing.TB, n int) (*benchArena, []*benchPlayer, *Encoder) {
	a := &benchArena{}
	ps := make([]*benchPlayer, n)
	for i := range ps {
		p := &benchPlayer{}
		p.X.Set(float32(i%1000) + 0.5)
		p.Y.Set(float32(i/1000) + 0.25)
		p.HP.Set(100)
		p.Name.Set(fmt.Sprintf("player%02d", i%100))
		a.Players.Set(fmt.Sprintf("sess-%06d", i), p)
		ps[i] = p
	}
	enc, err := NewEncoder(a, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return a, ps, enc
}

func BenchmarkArenaDelta8Float32(b *testing.B) {
	_, ps, enc := newBenchArena(b, 8)
	buf := make([]byte, 0, 512)
	tick := uint32(startTick)
	enc.EncodeDelta(buf, tick) // base for the gap
	var size int
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tick++
		for _, p := range ps {
			p.X.Set(p.X.Get() + 1.25)
			p.Y.Set(p.Y.Get() - 0.75)
		}
		out, _ := enc.EncodeDelta(buf[:0], tick)
		size = len(out)
	}
	cpu.report(b)

	b.ReportMetric(float64(size), "B/delta")
}

func BenchmarkArenaDelta8Fixed(b *testing.B) {
	a := &benchQArena{}
	ps := make([]*benchQPlayer, 8)
	for i := range ps {
		p := &benchQPlayer{}
		p.X.Set(100 + 100*float64(i))
		p.Y.Set(900 - 100*float64(i))
		p.HP.Set(100)
		p.Name.Set(fmt.Sprintf("player%02d", i))
		a.Players.Set(fmt.Sprintf("sess-%06d", i), p)
		ps[i] = p
	}
	enc, err := NewEncoder(a, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	tick := uint32(startTick)
	enc.EncodeDelta(buf, tick)
	var size int
	dir := 1.25
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tick++
		if tick%64 == 0 {
			dir = -dir
		}
		for _, p := range ps {
			p.X.Set(p.X.Get() + dir)
			p.Y.Set(p.Y.Get() - dir)
		}
		out, _ := enc.EncodeDelta(buf[:0], tick)
		size = len(out)
	}
	cpu.report(b)

	b.ReportMetric(float64(size), "B/delta")
}

// The same with both coordinates in one Fixed2 (one packed uint32).
type benchQ2Player struct {
	Entity
	Pos   Fixed2 `sync:"pos,min=0,max=1024,step=1/32"`
	HP    Uint8
	Score Uint16
	Name  String
}

type benchQ2Arena struct {
	Entity
	Players Map[string, *benchQ2Player]
}

func BenchmarkArenaDelta8Fixed2(b *testing.B) {
	a := &benchQ2Arena{}
	ps := make([]*benchQ2Player, 8)
	for i := range ps {
		p := &benchQ2Player{}
		p.Pos.Set(100+100*float64(i), 900-100*float64(i))
		p.HP.Set(100)
		p.Name.Set(fmt.Sprintf("player%02d", i))
		a.Players.Set(fmt.Sprintf("sess-%06d", i), p)
		ps[i] = p
	}
	enc, err := NewEncoder(a, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	tick := uint32(startTick)
	enc.EncodeDelta(buf, tick)
	var size int
	dir := 1.25
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tick++
		if tick%64 == 0 {
			dir = -dir
		}
		for _, p := range ps {
			x, y := p.Pos.Get()
			p.Pos.Set(x+dir, y-dir)
		}
		out, _ := enc.EncodeDelta(buf[:0], tick)
		size = len(out)
	}
	cpu.report(b)
	b.ReportMetric(float64(size), "B/delta")
}

func BenchmarkDelta10kEntities8Moving(b *testing.B) {
	_, ps, enc := newBenchArena(b, 10_000)
	buf := make([]byte, 0, 512)
	tick := uint32(startTick)
	enc.EncodeDelta(buf, tick)
	var size, k int
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tick++
		for range 8 {
			p := ps[k%len(ps)]
			k += 1237 // spread over the map
			p.X.Set(p.X.Get() + 1)
			p.Y.Set(p.Y.Get() + 1)
		}
		out, _ := enc.EncodeDelta(buf[:0], tick)
		size = len(out)
	}
	cpu.report(b)

	b.ReportMetric(float64(size), "B/delta")
}

func BenchmarkDelta10kEntities100Moving(b *testing.B) {
	_, ps, enc := newBenchArena(b, 10_000)
	buf := make([]byte, 0, 4096)
	tick := uint32(startTick)
	enc.EncodeDelta(buf, tick)
	var size, k int
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tick++
		for range 100 {
			p := ps[k%len(ps)]
			k += 1237
			p.X.Set(p.X.Get() + 1)
			p.Y.Set(p.Y.Get() + 1)
		}
		out, _ := enc.EncodeDelta(buf[:0], tick)
		size = len(out)
	}
	cpu.report(b)

	b.ReportMetric(float64(size), "B/delta")
}

func benchSnapshot(b *testing.B, n int) {
	_, _, enc := newBenchArena(b, n)
	buf := enc.EncodeSnapshot(nil, startTick)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		buf = enc.EncodeSnapshot(buf[:0], startTick)
	}
	cpu.report(b)

	b.ReportMetric(float64(len(buf)), "B/snapshot")
}

func BenchmarkSnapshot8(b *testing.B)   { benchSnapshot(b, 8) }
func BenchmarkSnapshot10k(b *testing.B) { benchSnapshot(b, 10_000) }

func BenchmarkFieldSet(b *testing.B) {
	_, ps, _ := newBenchArena(b, 1)
	p := ps[0]
	v := float32(0)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		v++
		p.X.Set(v)
	}
	cpu.report(b)

}

func BenchmarkFieldSetUnchanged(b *testing.B) {
	_, ps, _ := newBenchArena(b, 1)
	p := ps[0]
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		p.X.Set(3)
	}
	cpu.report(b)

}

func BenchmarkMirrorApplyArenaDelta(b *testing.B) {
	_, ps, enc := newBenchArena(b, 8)
	m := NewMirror(MirrorLimits{})
	if err := m.ApplySnapshot(enc.EncodeSnapshot(nil, startTick)); err != nil {
		b.Fatal(err)
	}
	// Pre-encode a run of deltas, then apply them over and over on mirrors
	// reset by a snapshot every run.
	const run = 256
	deltas := make([][]byte, run)
	for i := range deltas {
		for _, p := range ps {
			p.X.Set(p.X.Get() + 1.25)
			p.Y.Set(p.Y.Get() - 0.75)
		}
		deltas[i], _ = enc.EncodeDelta(nil, startTick+1+uint32(i))
	}
	i := 0
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if i == run { // the deltas only patch numbers: rewinding the tick replays them
			m.tick = startTick
			i = 0
		}
		if err := m.ApplyDelta(deltas[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	cpu.report(b)

}

func BenchmarkMirrorApplySnapshot10k(b *testing.B) {
	_, _, enc := newBenchArena(b, 10_000)
	snap := enc.EncodeSnapshot(nil, startTick)
	m := NewMirror(MirrorLimits{})
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := m.ApplySnapshot(snap); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)

	b.ReportMetric(float64(len(snap)), "B/snapshot")
}

func BenchmarkChecksumArena(b *testing.B) {
	_, _, enc := newBenchArena(b, 8)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		_ = enc.Checksum()
	}
	cpu.report(b)

}
