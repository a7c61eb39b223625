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
}

// QPlayer is a replicated player with quantized positions (0..1024, step
// 1/32, sent as unsigned integers: value = raw / 32).
type QPlayer struct {
	statesync.Entity
	X     statesync.Fixed  `sync:"x,min=0,max=1024,step=1/32"`
	Y     statesync.Fixed  `sync:"y,min=0,max=1024,step=1/32"`
	HP    statesync.Uint8  `sync:"hp"`
	Score statesync.Uint16 `sync:"score"`
	Name  statesync.String `sync:"name"`
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

// view writes the simulation into one of the four state roots.
type view struct {
	root    any
	players map[string]*Player  // float32 rooms
	qplayer map[string]*QPlayer // quantized rooms
	items   map[uint32]*Item

	fmap  *statesync.Map[string, *Player]
	qmap  *statesync.Map[string, *QPlayer]
	pmap  *statesync.Map[uint32, *Item] // nil in bench rooms
	quant bool
}

func newView(mode string, quantized bool) *view {
	v := &view{quant: quantized, items: map[uint32]*Item{}}
	switch {
	case mode == ModePlay && quantized:
		w := &QWorld{}
		v.root, v.qmap, v.pmap = w, &w.Players, &w.Pickups
	case mode == ModePlay:
		w := &World{}
		v.root, v.fmap, v.pmap = w, &w.Players, &w.Pickups
	case quantized:
		w := &QBenchWorld{}
		v.root, v.qmap = w, &w.Players
	default:
		w := &BenchWorld{}
		v.root, v.fmap = w, &w.Players
	}
	if quantized {
		v.qplayer = map[string]*QPlayer{}
	} else {
		v.players = map[string]*Player{}
	}
	return v
}

func hp8(hp int) uint8         { return uint8(min(max(hp, 0), math.MaxUint8)) }
func score16(s int) uint16     { return uint16(min(max(s, 0), math.MaxUint16)) }
func coord16(v float64) uint16 { return uint16(math.Round(clamp(v, 0, math.MaxUint16))) }

// add puts a new actor into the state.
func (v *view) add(a *Actor) {
	if v.quant {
		p := &QPlayer{}
		p.Name.Set(a.Name)
		v.qplayer[a.ID] = p
		v.publishQ(p, a)
		v.qmap.Set(a.ID, p)
		return
	}
	p := &Player{}
	p.Name.Set(a.Name)
	v.players[a.ID] = p
	v.publishF(p, a)
	v.fmap.Set(a.ID, p)
}

// remove takes an actor out of the state.
func (v *view) remove(id string) {
	if v.quant {
		delete(v.qplayer, id)
		v.qmap.Delete(id)
		return
	}
	delete(v.players, id)
	v.fmap.Delete(id)
}

func (v *view) publishF(p *Player, a *Actor) {
	p.X.Set(float32(a.X))
	p.Y.Set(float32(a.Y))
	p.HP.Set(hp8(a.HP))
	p.Score.Set(score16(a.Score))
}

func (v *view) publishQ(p *QPlayer, a *Actor) {
	p.X.Set(a.X)
	p.Y.Set(a.Y)
	p.HP.Set(hp8(a.HP))
	p.Score.Set(score16(a.Score))
}

// publish copies every actor and pickup into the state; unchanged values
// are not changes.
func (v *view) publish(s *Sim) {
	for _, a := range s.actors {
		if v.quant {
			if p := v.qplayer[a.ID]; p != nil {
				v.publishQ(p, a)
			}
		} else if p := v.players[a.ID]; p != nil {
			v.publishF(p, a)
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
