package bots

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/roomcast/roomcast/codec/mpack"
	statesync "github.com/roomcast/roomcast/sync"
)

// ClickInput is the clicker's input payload {n}: n clicks (1..10 in
// examples/clicker).
type ClickInput struct{ N int }

// AppendMsgpack implements InputPayload.
func (c ClickInput) AppendMsgpack(dst []byte) []byte {
	dst = mpack.AppendMapHeader(dst, 1)
	return mpack.AppendInt(mpack.AppendString(dst, "n"), int64(c.N))
}

// AppendJSON implements InputPayload.
func (c ClickInput) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"n":`...)
	dst = strconv.AppendInt(dst, int64(c.N), 10)
	return append(dst, '}')
}

// ClickerScenario plays examples/clicker (room type "clicker", 10 Hz):
// every bot clicks, input {n: 1}, at the input rate (default 5 a second)
// and checks that the room counts its clicks: between two deltas of the
// same round while it is playing, the bot's score rises by exactly the
// number of clicks the second frame newly acknowledges. The check reads
// the state, so every bot keeps a mirror. It assumes the input rate is
// under the room's input limit (60 a second by default): inputs the
// server drops would break the count.
type ClickerScenario struct {
	// RoomOptions are added to every bot's join options, e.g.
	// {"roundSeconds": 2} for short rounds.
	RoomOptions map[string]any
}

// Name implements Scenario.
func (ClickerScenario) Name() string { return ScenarioClicker }

// Plan implements Scenario.
func (ClickerScenario) Plan(cfg SwarmConfig) ScenarioPlan {
	p := ScenarioPlan{RoomType: "clicker", InputRate: cfg.InputRate, NeedsMirror: true}
	if p.InputRate == 0 {
		p.InputRate = 5
	}
	return p
}

// NewBot implements Scenario.
func (c ClickerScenario) NewBot(id int, _ ScenarioPlan, _ *rand.Rand) BotScript {
	opts := map[string]any{"name": botName(id)}
	for k, v := range c.RoomOptions {
		opts[k] = v
	}
	return &clickerBot{opts: opts, click: ClickInput{N: 1}}
}

type clickerBot struct {
	opts  map[string]any
	click ClickInput

	mu      sync.Mutex // guards the fields below (read goroutines change on resume)
	session string
	have    bool // a baseline frame below
	round   uint64
	phase   string
	ack     uint64
	score   uint64
}

func (b *clickerBot) JoinOptions() map[string]any { return b.opts }

func (b *clickerBot) NextInput(*rand.Rand) any { return &b.click }

func (b *clickerBot) OnJoined(_ *Game, jr JoinResult) error {
	b.mu.Lock()
	b.session, b.have = jr.SessionID, false
	b.mu.Unlock()
	if jr.TickRate <= 0 {
		return fmt.Errorf("clicker: join reply has no tickRate")
	}
	return nil
}

// clickerView is what the check reads from the state.
type clickerView struct {
	round  uint64
	phase  string
	score  uint64
	player bool // the bot's player is in the state
}

func (b *clickerBot) OnState(g *Game, kind string, ack uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var v clickerView
	g.ReadMirror(func(m StateMirror) {
		if sm, ok := m.(*statesync.Mirror); ok {
			v = readClicker(sm, b.session)
		}
	})
	prev := clickerView{round: b.round, phase: b.phase, score: b.score, player: b.have}
	prevAck := b.ack
	b.have, b.round, b.phase, b.ack, b.score = v.player, v.round, v.phase, ack, v.score
	if kind != EventDelta || !prev.player || !v.player || v.round != prev.round ||
		v.phase != "playing" || prev.phase != "playing" || ack < prevAck {
		return nil // a new baseline: snapshot, new round, intermission, resume
	}
	if got, want := v.score-prev.score, ack-prevAck; got != want {
		return fmt.Errorf("clicker: round %d: score rose by %d for %d newly acknowledged clicks (ack %d -> %d)",
			v.round, got, want, prevAck, ack)
	}
	return nil
}

// readClicker reads round, phase and session's score from a clicker
// state {round, phase, players: {sessionId: {score}}}.
func readClicker(m *statesync.Mirror, session string) clickerView {
	var v clickerView
	root := m.Root()
	if root == nil || session == "" {
		return v
	}
	v.round, _ = root.Get("round").(uint64)
	v.phase, _ = root.Get("phase").(string)
	players, _ := root.Get("players").(*statesync.MapValue)
	if players == nil {
		return v
	}
	p, _ := players.Get(session)
	if n, ok := p.(*statesync.Node); ok && n != nil {
		v.score, v.player = n.Get("score").(uint64)
	}
	return v
}
