package bots_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/redirectstub"
)

// stubCluster starts internal/redirectstub's three nodes for one test.
func stubCluster(t *testing.T) *redirectstub.Cluster {
	t.Helper()
	c, err := redirectstub.Start()
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// stubGame connects a Game to node A with the given mode and an auth
// payload, recording the nodes that said "seated".
func stubGame(t *testing.T, ctx context.Context, c *redirectstub.Cluster, tr bots.Transport, p bots.Parser, autoResume bool) (*bots.Game, <-chan string) {
	t.Helper()
	g, err := bots.NewGame(bots.GameConfig{
		Client:     bots.Config{URL: c.URL(redirectstub.NodeA), Transport: tr, Parser: p, Auth: map[string]any{"player": "p1"}},
		AutoResume: autoResume, ResumeBackoff: 10 * time.Millisecond})
	require.NoError(t, err)
	seated := make(chan string, 8)
	g.OnMessage(func(typ string, payload any) {
		if m, ok := payload.(map[string]any); ok && typ == "seated" {
			node, _ := m["node"].(string)
			seated <- node
		}
	})
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	return g, seated
}

func waitSeated(t *testing.T, seated <-chan string) string {
	t.Helper()
	select {
	case node := <-seated:
		return node
	case <-time.After(30 * time.Second):
		t.Fatal("no seated message")
		return ""
	}
}

func TestGame_JoinFollowsRedirect(t *testing.T) {
	t.Parallel()
	joins := map[string]func(g *bots.Game, ctx context.Context, target string) (bots.JoinResult, error){
		"joinOrCreate": func(g *bots.Game, ctx context.Context, target string) (bots.JoinResult, error) {
			return g.JoinOrCreate(ctx, target, nil)
		},
		"create": func(g *bots.Game, ctx context.Context, target string) (bots.JoinResult, error) {
			return g.Create(ctx, target, map[string]any{"name": "x"})
		},
		"join": func(g *bots.Game, ctx context.Context, target string) (bots.JoinResult, error) {
			return g.Join(ctx, target, nil)
		},
		"joinById": func(g *bots.Game, ctx context.Context, target string) (bots.JoinResult, error) {
			return g.JoinByID(ctx, target, nil)
		},
	}
	cases := []struct {
		name, join, target, node string
		transport                bots.Transport
		parser                   bots.Parser
	}{
		{"no redirect", "joinOrCreate", "here", redirectstub.NodeA, bots.TransportWebSocket, bots.ParserMsgpack},
		{"ws msgpack to B", "joinOrCreate", "toB", redirectstub.NodeB, bots.TransportWebSocket, bots.ParserMsgpack},
		{"ws default to B", "create", "toB", redirectstub.NodeB, bots.TransportWebSocket, bots.ParserDefault},
		{"polling msgpack to B", "join", "toB", redirectstub.NodeB, bots.TransportPolling, bots.ParserMsgpack},
		{"polling default to path prefix", "joinById", "toC", redirectstub.NodeC, bots.TransportPolling, bots.ParserDefault},
		{"upgrade to path prefix", "joinOrCreate", "toC", redirectstub.NodeC, bots.TransportPollingUpgrade, bots.ParserMsgpack},
		{"two redirects", "joinOrCreate", "hop", redirectstub.NodeC, bots.TransportWebSocket, bots.ParserMsgpack},
		{"redirect without claim", "joinOrCreate", "toBnoclaim", redirectstub.NodeB, bots.TransportWebSocket, bots.ParserDefault},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := stubCluster(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			g, seated := stubGame(t, ctx, c, tc.transport, tc.parser, false)
			first := g.Client()

			jr, err := joins[tc.join](g, ctx, tc.target)
			require.NoError(t, err)
			require.Equal(t, c.URL(tc.node), jr.URL, "the seat's node")
			require.Equal(t, c.URL(tc.node), g.NodeURL())
			require.Equal(t, "room-"+tc.node, jr.RoomID)
			require.Equal(t, 20, jr.TickRate)
			require.Equal(t, tc.node, waitSeated(t, seated), "events arrive on the new connection")
			roomID, session, token := g.Seat()
			require.Equal(t, jr.RoomID, roomID)
			require.Equal(t, jr.SessionID, session)
			require.Equal(t, jr.Token, token)

			st := c.Stats(tc.node)
			require.Contains(t, st.Seats, jr.SessionID)
			conn := st.Conns[len(st.Conns)-1]
			require.Equal(t, tc.parser.String(), conn.Parser, "same parser")
			require.Equal(t, map[string]any{"player": "p1"}, conn.Auth, "same auth")
			switch tc.transport { // polling+upgrade may connect on either
			case bots.TransportWebSocket:
				require.Equal(t, "websocket", conn.Transport)
			case bots.TransportPolling:
				require.Equal(t, "polling", conn.Transport)
			}
			if tc.node == redirectstub.NodeA {
				require.Same(t, first, g.Client(), "no redirect: the same connection")
				require.Equal(t, 1, c.Stats(redirectstub.NodeA).OpenConns())
				return
			}
			require.NotSame(t, first, g.Client())
			<-first.Done()
			require.Eventually(t, func() bool { return c.Stats(redirectstub.NodeA).OpenConns() == 0 },
				30*time.Second, 10*time.Millisecond, "the first connection is closed")
			for _, name := range []string{redirectstub.NodeA, redirectstub.NodeB, redirectstub.NodeC} {
				want := 0
				if name == tc.node {
					want = 1
				}
				require.Eventually(t, func() bool { return c.Stats(name).OpenConns() == want },
					30*time.Second, 10*time.Millisecond, "open connections on %s", name)
			}
			require.Positive(t, g.Stats().Wire.FramesOut, "the first connection's counters are kept")
		})
	}
}

func TestGame_RedirectFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target string
		want   error
		code   string
	}{
		{"loop", bots.ErrRedirectLoop, bots.CodeRedirectLoop},
		{"badclaim", bots.ErrClaimInvalid, bots.CodeClaimInvalid},
		{"unavailable", bots.ErrUnavailable, bots.CodeUnavailable},
		{"badurl", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			t.Parallel()
			c := stubCluster(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			g, seated := stubGame(t, ctx, c, bots.TransportWebSocket, bots.ParserMsgpack, false)
			first := g.Client()

			_, err := g.JoinOrCreate(ctx, tc.target, nil)
			require.Error(t, err)
			if tc.want == nil { // not a node URL: refused before any dial
				require.ErrorContains(t, err, "ftp://nowhere")
			} else {
				require.ErrorIs(t, err, tc.want)
				var pe *bots.ProtocolError
				require.True(t, errors.As(err, &pe))
				require.Equal(t, tc.code, pe.Code)
				require.NotErrorIs(t, err, bots.ErrNodeGone)
			}

			// the Game keeps its first connection, and nothing else stays open
			require.Same(t, first, g.Client())
			require.Equal(t, c.URL(redirectstub.NodeA), g.NodeURL())
			for _, name := range []string{redirectstub.NodeA, redirectstub.NodeB, redirectstub.NodeC} {
				want := 0
				if name == redirectstub.NodeA {
					want = 1
				}
				require.Eventually(t, func() bool { return c.Stats(name).OpenConns() == want },
					30*time.Second, 10*time.Millisecond, "open connections on %s", name)
			}
			if tc.target == "loop" {
				// the first join plus 3 followed redirects: 4 requests, 3 new connections
				require.Len(t, c.Stats(redirectstub.NodeA).Conns, 4)
			}
			// and it can still be seated
			jr, err := g.JoinOrCreate(ctx, "toB", nil)
			require.NoError(t, err)
			require.Equal(t, c.URL(redirectstub.NodeB), jr.URL)
			require.Equal(t, redirectstub.NodeB, waitSeated(t, seated))
		})
	}
}

func TestGame_ResumeFollowsRedirect(t *testing.T) {
	t.Parallel()
	c := stubCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, seated := stubGame(t, ctx, c, bots.TransportWebSocket, bots.ParserDefault, false)

	_, err := g.Resume(ctx, "X.1")
	require.ErrorIs(t, err, bots.ErrNodeGone)

	jr, err := g.Resume(ctx, "C.41") // a seat on node C, asked at A
	require.NoError(t, err)
	require.Equal(t, c.URL(redirectstub.NodeC), jr.URL)
	require.Equal(t, redirectstub.NodeC, waitSeated(t, seated))
	require.Equal(t, []string{"rooms.resume", "rooms.resume"}, c.Stats(redirectstub.NodeA).Events)
	require.Equal(t, []string{"rooms.resume"}, c.Stats(redirectstub.NodeC).Events, "the same request, no claim")
	require.Eventually(t, func() bool { return c.Stats(redirectstub.NodeA).OpenConns() == 0 }, 30*time.Second, 10*time.Millisecond)
}

func TestGame_AutoResumeOnTheSeatsNode(t *testing.T) {
	t.Parallel()
	c := stubCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, seated := stubGame(t, ctx, c, bots.TransportWebSocket, bots.ParserMsgpack, true)
	resumed := make(chan error, 4)
	g.OnResumed(func(_ bots.JoinResult, err error) { resumed <- err })

	jr, err := g.JoinOrCreate(ctx, "toB", nil)
	require.NoError(t, err)
	require.Equal(t, redirectstub.NodeB, waitSeated(t, seated))

	// a dropped connection is resumed on B directly
	g.Drop()
	require.NoError(t, <-resumed)
	require.Equal(t, redirectstub.NodeB, waitSeated(t, seated))
	require.Equal(t, c.URL(redirectstub.NodeB), g.NodeURL())
	_, _, token := g.Seat()
	require.NotEqual(t, jr.Token, token)
	require.Equal(t, []string{"rooms.joinOrCreate"}, c.Stats(redirectstub.NodeA).Events)

	// B dies: the resume cannot reach it, asks A, and A says node_gone
	c.StopNode(redirectstub.NodeB)
	select {
	case err := <-resumed:
		require.ErrorIs(t, err, bots.ErrNodeGone)
	case <-time.After(30 * time.Second):
		t.Fatal("no resume outcome")
	}
	require.Equal(t, []string{"rooms.joinOrCreate", "rooms.resume"}, c.Stats(redirectstub.NodeA).Events)
	require.Equal(t, int64(1), g.Stats().ResumeFailures)
	roomID, _, _ := g.Seat()
	require.Empty(t, roomID)
}

func TestGame_LobbySubscribedAgainAfterRedirect(t *testing.T) {
	t.Parallel()
	c := stubCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, _ := stubGame(t, ctx, c, bots.TransportWebSocket, bots.ParserMsgpack, false)
	lists := make(chan string, 4)
	require.NoError(t, g.SubscribeLobby(ctx, func(ev bots.LobbyEvent) {
		if ev.Kind == bots.EventLobbyRooms && len(ev.Rooms) == 1 {
			lists <- ev.Rooms[0].ID
		}
	}))
	nextList := func() string {
		select {
		case id := <-lists:
			return id
		case <-time.After(30 * time.Second):
			t.Fatal("no lobby list")
			return ""
		}
	}
	require.Equal(t, "lobby-A", nextList())
	_, err := g.JoinOrCreate(ctx, "toB", nil)
	require.NoError(t, err)
	require.Equal(t, "lobby-B", nextList(), "the list of node B")
	require.Equal(t, []string{"rooms.claim", "lobby.subscribe"}, c.Stats(redirectstub.NodeB).Events)
}

func TestGame_CheckRedirectRefuses(t *testing.T) {
	t.Parallel()
	c := stubCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errRefused := errors.New("not there")
	var asked []string
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: c.URL(redirectstub.NodeA)},
		CheckRedirect: func(url string) error {
			asked = append(asked, url)
			if url == c.URL(redirectstub.NodeC) {
				return errRefused
			}
			return nil
		}})
	require.NoError(t, err)
	require.NoError(t, g.Connect(ctx))
	defer g.Close()

	_, err = g.JoinOrCreate(ctx, "hop", nil) // A → B → C
	require.ErrorIs(t, err, errRefused)
	require.Equal(t, []string{c.URL(redirectstub.NodeB), c.URL(redirectstub.NodeC)}, asked)
	require.Equal(t, c.URL(redirectstub.NodeA), g.NodeURL())
	require.Eventually(t, func() bool { return c.Stats(redirectstub.NodeB).OpenConns() == 0 }, 30*time.Second, 10*time.Millisecond)
	require.Empty(t, c.Stats(redirectstub.NodeC).Conns, "never dialled")

	jr, err := g.JoinOrCreate(ctx, "toB", nil)
	require.NoError(t, err)
	require.Equal(t, c.URL(redirectstub.NodeB), jr.URL)
	require.NoError(t, bots.CheckLocal(jr.URL), "the stub's nodes are local")
}
