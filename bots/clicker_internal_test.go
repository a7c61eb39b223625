package bots

import (
	"testing"

	"github.com/stretchr/testify/require"

	statesync "github.com/roomcast/roomcast/sync"
)

// clickState has the fields of examples/clicker's state that the
// clicker scenario's check reads.
type clickState struct {
	statesync.Entity
	Round   statesync.Uint32                         `sync:"round"`
	Phase   statesync.String                         `sync:"phase"`
	Players statesync.Map[string, *clickPlayerState] `sync:"players"`
}

type clickPlayerState struct {
	statesync.Entity
	Score statesync.Uint32 `sync:"score"`
}

func TestClickerCheck(t *testing.T) {
	st := &clickState{}
	enc, err := statesync.NewEncoder(st, statesync.EncoderOptions{})
	require.NoError(t, err)
	me := &clickPlayerState{}
	st.Players.Set("s1", me)
	st.Round.Set(1)
	st.Phase.Set("playing")
	m := statesync.NewMirror(statesync.MirrorLimits{})
	g := unconnectedGame(t, ParserMsgpack, m)
	bot := ClickerScenario{}.NewBot(0, ScenarioPlan{}, nil).(*clickerBot)
	require.NoError(t, bot.OnJoined(g, JoinResult{SessionID: "s1", TickRate: 10}))
	require.ErrorContains(t, bot.OnJoined(g, JoinResult{SessionID: "s1"}), "no tickRate")
	require.NoError(t, bot.OnJoined(g, JoinResult{SessionID: "s1", TickRate: 10}))

	tick := uint32(1)
	_, _ = enc.EncodeDelta(nil, tick)
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, tick)))
	require.NoError(t, bot.OnState(g, EventSnapshot, 0))
	step := func(mutate func(), ack uint64) error {
		t.Helper()
		mutate()
		tick++
		d, _ := enc.EncodeDelta(nil, tick)
		require.NoError(t, m.ApplyDelta(d))
		return bot.OnState(g, EventDelta, ack)
	}
	require.NoError(t, step(func() { me.Score.Set(3) }, 3), "3 clicks acknowledged, 3 counted")
	require.NoError(t, step(func() {}, 3), "nothing new")
	require.ErrorContains(t, step(func() { me.Score.Set(5) }, 4), "score rose by 2 for 1 newly acknowledged clicks")
	require.ErrorContains(t, step(func() {}, 6), "score rose by 0 for 2")
	// intermission: acknowledged clicks do not count
	require.NoError(t, step(func() { st.Phase.Set("intermission") }, 7))
	require.NoError(t, step(func() {}, 9))
	// next round: scores reset, counting resumes
	require.NoError(t, step(func() { st.Round.Set(2); st.Phase.Set("playing"); me.Score.Set(0) }, 10))
	require.NoError(t, step(func() { me.Score.Set(2) }, 12))
	// the player left the state (churn): no check until it is back
	require.NoError(t, step(func() { st.Players.Delete("s1") }, 14))
}
