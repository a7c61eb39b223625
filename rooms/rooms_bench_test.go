package rooms

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roomcast/roomcast/tick"
)

// moverGame is benchGame whose players all move every tick (a delta to
// every client every tick, like the arena in bench mode).
type moverGame struct{ benchGame }

func (g *moverGame) OnTick(r *Room, t Tick) {
	for _, c := range r.Clients() {
		p := c.Data.(*benchPlayer)
		p.X.Set(p.X.Get() + 0.5)
	}
}

// latencyHist counts tick lateness in power-of-two buckets from 50 µs
// (safe for concurrent use by room goroutines).
type latencyHist struct{ n [24]atomic.Int64 }

func (h *latencyHist) observe(d time.Duration) {
	i := 0
	for lim := 50 * time.Microsecond; d >= lim && i < len(h.n)-1; lim *= 2 {
		i++
	}
	h.n[i].Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *latencyHist) quantile(q float64) time.Duration {
	var total int64
	for i := range h.n {
		total += h.n[i].Load()
	}
	want := int64(math.Ceil(q * float64(total)))
	var seen int64
	for i := range h.n {
		seen += h.n[i].Load()
		if seen >= want {
			return 50 * time.Microsecond << i
		}
	}
	return 0
}

func (h *latencyHist) reset() {
	for i := range h.n {
		h.n[i].Store(0)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLiveRooms: N real rooms (their goroutines and 20 Hz tick loops)
// on null connections, for as many seconds of wall time as ops. play/N:
// rooms of 8 players all moving every tick. abandoned/…: rooms of one seat
// held for a dropped client (a creator that left), paused (the default)
// or ticking (Settings.TickWhileAbandoned). Reports tick lateness p50/p99
// (power-of-two buckets from 50 µs: upper bounds), skipped ticks, and
// process CPU per room-second.
func BenchmarkLiveRooms(b *testing.B) {
	for _, n := range []int{250, 500, 1000, 2000, 4000} {
		b.Run(fmt.Sprintf("play/%d", n), func(b *testing.B) { benchLiveRooms(b, n, 8, false, false) })
	}
	b.Run("abandoned/ticking/2000", func(b *testing.B) { benchLiveRooms(b, 2000, 1, true, true) })
	b.Run("abandoned/paused/2000", func(b *testing.B) { benchLiveRooms(b, 2000, 1, true, false) })
}

func benchLiveRooms(b *testing.B, rooms, players int, drop, keepTicking bool) {
	var late latencyHist
	var skipped atomic.Int64
	obs := tick.ObserverFuncs{
		OnStep: func(st tick.StepStats) { late.observe(st.Lateness) },
		OnSkip: func(sk tick.SkipStats) { skipped.Add(int64(sk.Steps)) },
	}
	srv, err := NewServer(Config{Logger: discardLogger(), CreateRate: Rate{PerSecond: -1}, IPCreateRate: Rate{PerSecond: -1}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	settings := Settings{MaxClients: players, TickRate: 20, ReconnectGrace: time.Hour, Observer: obs, TickWhileAbandoned: keepTicking}
	if err := srv.Define("arena", func() Game { return &moverGame{} }, settings); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sessions := make([]*Session, 0, rooms*players)
	for range rooms * players {
		s := srv.Connect(&nullConn{}, ConnInfo{})
		sessions = append(sessions, s)
		wg.Add(1)
		s.Join(JoinRequest{Name: "arena"}, func(_ Seat, err error) {
			if err != nil {
				panic(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if drop {
		for _, s := range sessions {
			s.Close()
		}
	}
	time.Sleep(time.Second) // settle: joins' snapshots, drops
	late.reset()
	skipped.Store(0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		time.Sleep(time.Second)
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1e6/secs/float64(rooms), "cpu-µs/room-s")
	b.ReportMetric(float64(late.quantile(0.5))/1e6, "late-p50-ms")
	b.ReportMetric(float64(late.quantile(0.99))/1e6, "late-p99-ms")
	b.ReportMetric(float64(skipped.Load())/secs, "skipped/s")
	b.ReportMetric(0, "ns/op")
}
