package bots_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/arenatest"
)

// countingScenario plays the arena through the Scenario interface and
// counts what the swarm calls; every bot's OnState fails its check once.
type countingScenario struct {
	newBots, joins, inputs, states atomic.Int64
	mu                             sync.Mutex
	tickRates                      []int
}

func (c *countingScenario) Name() string { return "counting" }

func (c *countingScenario) Plan(cfg bots.SwarmConfig) bots.ScenarioPlan {
	return bots.ScenarioPlan{RoomType: "arena", InputRate: 10, FrameEveryTick: true}
}

func (c *countingScenario) NewBot(id int, plan bots.ScenarioPlan, _ *rand.Rand) bots.BotScript {
	c.newBots.Add(1)
	return &countingBot{sc: c, opts: map[string]any{"name": "counter"}}
}

type countingBot struct {
	sc     *countingScenario
	opts   map[string]any
	failed atomic.Bool
}

func (b *countingBot) JoinOptions() map[string]any { return b.opts }

func (b *countingBot) OnJoined(_ *bots.Game, jr bots.JoinResult) error {
	b.sc.joins.Add(1)
	b.sc.mu.Lock()
	b.sc.tickRates = append(b.sc.tickRates, jr.TickRate)
	b.sc.mu.Unlock()
	return nil
}

func (b *countingBot) NextInput(*rand.Rand) any {
	b.sc.inputs.Add(1)
	return bots.MoveInput{DX: 1}
}

func (b *countingBot) OnState(*bots.Game, string, uint64) error {
	b.sc.states.Add(1)
	if b.failed.CompareAndSwap(false, true) {
		return errors.New("first frame check")
	}
	return nil
}

func TestSwarm_RunsAnyScenario(t *testing.T) {
	url := arenatest.Server(t)
	sc := &countingScenario{}
	sw, err := bots.NewSwarm(bots.SwarmConfig{Client: bots.Config{URL: url}, Bots: 4, Ramp: 200, Scenario: sc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.Equal(t, "arena", sw.Plan().RoomType)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sw.Run(ctx) }()
	require.Eventually(t, func() bool {
		s := sw.Sample()
		return s.Joined == 4 && s.Latency.Total > 20 && s.CheckFailures == 4
	}, 15*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	s := sw.Sample()
	require.Equal(t, 20, s.TickRate)
	require.EqualValues(t, 4, sc.newBots.Load())
	require.EqualValues(t, 4, sc.joins.Load())
	require.Positive(t, sc.inputs.Load())
	require.GreaterOrEqual(t, sc.states.Load(), s.Frames-4) // every frame reached the script (a few may race the sample)
	require.EqualValues(t, 4, s.CheckFailures)
	require.Equal(t, []int{20, 20, 20, 20}, sc.tickRates)
	require.Equal(t, map[string]int{url: 4}, s.SeatsByNode)
}

func TestSwarm_ScenarioByName(t *testing.T) {
	for _, name := range bots.ScenarioNames() {
		sc, err := bots.ScenarioByName(name)
		require.NoError(t, err)
		require.Equal(t, name, sc.Name())
		plan := sc.Plan(bots.SwarmConfig{Bots: 40})
		require.NotEmpty(t, plan.RoomType)
	}
	_, err := bots.ScenarioByName("chess")
	require.ErrorContains(t, err, `unknown scenario "chess"`)

	churn, _ := bots.ScenarioByName(bots.ScenarioChurn)
	require.Equal(t, bots.ScenarioPlan{RoomType: "arena", InputRate: 20, ChurnRate: 2, AutoResume: true, FrameEveryTick: true},
		churn.Plan(bots.SwarmConfig{Bots: 40}))
	arena, _ := bots.ScenarioByName(bots.ScenarioArena)
	require.Equal(t, 7.0, arena.Plan(bots.SwarmConfig{Bots: 40, InputRate: 7}).InputRate)
	idle, _ := bots.ScenarioByName(bots.ScenarioIdle)
	require.Zero(t, idle.Plan(bots.SwarmConfig{Bots: 40, InputRate: 7}).InputRate)

	// SwarmConfig.RoomType overrides the scenario's
	sw, err := bots.NewSwarm(bots.SwarmConfig{Client: bots.Config{URL: "http://127.0.0.1:1"}, Bots: 1, RoomType: "arena2"})
	require.NoError(t, err)
	require.Equal(t, "arena2", sw.Plan().RoomType)
}

func TestSwarm_NoServerFailsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	for _, tr := range []bots.Transport{bots.TransportWebSocket, bots.TransportPolling} {
		sw, err := bots.NewSwarm(bots.SwarmConfig{Client: bots.Config{URL: url, Transport: tr}, Bots: 5, Ramp: 100})
		require.NoError(t, err)
		// the context outlives any test deadline: only giving up by itself returns
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		err = sw.Run(ctx)
		require.NoError(t, ctx.Err(), "Run waited for its context")
		cancel()
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		require.True(t, bots.IsConnectionRefused(err))
		require.ErrorContains(t, err, "bots: no server at "+url)
	}
}
