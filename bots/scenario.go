package bots

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Scenario scripts what a swarm's bots do. The swarm owns the connections,
// the rooms, the pacing and the counters; a Scenario says which room type
// the bots join and with which options, which inputs they send and when,
// and what they check in what they receive.
//
// ArenaScenario ("arena", "churn"), IdleScenario ("idle") and
// ClickerScenario ("clicker") are built in; ScenarioByName finds them.
type Scenario interface {
	// Name names the scenario in reports and on the command line.
	Name() string
	// Plan returns the swarm-wide parameters for a swarm running cfg
	// (SwarmConfig's defaults applied; its InputRate and ChurnRate are 0
	// when not set, and the scenario picks its own).
	Plan(cfg SwarmConfig) ScenarioPlan
	// NewBot returns the script of bot id (0-based) in a swarm running
	// plan. It is called once per bot, from one goroutine, before the bot
	// connects; rnd is the swarm's seeded source (do not keep it).
	NewBot(id int, plan ScenarioPlan, rnd *rand.Rand) BotScript
}

// ScenarioPlan is what the swarm needs to know to run a scenario.
type ScenarioPlan struct {
	// RoomType is the room type the bots create and join
	// (SwarmConfig.RoomType overrides it).
	RoomType string
	// InputRate is how many timed inputs each bot sends per second
	// (BotScript.NextInput); 0: none. The swarm spreads the sends evenly
	// over the period, from a few shared goroutines.
	InputRate float64
	// ChurnRate is churn actions per second over the whole swarm: a
	// random joined bot either leaves and joins its room again, or drops
	// its connection and resumes its seat (alternately). 0: none.
	ChurnRate float64
	// AutoResume makes every bot take its seat back after a dropped
	// connection (GameConfig.AutoResume).
	AutoResume bool
	// FrameEveryTick says that every bot should receive a state frame
	// every tick of its room: a report then judges "kept up" by the frame
	// rate against the join reply's tickRate.
	FrameEveryTick bool
	// NeedsMirror gives every bot a state mirror even when
	// SwarmConfig.Mirror is nil, because the script's checks read the
	// state (Game.ReadMirror).
	NeedsMirror bool
}

// BotScript is one bot's behaviour in a Scenario. A swarm calls
// NextInput from the bot's sender goroutine and OnJoined/OnState from the
// goroutines of its requests and connection; a script that keeps state
// across them synchronizes it itself.
type BotScript interface {
	// JoinOptions are the options the bot creates or joins its room with
	// (and joins again with after a churn leave).
	JoinOptions() map[string]any
	// OnJoined runs after each successful create or join. A non-nil
	// error is a failed check (SwarmSample.CheckFailures).
	OnJoined(g *Game, jr JoinResult) error
	// NextInput returns the bot's next timed input, or nil to send
	// nothing this time. Called ScenarioPlan.InputRate times a second
	// once the bot has joined, never concurrently for one bot; rnd
	// belongs to the calling goroutine. The payload is encoded before the
	// next call, so a script may return a pointer to a value it reuses.
	NextInput(rnd *rand.Rand) any
	// OnState runs on the bot's read goroutine after each state frame (the
	// mirror, if any, has applied it; read it with g.ReadMirror). It may
	// send inputs in reply (g.SendInput): per-frame input generation. A
	// non-nil error is a failed check.
	OnState(g *Game, kind string, ack uint64) error
}

// Names of the built-in scenarios.
const (
	// ScenarioArena is arena v1: every bot sends input {dx, dy} 20 times a
	// second (SwarmConfig.InputRate) and changes direction about once a
	// second.
	ScenarioArena = "arena"
	// ScenarioChurn is arena plus churn: Bots/20 times a second
	// (SwarmConfig.ChurnRate) a random bot either leaves and joins its
	// room again, or drops its connection and resumes its seat.
	ScenarioChurn = "churn"
	// ScenarioIdle joins arena rooms and sends nothing.
	ScenarioIdle = "idle"
	// ScenarioClicker plays examples/clicker: every bot clicks 5 times a
	// second (SwarmConfig.InputRate) and checks that the room counts its
	// clicks.
	ScenarioClicker = "clicker"
)

// ScenarioNames lists the built-in scenarios, as ScenarioByName knows them.
func ScenarioNames() []string {
	return []string{ScenarioArena, ScenarioChurn, ScenarioIdle, ScenarioClicker}
}

// ScenarioByName returns the built-in scenario name with its defaults.
func ScenarioByName(name string) (Scenario, error) {
	switch name {
	case ScenarioArena:
		return ArenaScenario{}, nil
	case ScenarioChurn:
		return ArenaScenario{Churn: true}, nil
	case ScenarioIdle:
		return IdleScenario{}, nil
	case ScenarioClicker:
		return ClickerScenario{}, nil
	}
	return nil, fmt.Errorf("bots: unknown scenario %q (one of %v)", name, ScenarioNames())
}

// botName is the "name" join option of bot id.
func botName(id int) string { return fmt.Sprintf("bot%05d", id%100000) }

// ArenaScenario plays arena v1 (examples/arena): each bot moves in one of
// eight directions, sending input {dx, dy} at the input rate, and turns
// about once per TurnEvery. With Churn set it is ScenarioChurn.
type ArenaScenario struct {
	// Churn adds leave+rejoin and drop+resume actions
	// (SwarmConfig.ChurnRate, default Bots/20 per second).
	Churn bool
	// TurnEvery is the mean time between direction changes; default 1 s.
	TurnEvery time.Duration
}

// Name implements Scenario.
func (a ArenaScenario) Name() string {
	if a.Churn {
		return ScenarioChurn
	}
	return ScenarioArena
}

// Plan implements Scenario.
func (a ArenaScenario) Plan(cfg SwarmConfig) ScenarioPlan {
	p := ScenarioPlan{RoomType: "arena", InputRate: cfg.InputRate, FrameEveryTick: true}
	if p.InputRate == 0 {
		p.InputRate = 20
	}
	if a.Churn {
		p.AutoResume = true
		p.ChurnRate = cfg.ChurnRate
		if p.ChurnRate == 0 {
			p.ChurnRate = float64(cfg.Bots) / 20
		}
	}
	return p
}

// NewBot implements Scenario.
func (a ArenaScenario) NewBot(id int, plan ScenarioPlan, rnd *rand.Rand) BotScript {
	every := a.TurnEvery
	if every <= 0 {
		every = time.Second
	}
	b := &arenaBot{opts: map[string]any{"name": botName(id)}, turnP: 1}
	if plan.InputRate > 0 {
		b.turnP = 1 / (plan.InputRate * every.Seconds())
	}
	b.in.DX, b.in.DY = randomDirection(rnd)
	return b
}

type arenaBot struct {
	opts  map[string]any
	turnP float64   // chance to turn at each input
	in    MoveInput // current direction; NextInput's goroutine only
}

func (b *arenaBot) JoinOptions() map[string]any         { return b.opts }
func (b *arenaBot) OnJoined(*Game, JoinResult) error    { return nil }
func (b *arenaBot) OnState(*Game, string, uint64) error { return nil }
func (b *arenaBot) NextInput(rnd *rand.Rand) any {
	if rnd.Float64() < b.turnP {
		b.in.DX, b.in.DY = randomDirection(rnd)
	}
	return &b.in // encoded before the next call: no allocation per input
}

// randomDirection is one of 8 unit directions (never standing still, so
// every tick changes state).
func randomDirection(r *rand.Rand) (float64, float64) {
	a := float64(r.IntN(8)) * math.Pi / 4
	dx, dy := math.Cos(a), math.Sin(a)
	// exact 0/±1 where they should be, so payloads stay small
	return math.Round(dx*1e6) / 1e6, math.Round(dy*1e6) / 1e6
}

// IdleScenario joins arena rooms and sends nothing: the cost of seats
// alone.
type IdleScenario struct{}

// Name implements Scenario.
func (IdleScenario) Name() string { return ScenarioIdle }

// Plan implements Scenario.
func (IdleScenario) Plan(SwarmConfig) ScenarioPlan { return ScenarioPlan{RoomType: "arena"} }

// NewBot implements Scenario.
func (IdleScenario) NewBot(id int, _ ScenarioPlan, _ *rand.Rand) BotScript {
	return &arenaBot{opts: map[string]any{"name": botName(id)}}
}
