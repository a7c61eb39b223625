package clicker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/internal/clickertest"
	statesync "github.com/roomcast/roomcast/sync"
)

// bot is a bots.Game whose mirrored state the test may read at any time.
type bot struct {
	*bots.Game
	mu    sync.Mutex
	state map[string]any // the mirror's value after the last state frame
	ack   uint64
}

func newBot(t *testing.T, url string, tr bots.Transport, p bots.Parser) *bot {
	t.Helper()
	mirror := statesync.NewMirror(statesync.MirrorLimits{})
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, Transport: tr, Parser: p}, Mirror: mirror})
	require.NoError(t, err)
	b := &bot{Game: g}
	// OnState runs on the read goroutine, after the mirror applied the
	// frame: the only place the mirror may be read.
	g.OnState(func(_ string, ack uint64) {
		v := mirror.Value()
		b.mu.Lock()
		b.state, b.ack = v, ack
		b.mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	return b
}

// scores returns the mirrored score of every player.
func (b *bot) scores() map[string]uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]uint64{}
	players, _ := b.state["players"].(map[string]any)
	for id, p := range players {
		score, _ := p.(map[string]any)["score"].(uint64)
		out[id] = score
	}
	return out
}

// Two bots of the Go client (WebSocket × msgpack and long-polling ×
// default parser) play one room over the real transport: every click is
// acknowledged, and both mirrors show the scores the clicks add up to.
func TestBotsClick(t *testing.T) {
	url := clickertest.Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ada := newBot(t, url, bots.TransportWebSocket, bots.ParserMsgpack)
	bob := newBot(t, url, bots.TransportPolling, bots.ParserDefault)
	// A 10-minute round: every click of the test lands in round 1.
	seat, err := ada.Create(ctx, clicker.RoomType, map[string]any{"name": "ada", clicker.OptionRoundSeconds: 600})
	require.NoError(t, err)
	require.Equal(t, clicker.TickRate, seat.TickRate)
	bobSeat, err := bob.JoinByID(ctx, seat.RoomID, map[string]any{"name": "bob"})
	require.NoError(t, err)

	click := func(b *bot, times int, n int) {
		var last uint64
		for range times {
			seq, err := b.SendInput(map[string]any{"n": n})
			require.NoError(t, err)
			last = seq
		}
		require.Eventually(t, func() bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.ack >= last
		}, 20*time.Second, 5*time.Millisecond, "clicks acknowledged")
	}
	click(ada, 7, 3)
	click(bob, 5, 10)
	click(ada, 1, 11) // out of bounds: ignored

	want := map[string]uint64{seat.SessionID: 21, bobSeat.SessionID: 50}
	for _, b := range []*bot{ada, bob} {
		require.Eventually(t, func() bool { return equalScores(b.scores(), want) }, 20*time.Second, 5*time.Millisecond,
			"mirrored scores %v, want %v", b.scores(), want)
	}
	for _, b := range []*bot{ada, bob} {
		require.Zero(t, b.Stats().MirrorErrors)
	}
}

func equalScores(got, want map[string]uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for id, s := range want {
		if got[id] != s {
			return false
		}
	}
	return true
}
