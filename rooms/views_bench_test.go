package rooms

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// The big-world benchmark game: arena v1 players (x, y float32, hp, score,
// name) walking on a square map whose size keeps the density constant (a
// 3×3-cell view holds about 16 players). With views, a player's group is
// its cell (Grid with hysteresis) and its View the 3×3 cells around it,
// moved inside the map at its edges (Grid.Window).
type bwPlayer struct {
	statesync.Entity
	X, Y  statesync.Float32
	HP    statesync.Uint8
	Score statesync.Uint16
	Name  statesync.String

	dir    float64
	cell   statesync.Group
	view   *statesync.View
	groups []statesync.Group
}

type bwWorld struct {
	statesync.Entity
	Players statesync.Map[string, *bwPlayer]
}

type bwGame struct {
	NopGame
	views   bool
	grid    statesync.Grid
	side    float64
	enc     *statesync.Encoder
	w       *bwWorld
	rng     *rand.Rand
	players []*bwPlayer
}

const bwCell = 10.0 // map units; players walk 0.5 a tick

// newBWGame sizes the map for n players: n*9/16 cells, so that 9 cells
// hold about 16 players.
func newBWGame(n int, views bool) *bwGame {
	cols := max(3, int(math.Round(math.Sqrt(float64(n)*9/16))))
	return &bwGame{
		views: views, side: float64(cols) * bwCell, rng: rand.New(rand.NewPCG(uint64(n), 7)),
		grid: statesync.Grid{Cell: bwCell, Cols: cols, Rows: cols, Base: 1, Margin: 1},
	}
}

func (g *bwGame) OnCreate(r *Room, _ Options) error {
	g.w = &bwWorld{}
	enc, err := statesync.NewEncoder(g.w, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	g.enc = enc
	r.SetState(enc)
	return nil
}

func (g *bwGame) OnJoin(r *Room, c *Client, _ Options) error {
	p := &bwPlayer{dir: g.rng.Float64() * 2 * math.Pi}
	p.Name.Set(fmt.Sprintf("bot%05d", len(g.players)))
	p.HP.Set(100)
	p.X.Set(float32(g.rng.Float64() * g.side))
	p.Y.Set(float32(g.rng.Float64() * g.side))
	if g.views {
		p.cell = g.grid.CellAt(float64(p.X.Get()), float64(p.Y.Get()))
		if err := g.enc.SetGroup(p, p.cell); err != nil {
			return err
		}
		p.groups = g.grid.Window(nil, p.cell, 1)
		p.view = g.enc.NewView(p.groups...)
		r.SetView(c, p.view)
	}
	g.w.Players.Set(c.ID(), p)
	g.players = append(g.players, p)
	return nil
}

// walk moves every player (bouncing off the map's edges) and keeps cells
// and views up to date.
func (g *bwGame) walk() {
	for _, p := range g.players {
		if g.rng.IntN(20) == 0 {
			p.dir = g.rng.Float64() * 2 * math.Pi
		}
		x := float64(p.X.Get()) + 0.5*math.Cos(p.dir)
		y := float64(p.Y.Get()) + 0.5*math.Sin(p.dir)
		if x < 0 || x >= g.side || y < 0 || y >= g.side {
			p.dir += math.Pi
			x, y = min(max(x, 0), g.side-0.01), min(max(y, 0), g.side-0.01)
		}
		p.X.Set(float32(x))
		p.Y.Set(float32(y))
		if g.views {
			if c := g.grid.Track(p.cell, x, y); c != p.cell {
				p.cell = c
				_ = g.enc.SetGroup(p, c)
				p.groups = g.grid.Window(p.groups[:0], c, 1)
				p.view.Set(p.groups...)
			}
		}
	}
}

// inView is the mean number of players a client sees now (all of them
// without views).
func (g *bwGame) inView() float64 {
	if !g.views {
		return float64(len(g.players))
	}
	perCell := map[statesync.Group]int{}
	for _, p := range g.players {
		perCell[p.cell]++
	}
	seen := 0
	for _, p := range g.players {
		for _, c := range p.view.Groups() {
			seen += perCell[c]
		}
	}
	return float64(seen) / float64(len(g.players))
}

func bwRoom(b testing.TB, n int, views bool) (*Room, *bwGame, []*tallyConn) {
	game := newBWGame(n, views)
	conns := make([]*tallyConn, n)
	r := seatedRoom(b, n, func() Game { return game }, func(i int) Conn {
		conns[i] = &tallyConn{}
		return conns[i]
	})
	for range 40 { // settle: views and hints warm
		game.walk()
		r.tickN++
		r.fan.send(r.tickN, r.srv.clock.Now())
	}
	for _, c := range conns {
		c.frames.Store(0)
		c.bytes.Store(0)
	}
	return r, game, conns
}

// processCPU returns the CPU time the process has used (user + system, all
// threads: the garbage collector's included). On a shared machine it moves
// less than wall time, which counts the time others held the cores.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBigWorld: one tick of a room where every player moves: the game
// step, the encoding and the fan-out to n null connections. Per client:
// state bytes per tick (state-B/client), wall time (ns/client), process
// CPU time (cpu-ns/client: the garbage collector's included) and
// allocations (allocs/client). Sampled over 100 ticks after the timed
// ones: players-in-view, and where the bytes go (deltaBytes: patches of
// players kept in view, their refs' share, players entering and leaving
// the view); state-B/in-view divides the bytes by players-in-view. "views" rooms show each client a window of 3×3
// cells around it, kept inside the map (16 players at this density: a
// 16-player room's map is one window); "all" rooms send everyone
// everything. arena8 is the 8-player arena baseline.
func BenchmarkBigWorld(b *testing.B) {
	cases := []struct {
		name  string
		n     int
		views bool
	}{
		{"arena8/all", 8, false},
		{"16/all", 16, false},
		{"256/all", 256, false},
		{"16/views", 16, true},
		{"64/views", 64, true},
		{"256/views", 256, true},
		{"1024/views", 1024, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r, game, conns := bwRoom(b, tc.n, tc.views)
			now := r.srv.clock.Now()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := processCPU(b)
			b.ResetTimer()
			for range b.N {
				game.walk()
				r.tickN++
				r.fan.send(r.tickN, now)
			}
			b.StopTimer()
			cpu := processCPU(b) - cpu0
			runtime.ReadMemStats(&ms1)
			var bytes int64
			for _, c := range conns {
				bytes += c.bytes.Load()
			}
			perClientTick := float64(b.N * tc.n)
			b.ReportMetric(float64(bytes)/perClientTick, "state-B/client")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perClientTick, "ns/client")
			b.ReportMetric(float64(cpu.Nanoseconds())/perClientTick, "cpu-ns/client")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/perClientTick, "allocs/client")
			inView := 0.0
			var split deltaBytes
			for _, c := range conns {
				c.tally = &split
			}
			const sampled = 100
			for range sampled { // after the timed ticks
				game.walk()
				r.tickN++
				r.fan.send(r.tickN, now)
				inView += game.inView() / sampled
			}
			for _, c := range conns {
				if c.err != nil {
					b.Fatal(c.err)
				}
			}
			split.report(b, float64(sampled*tc.n))
			b.ReportMetric(inView, "players-in-view")
			// Bytes per player in view: flat when a client's bytes follow
			// what it sees (a 16-player room's client sees 15 others, a
			// 256-player room's about 16 at the same density).
			b.ReportMetric(float64(bytes)/perClientTick/inView, "state-B/in-view")
		})
	}
}
