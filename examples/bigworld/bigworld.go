// Package bigworld is a demo of per-client views: up to 256 players walk a
// 1024×1024 map cut into 12×12 cells, and each client sees only the
// players in the 3×3 cells around its own (about 16 at full room). State is
// encoded once per cell per tick (statesync views); a client's frames are
// assembled from its cells' parts, and players entering or leaving its view
// arrive as adds and removes.
//
// The state has the arena's wire shape (players: x, y, hp, score, name,
// online) and the arena's input ({dx, dy}), so the arena page
// (/?room=bigworld) and the bot swarm (cmd/bots --room bigworld) drive it
// unchanged: the page draws only what it receives.
package bigworld

import (
	"math"
	"math/rand/v2"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// RoomType is the room type's name.
const RoomType = "bigworld"

// Map and view geometry.
const (
	Size       = 1024.0    // map side, in the arena's units
	Cells      = 12        // cells across and down
	CellSize   = Size / 12 // 85.33 units
	Hysteresis = 4.0       // units past a cell's edge before a player changes cell
	Speed      = 120.0     // units per second at full input
	MaxPlayers = 256       // room capacity
	TickRate   = 20        // ticks per second
	viewRadius = 1         // cells around the player's own: 3×3
	cellBase   = statesync.Group(1)
)

// Player is a replicated player (the arena's fields and wire names).
type Player struct {
	statesync.Entity
	X      statesync.Float32 `sync:"x"`
	Y      statesync.Float32 `sync:"y"`
	HP     statesync.Uint8   `sync:"hp"`
	Score  statesync.Uint16  `sync:"score"`
	Name   statesync.String  `sync:"name"`
	Online statesync.Bool    `sync:"online"`

	dx, dy float64
	cell   statesync.Group
	view   *statesync.View
	groups []statesync.Group
}

// World is the room's state.
type World struct {
	statesync.Entity
	Players statesync.Map[string, *Player] `sync:"players"`
}

// Settings returns the room type's settings.
func Settings() rooms.Settings {
	return rooms.Settings{TickRate: TickRate, MaxClients: MaxPlayers, ChecksumEvery: TickRate}
}

// Game is the bigworld room.
type Game struct {
	rooms.NopGame
	world *World
	enc   *statesync.Encoder
	grid  statesync.Grid
	rng   *rand.Rand
}

// NewGame returns a room's game (for rooms.Server.Define).
func NewGame() rooms.Game { return &Game{} }

// OnCreate sets up the state and the grid.
func (g *Game) OnCreate(r *rooms.Room, _ rooms.Options) error {
	g.world = &World{}
	enc, err := statesync.NewEncoder(g.world, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	g.enc = enc
	g.grid = statesync.Grid{Cell: CellSize, Cols: Cells, Rows: Cells, Base: cellBase, Margin: Hysteresis}
	g.rng = rand.New(rand.NewPCG(uint64(r.Now().UnixNano()), 1))
	r.SetState(enc)
	return nil
}

// OnJoin places the player at random, in its cell's group, with a view of
// the cells around it.
func (g *Game) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	p := &Player{}
	x, y := g.rng.Float64()*Size, g.rng.Float64()*Size
	p.X.Set(float32(x))
	p.Y.Set(float32(y))
	p.HP.Set(100)
	p.Name.Set(opts.String("name", "player"))
	p.Online.Set(true)
	p.cell = g.grid.CellAt(x, y)
	if err := g.enc.SetGroup(p, p.cell); err != nil {
		return err
	}
	p.groups = g.grid.Around(nil, p.cell, viewRadius)
	p.view = g.enc.NewView(p.groups...)
	r.SetView(c, p.view)
	g.world.Players.Set(c.ID(), p)
	c.Data = p
	return nil
}

// OnInput takes {dx, dy} as the arena's bench mode does: each axis
// snapped to -1, 0 or 1 (arena.Axis), the latest input is the direction of
// every tick until the next one, a diagonal at the same speed.
func (g *Game) OnInput(_ *rooms.Room, c *rooms.Client, in rooms.Input) {
	p := c.Data.(*Player)
	p.dx, p.dy = arena.Axis(in.Float("dx", 0)), arena.Axis(in.Float("dy", 0))
	if p.dx != 0 && p.dy != 0 {
		p.dx, p.dy = p.dx*math.Sqrt2/2, p.dy*math.Sqrt2/2
	}
}

// OnTick moves every player, and moves its cell (with hysteresis) and its
// view along.
func (g *Game) OnTick(_ *rooms.Room, t rooms.Tick) {
	dt := t.Seconds()
	for _, p := range g.world.Players.All() {
		if p.dx == 0 && p.dy == 0 {
			continue
		}
		x := clamp(float64(p.X.Get())+p.dx*Speed*dt, 0, Size)
		y := clamp(float64(p.Y.Get())+p.dy*Speed*dt, 0, Size)
		p.X.Set(float32(x))
		p.Y.Set(float32(y))
		if c := g.grid.Track(p.cell, x, y); c != p.cell {
			p.cell = c
			_ = g.enc.SetGroup(p, c)
			p.groups = g.grid.Around(p.groups[:0], c, viewRadius)
			p.view.Set(p.groups...)
		}
	}
}

// OnDrop marks the player offline while its seat is held.
func (g *Game) OnDrop(_ *rooms.Room, c *rooms.Client) {
	p := c.Data.(*Player)
	p.Online.Set(false)
	p.dx, p.dy = 0, 0
}

// OnResume marks the player online again.
func (g *Game) OnResume(_ *rooms.Room, c *rooms.Client) { c.Data.(*Player).Online.Set(true) }

// OnLeave removes the player.
func (g *Game) OnLeave(_ *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	g.world.Players.Delete(c.ID())
}

func clamp(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Max(lo, math.Min(hi, v))
}
