package bots_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/host"
	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// serveNode serves a cluster node (host.Server with Redis) with the arena
// on ln; publicURL "" lets the node publish its listen address.
func serveNode(t *testing.T, redisURL, id, publicURL string, ln net.Listener) {
	t.Helper()
	srv, err := host.New(host.Config{Addr: ln.Addr().String(), Redis: redisURL, NodeID: id, PublicURL: publicURL,
		RedisPrefix: "bots", DrainGrace: 10 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, srv.Define(arena.RoomType, func() rooms.Game { return arena.NewGame(arena.Config{}) }, arena.Settings()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// A Game follows the real server's redirects: two nodes on one Redis,
// node B behind a reverse proxy that gives it the path prefix /n2 (its
// public URL). A player entering through node A joins node B's room by
// id, plays there, resumes there after a drop, and a resume presented to
// node A moves to node B.
func TestGame_FollowsClusterRedirects(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	lnA, lnB, lnProxy := listen(t), listen(t), listen(t)
	target, err := url.Parse("http://" + lnB.Addr().String())
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/n2/", http.StripPrefix("/n2", httputil.NewSingleHostReverseProxy(target)))
	proxy := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(lnProxy) }()
	t.Cleanup(func() { _ = proxy.Close() })
	urlA, urlB := "http://"+lnA.Addr().String(), "http://"+lnProxy.Addr().String()+"/n2"
	serveNode(t, r.URL(), "a", "", lnA)
	serveNode(t, r.URL(), "b", urlB, lnB)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	owner, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: urlB}})
	require.NoError(t, err)
	require.NoError(t, owner.Connect(ctx))
	defer owner.Close()
	home, err := owner.Create(ctx, arena.RoomType, map[string]any{"name": "owner"})
	require.NoError(t, err)
	require.Equal(t, urlB, home.URL)

	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			mirror := statesync.NewMirror(statesync.MirrorLimits{})
			g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: urlA, Transport: m.transport, Parser: m.parser},
				Mirror: mirror, AutoResume: true, ResumeBackoff: 10 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, g.Connect(ctx))
			defer g.Close()
			resumed := make(chan error, 2)
			g.OnResumed(func(_ bots.JoinResult, err error) { resumed <- err })

			jr, err := g.JoinByID(ctx, home.RoomID, map[string]any{"name": m.name})
			require.NoError(t, err)
			require.Equal(t, urlB, jr.URL, "seated on the node the redirect named")
			require.Equal(t, urlB, g.NodeURL())
			require.Equal(t, home.RoomID, jr.RoomID)
			require.Eventually(t, func() bool { _, ok := mirrorX(g, jr.SessionID); return ok }, 30*time.Second, 10*time.Millisecond)
			seq, err := g.SendInput(bots.MoveInput{DX: 1})
			require.NoError(t, err)
			require.Eventually(t, func() bool { return g.Stats().LastAck >= seq }, 30*time.Second, 10*time.Millisecond, "the input acked by node B")

			g.Drop() // resumed on node B, through the proxy
			select {
			case err := <-resumed:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Fatal("no resume")
			}
			require.Equal(t, urlB, g.NodeURL())
			_, session, token := g.Seat()
			require.Equal(t, jr.SessionID, session)

			// the seat's token presented to node A by a new Game: redirected
			g2, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: urlA, Transport: m.transport, Parser: m.parser}})
			require.NoError(t, err)
			require.NoError(t, g2.Connect(ctx))
			defer g2.Close()
			jr2, err := g2.Resume(ctx, token)
			require.NoError(t, err)
			require.Equal(t, urlB, jr2.URL)
			require.Equal(t, jr.SessionID, jr2.SessionID)
			require.NoError(t, g2.Leave(ctx))
		})
	}
}
