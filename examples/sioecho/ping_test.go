package sioecho_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/sioecho"
)

// A polling client that answers every ping stays connected across many
// ping cycles (short intervals, real HTTP).
func TestPollingAnswersPingsStaysOpen(t *testing.T) {
	t.Parallel()
	ts := newServer(t, sioecho.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	p := dial(t, ts.URL, sioecho.EngineIOPath)
	deadline := time.Now().Add(1500 * time.Millisecond)
	pings := 0
	for time.Now().Before(deadline) {
		pkt := p.nextRaw()
		require.Equal(t, "2", pkt, "after %d pings", pings)
		pings++
		p.post("3")
	}
	require.GreaterOrEqual(t, pings, 5)
	p.post("4still")
	require.Equal(t, "4still", p.next())
}
