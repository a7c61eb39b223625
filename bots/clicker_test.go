package bots_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/internal/clickertest"
)

// A few clicker bots play short rounds on an in-process clicker server:
// the room counts every click they send (the scenario's check), through
// round ends and intermissions.
func TestSwarm_Clicker(t *testing.T) {
	for _, p := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			url := clickertest.Server(t)
			sc := bots.ClickerScenario{RoomOptions: map[string]any{
				clicker.OptionRoundSeconds: 1, clicker.OptionIntermissionSeconds: 0.5}}
			sw, err := bots.NewSwarm(bots.SwarmConfig{Client: bots.Config{URL: url, Parser: p}, Bots: 6, Rooms: 2,
				Ramp: 100, Scenario: sc, InputRate: 8})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sw.Run(ctx) }()
			// 3 s: at least two round ends and intermissions
			require.Eventually(t, func() bool {
				s := sw.Sample()
				return s.Joined == 6 && s.Latency.Total > 6*8*3
			}, 30*time.Second, 20*time.Millisecond)
			cancel()
			require.NoError(t, <-done)
			s := sw.Sample()
			require.Equal(t, clicker.TickRate, s.TickRate)
			require.Zero(t, s.CheckFailures, "the room lost or invented clicks")
			require.Zero(t, s.MirrorErrors)
			require.Zero(t, s.ConnectErrors+s.JoinErrors)
			require.Positive(t, s.Frames)
		})
	}
}
