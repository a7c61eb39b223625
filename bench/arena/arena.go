// Package arena is the arena v1 benchmark workload of DESIGN.md
// ("Benchmarks"), written here because examples/arena did not exist yet
// when the benchmark was built: rooms of 8 players {x, y float32; hp uint8;
// score uint16; name 8 chars} at 20 Hz; each player sends input
// (seq, {dx, dy}) 20 times a second; every tick the room moves every player
// by its latest input and the changes go out as a delta.
//
// With Quantized, x and y are statesync.Fixed (0..1024 in steps of 1/32,
// sent as small unsigned integers) instead of float32.
package arena

import (
	"math"
	"math/rand/v2"

	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// Size of the square world; positions wrap around.
const (
	Size  = 1024.0
	Speed = 100.0 // units per second at |d| = 1
)

// Player is a float32 arena player.
type Player struct {
	statesync.Entity
	X     statesync.Float32 `sync:"x"`
	Y     statesync.Float32 `sync:"y"`
	HP    statesync.Uint8   `sync:"hp"`
	Score statesync.Uint16  `sync:"score"`
	Name  statesync.String  `sync:"name"`
}

// QPlayer is a quantized arena player.
type QPlayer struct {
	statesync.Entity
	X     statesync.Fixed  `sync:"x,min=0,max=1024,step=1/32"`
	Y     statesync.Fixed  `sync:"y,min=0,max=1024,step=1/32"`
	HP    statesync.Uint8  `sync:"hp"`
	Score statesync.Uint16 `sync:"score"`
	Name  statesync.String `sync:"name"`
}

// World is the float32 room state.
type World struct {
	statesync.Entity
	Players statesync.Map[string, *Player] `sync:"players"`
}

// QWorld is the quantized room state.
type QWorld struct {
	statesync.Entity
	Players statesync.Map[string, *QPlayer] `sync:"players"`
}

type dir struct{ dx, dy float64 }

// Game is one arena room.
type Game struct {
	rooms.NopGame
	Quantized bool

	w      *World
	q      *QWorld
	inputs map[string]dir
	rnd    *rand.Rand
}

// New returns a room factory for rooms.Server.Define.
func New(quantized bool) func() rooms.Game {
	return func() rooms.Game { return &Game{Quantized: quantized} }
}

// OnCreate implements rooms.Game.
func (g *Game) OnCreate(r *rooms.Room, _ rooms.Options) error {
	g.inputs = map[string]dir{}
	g.rnd = rand.New(rand.NewPCG(uint64(len(r.ID())), 7))
	var root any
	if g.Quantized {
		g.q = &QWorld{}
		root = g.q
	} else {
		g.w = &World{}
		root = g.w
	}
	enc, err := statesync.NewEncoder(root, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	r.SetState(enc)
	return nil
}

func name8(c *rooms.Client) string {
	n := c.Options().String("name", "player")
	for len(n) < 8 {
		n += "_"
	}
	return n[:8]
}

// OnJoin implements rooms.Game.
func (g *Game) OnJoin(_ *rooms.Room, c *rooms.Client, _ rooms.Options) error {
	x, y := g.rnd.Float64()*Size, g.rnd.Float64()*Size
	if g.Quantized {
		p := &QPlayer{}
		p.X.Set(x)
		p.Y.Set(y)
		p.HP.Set(100)
		p.Name.Set(name8(c))
		g.q.Players.Set(c.ID(), p)
		return nil
	}
	p := &Player{}
	p.X.Set(float32(x))
	p.Y.Set(float32(y))
	p.HP.Set(100)
	p.Name.Set(name8(c))
	g.w.Players.Set(c.ID(), p)
	return nil
}

// OnInput implements rooms.Game: keep the latest direction.
func (g *Game) OnInput(_ *rooms.Room, c *rooms.Client, in rooms.Input) {
	g.inputs[c.ID()] = dir{clamp1(in.Float("dx", 0)), clamp1(in.Float("dy", 0))}
}

func clamp1(v float64) float64 { return math.Max(-1, math.Min(1, v)) }

func wrap(v float64) float64 {
	v = math.Mod(v, Size)
	if v < 0 {
		v += Size
	}
	return v
}

// OnTick implements rooms.Game: move every player by its latest input.
func (g *Game) OnTick(_ *rooms.Room, t rooms.Tick) {
	step := Speed * t.Seconds()
	if g.Quantized {
		g.q.Players.Range(func(id string, p *QPlayer) bool {
			d := g.inputs[id]
			p.X.Set(wrap(p.X.Get() + d.dx*step))
			p.Y.Set(wrap(p.Y.Get() + d.dy*step))
			return true
		})
		return
	}
	g.w.Players.Range(func(id string, p *Player) bool {
		d := g.inputs[id]
		p.X.Set(float32(wrap(float64(p.X.Get()) + d.dx*step)))
		p.Y.Set(float32(wrap(float64(p.Y.Get()) + d.dy*step)))
		return true
	})
}

// OnLeave implements rooms.Game.
func (g *Game) OnLeave(_ *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	delete(g.inputs, c.ID())
	if g.Quantized {
		g.q.Players.Delete(c.ID())
		return
	}
	g.w.Players.Delete(c.ID())
}
