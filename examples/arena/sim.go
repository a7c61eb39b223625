package arena

import (
	"math"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Rules of the game (PROTOCOL.md, "The arena game"; bench mode is the arena v1
// benchmark workload of BENCHMARKS.md).
const (
	Size           = 1000.0 // the arena is Size × Size; positions are clamped to [0, Size]
	Speed          = 100.0  // units per second; a diagonal move is normalised to the same speed
	MaxHP          = 100    // hp at join and after a respawn
	PlayerRadius   = 16.0   // players collide when their centres are closer than 2 × PlayerRadius
	PickupRadius   = 10.0   // a player takes a pickup when centres are closer than PlayerRadius + PickupRadius
	CollisionHP    = 10     // hp a collision costs each player that is not invulnerable
	HitCooldown    = 1.0    // seconds of invulnerability after losing hp
	RespawnShield  = 2.0    // seconds of invulnerability after a respawn
	DefaultPickups = 5      // pickups on the field in play mode
	MaxNameRunes   = 16     // longer names are cut
	MaxQueued      = 8      // play mode: inputs a player may have waiting; a 9th drops the oldest
	DefaultName    = "player"
	maxScore       = math.MaxUint16
)

// Modes of a room.
const (
	ModePlay  = "play"  // movement, pickups, collisions, respawn
	ModeBench = "bench" // movement only: arena v1 exactly
)

// Actor is one player as the simulation sees it (server-side, float64).
type Actor struct {
	ID    string
	Name  string
	X, Y  float64
	HP    int
	Score int
	// DX, DY is the direction the player moves by each tick, each in {-1,
	// 0, 1}: in bench mode the latest input; in play mode the last input
	// taken from the queue (held while the queue is empty).
	DX, DY float64
	Shield float64 // seconds of invulnerability left
	Deaths int
	// Dropped counts inputs this player lost to a full queue (play mode).
	Dropped int
	// Applied is the seq of the player's last input that is done with
	// (SetInputSeq): in bench mode the latest input; in play mode the last
	// one a Step applied, or dropped (a full queue's oldest, or the queue
	// cleared by Stop). Only grows. The game acknowledges it to the client
	// (rooms.Client.AckInput), so a client's ack means "applied".
	Applied uint64

	queue    []Dir    // play mode: inputs not applied yet, oldest first; at most MaxQueued
	queueSeq []uint64 // the seqs of queue
}

// Dir is one snapped input: DX and DY each in {-1, 0, 1}.
type Dir struct{ DX, DY float64 }

// Queued returns the player's inputs not applied yet, oldest first (play
// mode; the slice is the Actor's).
func (a *Actor) Queued() []Dir { return a.queue }

// QueuedSeqs returns the seqs of Queued, in the same order (the slice is
// the Actor's).
func (a *Actor) QueuedSeqs() []uint64 { return a.queueSeq }

// done marks input seq as applied or dropped.
func (a *Actor) done(seq uint64) { a.Applied = max(a.Applied, seq) }

// pop removes the oldest queued input.
func (a *Actor) pop() (Dir, uint64) {
	d, seq := a.queue[0], a.queueSeq[0]
	a.queue = a.queue[:copy(a.queue, a.queue[1:])]
	a.queueSeq = a.queueSeq[:copy(a.queueSeq, a.queueSeq[1:])]
	return d, seq
}

// Pickup is a collectible point.
type Pickup struct {
	ID   uint32
	X, Y float64
}

// Events are what happened in one Step (for messages, logs and tests).
type Events struct {
	Pickups    []PickupEvent
	Collisions [][2]string // actor ids, in join order
	Respawns   []string
}

// PickupEvent: actor took pickup.
type PickupEvent struct {
	Actor  string
	Pickup uint32
}

// Sim is the arena simulation: deterministic for a given seed and call
// sequence. Not safe for concurrent use (a room goroutine owns it).
type Sim struct {
	mode    string
	rnd     *rand.Rand
	actors  []*Actor // join order: collisions resolve in this order
	byID    map[string]*Actor
	pickups []*Pickup
	nextID  uint32
	events  Events
	dropped int // inputs lost to full queues, all players
}

// NewSim returns an empty arena in mode (ModePlay or ModeBench) whose
// random spawns and pickups come from seed. In play mode it places
// pickups pickups.
func NewSim(mode string, seed uint64, pickups int) *Sim {
	s := &Sim{mode: mode, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), byID: map[string]*Actor{}}
	if mode == ModePlay {
		for range pickups {
			s.nextID++
			x, y := s.spot(PickupRadius)
			s.pickups = append(s.pickups, &Pickup{ID: s.nextID, X: x, Y: y})
		}
	}
	return s
}

// Mode returns ModePlay or ModeBench.
func (s *Sim) Mode() string { return s.mode }

// spot returns a random point at least margin from the walls.
func (s *Sim) spot(margin float64) (x, y float64) {
	return margin + s.rnd.Float64()*(Size-2*margin), margin + s.rnd.Float64()*(Size-2*margin)
}

// CleanName trims name, cuts it to MaxNameRunes runes and replaces an
// empty or invalid one by DefaultName.
func CleanName(name string) string {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || name == "" {
		return DefaultName
	}
	if utf8.RuneCountInString(name) > MaxNameRunes {
		name = string([]rune(name)[:MaxNameRunes])
	}
	return name
}

// Join adds a player at a random spot with full hp and returns it. An id
// already present returns the existing actor.
func (s *Sim) Join(id, name string) *Actor {
	if a := s.byID[id]; a != nil {
		return a
	}
	a := &Actor{ID: id, Name: CleanName(name), HP: MaxHP}
	a.X, a.Y = s.spot(PlayerRadius)
	s.actors = append(s.actors, a)
	s.byID[id] = a
	return a
}

// Leave removes a player.
func (s *Sim) Leave(id string) {
	if s.byID[id] == nil {
		return
	}
	delete(s.byID, id)
	for i, a := range s.actors {
		if a.ID == id {
			s.actors = append(s.actors[:i], s.actors[i+1:]...)
			break
		}
	}
}

// Actor returns a player by id (nil if none).
func (s *Sim) Actor(id string) *Actor { return s.byID[id] }

// Actors returns the players in join order (the slice is the Sim's).
func (s *Sim) Actors() []*Actor { return s.actors }

// Pickups returns the pickups (the slice is the Sim's).
func (s *Sim) Pickups() []*Pickup { return s.pickups }

// Axis snaps an input axis to {-1, 0, 1}: values ≥ 0.5 are 1, values ≤
// -0.5 are -1, anything else (including NaN) is 0.
func Axis(v float64) float64 {
	switch {
	case v >= 0.5:
		return 1
	case v <= -0.5:
		return -1
	}
	return 0
}

// SetInput is SetInputSeq with seq 0 (for callers that do not track
// acknowledgements).
func (s *Sim) SetInput(id string, dx, dy float64) { s.SetInputSeq(id, 0, dx, dy) }

// SetInputSeq records input seq of a player (each axis snapped with Axis)
// and returns the player (nil for an unknown id); seqs of one player must
// not decrease (rooms guarantees it).
//
// Bench mode (arena v1): the latest input wins; it is the direction of
// every following tick until the next input.
//
// Play mode: the input joins the player's queue (at most MaxQueued; when
// full the oldest is dropped and counted in Actor.Dropped). Each Step
// takes the oldest queued input as the direction of that tick; with an
// empty queue the last direction is kept. So every input moves the player
// for exactly one tick, however inputs are batched on the way (a key tap,
// press and release in one long-polling request, moves one tick's
// distance), and a held key keeps moving when inputs arrive at the tick
// rate. Actor.Applied tells which inputs are done with.
func (s *Sim) SetInputSeq(id string, seq uint64, dx, dy float64) *Actor {
	a := s.byID[id]
	if a == nil {
		return nil
	}
	d := Dir{Axis(dx), Axis(dy)}
	if s.mode != ModePlay {
		a.DX, a.DY = d.DX, d.DY
		a.done(seq)
		return a
	}
	if len(a.queue) == MaxQueued {
		_, old := a.pop()
		a.done(old)
		a.Dropped++
		s.dropped++
	}
	if a.queue == nil {
		a.queue = make([]Dir, 0, MaxQueued)
		a.queueSeq = make([]uint64, 0, MaxQueued)
	}
	a.queue = append(a.queue, d)
	a.queueSeq = append(a.queueSeq, seq)
	return a
}

// Stop clears a player's queued inputs and direction: it stands still
// until its next input.
func (s *Sim) Stop(id string) {
	if a := s.byID[id]; a != nil {
		a.DX, a.DY = 0, 0
		if n := len(a.queueSeq); n > 0 {
			a.done(a.queueSeq[n-1])
		}
		a.queue, a.queueSeq = a.queue[:0], a.queueSeq[:0]
	}
}

// Dropped returns how many inputs full queues dropped (play mode), all
// players since the Sim began.
func (s *Sim) Dropped() int { return s.dropped }

// Step advances the arena by dt seconds and returns what happened (valid
// until the next Step).
func (s *Sim) Step(dt float64) *Events {
	s.events.Pickups = s.events.Pickups[:0]
	s.events.Collisions = s.events.Collisions[:0]
	s.events.Respawns = s.events.Respawns[:0]
	for _, a := range s.actors {
		if s.mode == ModePlay && len(a.queue) > 0 {
			d, seq := a.pop()
			a.DX, a.DY = d.DX, d.DY
			a.done(seq)
		}
		move(a, dt)
	}
	if s.mode != ModePlay {
		return &s.events
	}
	for _, a := range s.actors {
		a.Shield = math.Max(0, a.Shield-dt)
	}
	s.collide()
	s.respawn()
	s.collect()
	return &s.events
}

// move moves a by its input for dt seconds, clamped to the arena.
func move(a *Actor, dt float64) {
	dx, dy := a.DX, a.DY
	if dx == 0 && dy == 0 {
		return
	}
	if dx != 0 && dy != 0 {
		dx, dy = dx*math.Sqrt2/2, dy*math.Sqrt2/2
	}
	a.X = clamp(a.X+dx*Speed*dt, 0, Size)
	a.Y = clamp(a.Y+dy*Speed*dt, 0, Size)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// collide costs each overlapping pair CollisionHP (unless shielded) and
// pushes them apart.
func (s *Sim) collide() {
	const minDist = 2 * PlayerRadius
	for i, a := range s.actors {
		for _, b := range s.actors[i+1:] {
			dx, dy := b.X-a.X, b.Y-a.Y
			d := math.Hypot(dx, dy)
			if d >= minDist {
				continue
			}
			s.events.Collisions = append(s.events.Collisions, [2]string{a.ID, b.ID})
			hit(a)
			hit(b)
			// Push apart along the line between centres (along x if they
			// are on the same spot), half each, then clamp.
			push := (minDist - d) / 2
			ux, uy := 1.0, 0.0
			if d > 0 {
				ux, uy = dx/d, dy/d
			}
			a.X, a.Y = clamp(a.X-ux*push, 0, Size), clamp(a.Y-uy*push, 0, Size)
			b.X, b.Y = clamp(b.X+ux*push, 0, Size), clamp(b.Y+uy*push, 0, Size)
		}
	}
}

func hit(a *Actor) {
	if a.Shield > 0 || a.HP <= 0 {
		return
	}
	a.HP = max(0, a.HP-CollisionHP)
	a.Shield = HitCooldown
}

// respawn brings players at 0 hp back at a random spot with full hp; the
// score is kept.
func (s *Sim) respawn() {
	for _, a := range s.actors {
		if a.HP > 0 {
			continue
		}
		a.HP = MaxHP
		a.X, a.Y = s.spot(PlayerRadius)
		a.Shield = RespawnShield
		a.Deaths++
		s.events.Respawns = append(s.events.Respawns, a.ID)
	}
}

// collect gives a point for every pickup a player touches; the pickup
// moves to a new random spot (and keeps its id).
func (s *Sim) collect() {
	const reach = PlayerRadius + PickupRadius
	for _, a := range s.actors {
		for _, p := range s.pickups {
			if math.Hypot(p.X-a.X, p.Y-a.Y) >= reach {
				continue
			}
			a.Score = min(maxScore, a.Score+1)
			s.events.Pickups = append(s.events.Pickups, PickupEvent{Actor: a.ID, Pickup: p.ID})
			p.X, p.Y = s.spot(PickupRadius)
		}
	}
}
