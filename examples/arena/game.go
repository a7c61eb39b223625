package arena

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// Defaults of the room type.
const (
	RoomType   = "arena" // default room type name
	TickRate   = 20
	MaxClients = 8
)

// Room options a creating request may pass (matchmaking filters: a joiner
// passing them only joins rooms created with the same values).
const (
	OptionMode      = "mode"      // ModePlay or ModeBench
	OptionQuantized = "quantized" // bool
	OptionPacked    = "packed"    // bool: quantized, x and y packed in one field "pos"
	OptionName      = "name"      // the joiner's display name
)

// Message types a client may send with msg(type, payload).
const (
	// MsgPing is answered with {ok: true, data: payload}: a round trip for
	// the page's ping display.
	MsgPing = "ping"
)

// Config configures the arena room type. Every field works at its zero
// value.
type Config struct {
	// Mode of rooms whose creator does not pass the "mode" option:
	// ModePlay (default) or ModeBench.
	Mode string
	// Quantized is the default of the "quantized" option: positions as
	// statesync.Fixed (0..1024, step 1/32) instead of float32. Default
	// false.
	Quantized bool
	// Packed is the default of the "packed" option: quantized positions
	// packed into one statesync.Fixed2 field "pos" (x, y) instead of two
	// fields x and y. Clients need a mirror that knows the "q2" kind.
	// Default false.
	Packed bool
	// Pickups on the field of a play room. Default DefaultPickups; negative
	// means none.
	Pickups int
	// Seed, if set, returns the random seed of each new room (spawn points
	// and pickups). Default: a random seed per room.
	Seed func() uint64
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModePlay
	}
	if c.Pickups == 0 {
		c.Pickups = DefaultPickups
	}
	if c.Pickups < 0 {
		c.Pickups = 0
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Mode != "" && c.Mode != ModePlay && c.Mode != ModeBench {
		return fmt.Errorf("arena: Config.Mode %q: want %q or %q", c.Mode, ModePlay, ModeBench)
	}
	if c.Pickups > 1000 {
		return fmt.Errorf("arena: Config.Pickups %d: at most 1000", c.Pickups)
	}
	return nil
}

// Settings returns the room type's settings: 8 seats, 20 Hz, filtered by
// mode, quantized and packed, ManualInputAck (the game acknowledges each
// input when it applies it; see Game.OnInput), inputs decoded into a Move
// (DecodeMove), and a state checksum every 20 ticks (once a second).
// Callers may change fields before Define.
func Settings() rooms.Settings {
	return rooms.Settings{
		TickRate:       TickRate,
		MaxClients:     MaxClients,
		ReconnectGrace: rooms.DefaultReconnectGrace,
		FilterBy:       []string{OptionMode, OptionQuantized, OptionPacked},
		ManualInputAck: true,
		Input:          DecodeMove,
		ChecksumEvery:  20,
	}
}

// Define registers the arena as room type name on rs with settings (zero
// fields take rooms' defaults; see Settings for the arena's). It sets
// settings.ManualInputAck, which play mode needs.
func Define(rs *rooms.Server, name string, cfg Config, settings rooms.Settings) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	settings.ManualInputAck = true
	return rs.Define(name, func() rooms.Game { return &Game{cfg: cfg} }, settings)
}

// NewGame returns the game of one room (for rooms.Server.Define).
func NewGame(cfg Config) *Game { return &Game{cfg: cfg.withDefaults()} }

// Game is one arena room: rooms.Game over a Sim. Every hook runs on the
// room's goroutine.
type Game struct {
	rooms.NopGame
	cfg  Config
	sim  *Sim
	view *view
	enc  *statesync.Encoder
}

var _ rooms.Game = (*Game)(nil)

// Sim returns the room's simulation (nil before OnCreate).
func (g *Game) Sim() *Sim { return g.sim }

// Encoder returns the room's state encoder (nil before OnCreate).
func (g *Game) Encoder() *statesync.Encoder { return g.enc }

// Setup builds the simulation and its state for a room created with opts
// and returns the state encoder. OnCreate calls it; tests may call it
// directly.
func (g *Game) Setup(opts rooms.Options) (*statesync.Encoder, error) {
	mode := opts.String(OptionMode, g.cfg.Mode)
	if mode != ModePlay && mode != ModeBench {
		return nil, fmt.Errorf("arena: option mode %q: want %q or %q", mode, ModePlay, ModeBench)
	}
	enc := encFloat32
	switch {
	case opts.Bool(OptionPacked, g.cfg.Packed):
		enc = encPacked
	case opts.Bool(OptionQuantized, g.cfg.Quantized):
		enc = encFixed
	}
	seed := rand.Uint64()
	if g.cfg.Seed != nil {
		seed = g.cfg.Seed()
	}
	g.sim = NewSim(mode, seed, g.cfg.Pickups)
	g.view = newView(mode, enc)
	g.view.publish(g.sim)
	e, err := statesync.NewEncoder(g.view.root, statesync.EncoderOptions{})
	if err != nil {
		return nil, fmt.Errorf("arena: state encoder: %w", err)
	}
	g.enc = e
	return e, nil
}

// OnCreate implements rooms.Game.
func (g *Game) OnCreate(r *rooms.Room, opts rooms.Options) error {
	enc, err := g.Setup(opts)
	if err != nil {
		return err
	}
	r.SetState(enc)
	r.SetMetadata(OptionMode, g.sim.Mode())
	r.SetMetadata(OptionQuantized, g.view.enc != encFloat32)
	r.SetMetadata(OptionPacked, g.view.enc == encPacked)
	return nil
}

// Join adds player id with name (OnJoin's work).
func (g *Game) Join(id, name string) {
	a := g.sim.Join(id, name)
	g.view.add(a)
}

// OnJoin implements rooms.Game.
func (g *Game) OnJoin(_ *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	g.Join(c.ID(), opts.String(OptionName, ""))
	return nil
}

// OnInput implements rooms.Game: input payload {dx, dy} (a Move with
// Settings().Input, else read from the generic payload), each snapped to
// {-1, 0, 1}. Bench mode: the latest input counts, acknowledged at once
// (arena v1). Play mode: queued, one applied per tick (Sim.SetInputSeq).
//
// The room type acknowledges inputs itself (rooms.Settings.ManualInputAck):
// after every Sim change the game passes the player's Actor.Applied to
// Client.AckInput, so the ack of a state frame is the seq of the last
// input that frame's state has applied. A client predicts from its
// player's position and its unacknowledged inputs, one tick each
// (clients/js/src/arena.js).
func (g *Game) OnInput(_ *rooms.Room, c *rooms.Client, in rooms.Input) {
	m := moveOf(in)
	if a := g.sim.SetInputSeq(c.ID(), in.Seq, m.DX, m.DY); a != nil { // one lookup: ack without Sim.Actor
		c.AckInput(a.Applied)
	}
}

// ack acknowledges the inputs of c's player that the Sim is done with.
func (g *Game) ack(c *rooms.Client) {
	if a := g.sim.Actor(c.ID()); a != nil {
		c.AckInput(a.Applied)
	}
}

// OnMessage implements rooms.Game.
func (g *Game) OnMessage(_ *rooms.Room, _ *rooms.Client, m *rooms.Message) {
	switch m.Type {
	case MsgPing:
		m.Reply(m.Payload)
	default:
		m.Fail(fmt.Sprintf("unknown message type %q", m.Type))
	}
}

// Step advances the game by dt and writes the result into the state
// (OnTick's work).
func (g *Game) Step(dt time.Duration) *Events {
	ev := g.sim.Step(dt.Seconds())
	g.view.publish(g.sim)
	return ev
}

// OnTick implements rooms.Game: one Step, then every client's applied
// inputs are acknowledged.
func (g *Game) OnTick(r *rooms.Room, t rooms.Tick) {
	g.Step(t.DT)
	for _, c := range r.Clients() {
		g.ack(c)
	}
}

// OnDrop implements rooms.Game: the player stays in the world, standing
// still (queued inputs dropped and acknowledged) and marked offline
// (Player.Online false), while its seat is held.
func (g *Game) OnDrop(_ *rooms.Room, c *rooms.Client) {
	g.sim.Stop(c.ID())
	g.view.setOnline(c.ID(), false)
	g.ack(c)
}

// OnResume implements rooms.Game: the player is online again.
func (g *Game) OnResume(_ *rooms.Room, c *rooms.Client) { g.view.setOnline(c.ID(), true) }

// Leave removes player id (OnLeave's work).
func (g *Game) Leave(id string) {
	g.sim.Leave(id)
	g.view.remove(id)
}

// OnLeave implements rooms.Game.
func (g *Game) OnLeave(_ *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) { g.Leave(c.ID()) }
