package host

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
)

// createFrom connects a player whose requests carry X-Forwarded-For xff
// (none if "") and returns the error code of its rooms.create ("" if it
// created a room).
func createFrom(t *testing.T, url, xff string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	cfg := bots.Config{URL: url, Transport: bots.TransportWebSocket}
	if xff != "" {
		cfg.Header = http.Header{"X-Forwarded-For": {xff}}
	}
	g, err := bots.NewGame(bots.GameConfig{Client: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = g.Close() })
	require.NoError(t, g.Connect(ctx))
	_, err = g.Create(ctx, "arena", map[string]any{"name": "c"})
	if err == nil {
		return ""
	}
	var pe *bots.ProtocolError
	require.True(t, errors.As(err, &pe), "create: %v", err)
	return pe.Code
}

// Finding 2 with a proxy: the per-address room-creation rate counts the
// same client as the other per-IP limits: behind a trusted proxy, the
// address X-Forwarded-For names (two clients, two buckets); from an
// untrusted peer, the peer (its X-Forwarded-For is ignored).
func TestCreateRatePerClientAddress(t *testing.T) {
	oneRoom := rooms.Rate{PerSecond: 0.001, Burst: 1}
	noConnRate := rooms.Rate{PerSecond: -1}
	t.Run("behind a trusted proxy", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", TrustedProxies: []string{"127.0.0.1"},
			IPCreateRate: oneRoom, CreateRate: noConnRate}, defineArena)
		require.Equal(t, "", createFrom(t, r.url, "198.51.100.1"))
		require.Equal(t, "", createFrom(t, r.url, "198.51.100.2"), "another client behind the proxy has its own bucket")
		require.Equal(t, rooms.CodeRateLimited, createFrom(t, r.url, "198.51.100.1"))
		require.Equal(t, rooms.CodeRateLimited, createFrom(t, r.url, "203.0.113.5, 198.51.100.2"), "the nearest untrusted address counts")
	})
	t.Run("untrusted peer", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", TrustedProxies: []string{"10.0.0.0/8"}, LimitLoopback: true,
			IPCreateRate: oneRoom, CreateRate: noConnRate}, defineArena)
		require.Equal(t, "", createFrom(t, r.url, "198.51.100.1"))
		require.Equal(t, rooms.CodeRateLimited, createFrom(t, r.url, "198.51.100.2"), "X-Forwarded-For of an untrusted peer is ignored")
		require.Equal(t, rooms.CodeRateLimited, createFrom(t, r.url, ""))
	})
	t.Run("loopback without --limit-loopback", func(t *testing.T) {
		r := start(t, Config{Addr: "127.0.0.1:0", IPCreateRate: oneRoom, CreateRate: noConnRate}, defineArena)
		for range 3 {
			require.Equal(t, "", createFrom(t, r.url, ""))
		}
	})
}
