package clicker

import (
	"fmt"
	"slices"
	"time"

	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// The room type.
const (
	RoomType   = "clicker"
	TickRate   = 10 // a clicker needs no 20 Hz: 100 ms is below what a player notices on a scoreboard
	MaxClients = 8
)

// Room options: OptionRoundSeconds and OptionIntermissionSeconds are read
// when a room is created (and filter matchmaking: a joiner passing them
// only lands in a room with the same round lengths); OptionName when a
// player joins.
const (
	OptionRoundSeconds        = "roundSeconds"
	OptionIntermissionSeconds = "intermissionSeconds"
	OptionName                = "name"
)

// MsgEmote is the message type of emotes, both ways: a client sends
// msg("emote", "🎉"), every client of the room gets
// msg("emote", {from: sessionId, emote: "🎉"}).
const MsgEmote = "emote"

// Settings returns the room type's settings: 10 Hz, 8 seats, seats held
// for rooms.DefaultReconnectGrace after a drop, matchmaking filtered by
// the round options. Change fields before Define if you like.
func Settings() rooms.Settings {
	return rooms.Settings{
		TickRate:       TickRate,
		MaxClients:     MaxClients,
		ReconnectGrace: rooms.DefaultReconnectGrace,
		FilterBy:       []string{OptionRoundSeconds, OptionIntermissionSeconds},
	}
}

// NewGame returns the game of one new room (for Define).
func NewGame() rooms.Game { return &Game{} }

// Game is one clicker room. The room's goroutine calls every hook, one at
// a time, so nothing here needs a lock.
type Game struct {
	rooms.NopGame
	rounds Rounds
	state  State
	left   time.Duration // of the current phase
	clicks uint64        // clicks counted in the room so far: orders ties
}

var _ rooms.Game = (*Game)(nil)

// OnCreate reads the round options, sets the replicated state and starts
// round 1. Bad options refuse the room (the creator gets create_failed
// with the reason).
func (g *Game) OnCreate(r *rooms.Room, opts rooms.Options) error {
	rounds, err := ParseRounds(opts)
	if err != nil {
		return err
	}
	g.rounds = rounds
	enc, err := statesync.NewEncoder(&g.state, statesync.EncoderOptions{})
	if err != nil {
		return fmt.Errorf("clicker: state encoder: %w", err)
	}
	r.SetState(enc)
	// The effective lengths, so a joiner asking for the defaults matches.
	r.SetMetadata(OptionRoundSeconds, rounds.Round.Seconds())
	r.SetMetadata(OptionIntermissionSeconds, rounds.Intermission.Seconds())
	g.startRound()
	return nil
}

// OnJoin seats a player with the name it asked for.
func (g *Game) OnJoin(_ *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	p := &Player{}
	p.Name.Set(PlayerName(opts))
	p.Online.Set(true)
	g.state.Players.Set(c.ID(), p)
	return nil
}

// OnInput counts clicks, input(seq, {n}), while a round is playing. The
// room type uses the default input acks (an input is acknowledged when it
// is handed to this hook): a click is applied here at once, so the state
// frame that carries its ack also carries its score.
func (g *Game) OnInput(_ *rooms.Room, c *rooms.Client, in rooms.Input) {
	n := Clicks(in.Payload)
	p, ok := g.state.Players.Get(c.ID())
	if n == 0 || !ok || g.state.Phase.Get() != PhasePlaying {
		return
	}
	g.clicks += uint64(n)
	p.Score.Set(p.Score.Get() + uint32(n))
	p.scoredAt = g.clicks
}

// OnMessage broadcasts emotes and refuses anything else.
func (g *Game) OnMessage(r *rooms.Room, c *rooms.Client, m *rooms.Message) {
	emote, _ := m.Payload.(string)
	switch {
	case m.Type != MsgEmote:
		m.Fail(fmt.Sprintf("unknown message type %q (want %q)", m.Type, MsgEmote))
	case !slices.Contains(Emotes(), emote):
		m.Fail(fmt.Sprintf("unknown emote %q (want one of %v)", emote, Emotes()))
	default:
		r.Broadcast(MsgEmote, map[string]any{"from": c.ID(), "emote": emote})
		m.Reply(nil)
	}
}

// OnTick runs the round clock: a round ends into the intermission, the
// intermission into the next round.
func (g *Game) OnTick(_ *rooms.Room, t rooms.Tick) {
	g.left -= t.DT
	if g.left <= 0 {
		if g.state.Phase.Get() == PhasePlaying {
			g.endRound()
		} else {
			g.startRound()
		}
	}
	g.state.TimeLeft.Set(secondsLeft(g.left))
}

// startRound resets the scores and starts the next round.
func (g *Game) startRound() {
	for _, p := range g.state.Players.All() {
		p.Score.Set(0)
		p.scoredAt = 0
	}
	g.state.Round.Set(g.state.Round.Get() + 1)
	g.state.Phase.Set(PhasePlaying)
	g.left = g.rounds.Round
	g.state.TimeLeft.Set(secondsLeft(g.left))
}

// endRound records the winner and starts the intermission; the scores
// stay visible until the next round starts.
func (g *Game) endRound() {
	id := winner(&g.state)
	g.state.Winner.Set(id)
	if p, ok := g.state.Players.Get(id); ok {
		p.Wins.Set(p.Wins.Get() + 1)
		g.state.WinnerName.Set(p.Name.Get())
		g.state.WinnerScore.Set(p.Score.Get())
	} else {
		g.state.WinnerName.Set("")
		g.state.WinnerScore.Set(0)
	}
	g.state.Phase.Set(PhaseIntermission)
	g.left = g.rounds.Intermission
}

// OnDrop: the connection is gone, the seat is held; the player stays in
// the state, marked offline.
func (g *Game) OnDrop(_ *rooms.Room, c *rooms.Client) { g.setOnline(c.ID(), false) }

// OnResume: the player took its seat back (rooms.resume).
func (g *Game) OnResume(_ *rooms.Room, c *rooms.Client) { g.setOnline(c.ID(), true) }

func (g *Game) setOnline(id string, online bool) {
	if p, ok := g.state.Players.Get(id); ok {
		p.Online.Set(online)
	}
}

// OnLeave removes the player (it left, was kicked, or its seat expired).
func (g *Game) OnLeave(_ *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	g.state.Players.Delete(c.ID())
}
