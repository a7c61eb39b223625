package arena

import (
	"math"

	statesync "github.com/roomcast/roomcast/sync"
)

// Player is a replicated player with float32 positions.
type Player struct {
	statesync.Entity
	X     statesync.Float32 `sync:"x"`
	Y     statesync.Float32 `sync:"y"`
	HP    statesync.Uint8   `sync:"hp"`
	Score statesync.Uint16  `sync:"score"`
	Name  statesync.String  `sync:"name"`
	// Online is false while the player's connection is gone and its seat
	// is held for the reconnect grace (Game.OnDrop), true otherwise.
	Online statesync.Bool `sync:"online"`
}

// QPlayer is a replicated player with quantized positions (0..1024, step
// 1/32, sent as unsigned integers: value = raw / 32).
type QPlayer struct {
	statesync.Entity
	X      statesync.Fixed  `sync:"x,min=0,max=1024,step=1/32"`
	Y      statesync.Fixed  `sync:"y,min=0,max=1024,step=1/32"`
	HP     statesync.Uint8  `sync:"hp"`
	Score  statesync.Uint16 `sync:"score"`
	Name   statesync.String `sync:"name"`
	Online statesync.Bool   `sync:"online"` // as Player.Online
}

// PPlayer is a replicated player whose quantized position is one packed
// field (statesync.Fixed2 "pos": x and y at step 1/32 in one unsigned
// integer).
type PPlayer struct {
	statesync.Entity
	Pos    statesync.Fixed2 `sync:"pos,min=0,max=1024,step=1/32"`
	HP     statesync.Uint8  `sync:"hp"`
	Score  statesync.Uint16 `sync:"score"`
	Name   statesync.String `sync:"name"`
	Online statesync.Bool   `sync:"online"` // as Player.Online
}

// Item is a replicated pickup (whole-unit position).
type Item struct {
	statesync.Entity
	X statesync.Uint16 `sync:"x"`
	Y statesync.Uint16 `sync:"y"`
}

// World is the state of a play room.
type World struct {
	statesync.Entity
	Players statesync.Map[string, *Player] `sync:"players"`
	Pickups statesync.Map[uint32, *Item]   `sync:"pickups"`
}

// QWorld is the state of a quantized play room.
type QWorld struct {
	statesync.Entity
	Players statesync.Map[string, *QPlayer] `sync:"players"`
	Pickups statesync.Map[uint32, *Item]    `sync:"pickups"`
}

// PWorld is the state of a packed play room.
type PWorld struct {
	statesync.Entity
	Players statesync.Map[string, *PPlayer] `sync:"players"`
	Pickups statesync.Map[uint32, *Item]    `sync:"pickups"`
}

// BenchWorld is the state of a bench room: arena v1, players only.
type BenchWorld struct {
	statesync.Entity
	Players statesync.Map[string, *Player] `sync:"players"`
}

// QBenchWorld is the state of a quantized bench room.
type QBenchWorld struct {
	statesync.Entity
	Players statesync.Map[string, *QPlayer] `sync:"players"`
}

// PBenchWorld is the state of a packed bench room.
type PBenchWorld struct {
	statesync.Entity
	Players statesync.Map[string, *PPlayer] `sync:"players"`
}

// Position encodings of a room.
const (
	encFloat32 = iota // Player
	encFixed          // QPlayer
	encPacked         // PPlayer
)

// publisher is a replicated player entity.
type publisher interface {
	publish(a *Actor)
	setOnline(on bool)
}

func (p *Player) setOnline(on bool)  { p.Online.Set(on) }
func (p *QPlayer) setOnline(on bool) { p.Online.Set(on) }
func (p *PPlayer) setOnline(on bool) { p.Online.Set(on) }

func (p *Player) publish(a *Actor) {
	p.X.Set(float32(a.X))
	p.Y.Set(float32(a.Y))
	p.HP.Set(hp8(a.HP))
	p.Score.Set(score16(a.Score))
}

func (p *QPlayer) publish(a *Actor) {
	p.X.Set(a.X)
	p.Y.Set(a.Y)
	p.HP.Set(hp8(a.HP))
	p.Score.Set(score16(a.Score))
}

func (p *PPlayer) publish(a *Actor) {
	p.Pos.Set(a.X, a.Y)
	p.HP.Set(hp8(a.HP))
	p.Score.Set(score16(a.Score))
}

// playerMap wraps the players map of a state root of any encoding.
type playerMap[P interface {
	*T
	publisher
	setName(string)
}, T any] struct{ m *statesync.Map[string, P] }

func (p *Player) setName(n string)  { p.Name.Set(n) }
func (p *QPlayer) setName(n string) { p.Name.Set(n) }
func (p *PPlayer) setName(n string) { p.Name.Set(n) }

func (pm playerMap[P, T]) add(a *Actor) publisher {
	p := P(new(T))
	p.setName(a.Name)
	p.setOnline(true)
	p.publish(a)
	pm.m.Set(a.ID, p)
	return p
}

func (pm playerMap[P, T]) remove(id string) { pm.m.Delete(id) }

// players is what view needs of a playerMap.
type players interface {
	add(a *Actor) publisher
	remove(id string)
}

// view writes the simulation into one of the state roots.
type view struct {
	root    any
	enc     int
	players players
	pmap    *statesync.Map[uint32, *Item] // nil in bench rooms
	ents    map[string]publisher
	items   map[uint32]*Item
}

func newView(mode string, enc int) *view {
	v := &view{enc: enc, ents: map[string]publisher{}, items: map[uint32]*Item{}}
	play := mode == ModePlay
	switch {
	case enc == encPacked && play:
		w := &PWorld{}
		v.root, v.players, v.pmap = w, playerMap[*PPlayer, PPlayer]{&w.Players}, &w.Pickups
	case enc == encPacked:
		w := &PBenchWorld{}
		v.root, v.players = w, playerMap[*PPlayer, PPlayer]{&w.Players}
	case enc == encFixed && play:
		w := &QWorld{}
		v.root, v.players, v.pmap = w, playerMap[*QPlayer, QPlayer]{&w.Players}, &w.Pickups
	case enc == encFixed:
		w := &QBenchWorld{}
		v.root, v.players = w, playerMap[*QPlayer, QPlayer]{&w.Players}
	case play:
		w := &World{}
		v.root, v.players, v.pmap = w, playerMap[*Player, Player]{&w.Players}, &w.Pickups
	default:
		w := &BenchWorld{}
		v.root, v.players = w, playerMap[*Player, Player]{&w.Players}
	}
	return v
}

func hp8(hp int) uint8         { return uint8(min(max(hp, 0), math.MaxUint8)) }
func score16(s int) uint16     { return uint16(min(max(s, 0), math.MaxUint16)) }
func coord16(v float64) uint16 { return uint16(math.Round(clamp(v, 0, math.MaxUint16))) }

// add puts a new actor into the state.
func (v *view) add(a *Actor) { v.ents[a.ID] = v.players.add(a) }

// setOnline marks player id as connected or not (a held seat).
func (v *view) setOnline(id string, on bool) {
	if p := v.ents[id]; p != nil {
		p.setOnline(on)
	}
}

// remove takes an actor out of the state.
func (v *view) remove(id string) {
	delete(v.ents, id)
	v.players.remove(id)
}

// publish copies every actor and pickup into the state; unchanged values
// are not changes.
func (v *view) publish(s *Sim) {
	for _, a := range s.actors {
		if p := v.ents[a.ID]; p != nil {
			p.publish(a)
		}
	}
	if v.pmap == nil {
		return
	}
	for _, pk := range s.pickups {
		it := v.items[pk.ID]
		if it == nil {
			it = &Item{}
			v.items[pk.ID] = it
			it.X.Set(coord16(pk.X))
			it.Y.Set(coord16(pk.Y))
			v.pmap.Set(pk.ID, it)
			continue
		}
		it.X.Set(coord16(pk.X))
		it.Y.Set(coord16(pk.Y))
	}
}
