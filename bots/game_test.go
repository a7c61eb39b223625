package bots_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/arenatest"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// mirrorX returns player id's x in g's mirrored state, read through
// ReadMirror while the read goroutine applies frames.
func mirrorX(g *bots.Game, id string) (x float32, ok bool) {
	g.ReadMirror(func(m bots.StateMirror) {
		players, _ := m.(*statesync.Mirror).Value()["players"].(map[string]any)
		p, found := players[id].(map[string]any)
		if found {
			x, ok = p["x"].(float32)
		}
	})
	return x, ok
}

var modes = []struct {
	name      string
	transport bots.Transport
	parser    bots.Parser
}{
	{"ws-msgpack", bots.TransportWebSocket, bots.ParserMsgpack},
	{"ws-default", bots.TransportWebSocket, bots.ParserDefault},
	{"polling-msgpack", bots.TransportPolling, bots.ParserMsgpack},
	{"polling-default", bots.TransportPolling, bots.ParserDefault},
	{"upgrade-msgpack", bots.TransportPollingUpgrade, bots.ParserMsgpack},
}

func TestGame_ArenaJoinInputsAcksResume(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			url := arenatest.Server(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var lat bots.Histogram
			mirror := statesync.NewMirror(statesync.MirrorLimits{})
			g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, Transport: m.transport, Parser: m.parser},
				Mirror: mirror, AckLatency: &lat, AutoResume: true, ResumeBackoff: 10 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, g.Connect(ctx))
			defer g.Close()

			jr, err := g.Create(ctx, "arena", map[string]any{"name": "tester"})
			require.NoError(t, err)
			require.NotEmpty(t, jr.RoomID)
			require.Equal(t, 20, jr.TickRate)
			require.NotEmpty(t, jr.Token)

			list, err := g.List(ctx, "arena", nil)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, jr.RoomID, list[0].ID)
			require.Equal(t, 8, list[0].MaxClients)

			require.Eventually(t, func() bool { _, ok := mirrorX(g, jr.SessionID); return ok }, 30*time.Second, 5*time.Millisecond)
			x0, _ := mirrorX(g, jr.SessionID)
			for i := 1; i <= 5; i++ {
				seq, err := g.SendInput(bots.MoveInput{DX: 1, DY: 0})
				require.NoError(t, err)
				require.EqualValues(t, i, seq)
			}
			_, err = g.SendInput(map[string]any{"dx": 0.5, "dy": int64(0)}) // generic path
			require.NoError(t, err)
			require.Eventually(t, func() bool { return g.Stats().LastAck == 6 }, 30*time.Second, 5*time.Millisecond)
			require.EqualValues(t, 6, lat.Snapshot().Total)
			require.Eventually(t, func() bool { x, _ := mirrorX(g, jr.SessionID); return x != x0 }, 30*time.Second, 5*time.Millisecond)
			st := g.Stats()
			require.EqualValues(t, 1, st.Snapshots)
			require.Positive(t, st.Deltas)
			require.Zero(t, st.MirrorErrors)
			require.Zero(t, st.Desyncs) // checksums, where the room type sends them, match

			// drop the connection: the seat comes back with a fresh token
			resumed := make(chan error, 1)
			g.OnResumed(func(_ bots.JoinResult, err error) { resumed <- err })
			_, _, tok := g.Seat()
			g.Drop()
			select {
			case err := <-resumed:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("no resume")
			}
			_, _, tok2 := g.Seat()
			require.NotEqual(t, tok, tok2)
			require.EqualValues(t, 1, g.Stats().Resumes)
			seq, err := g.SendInput(bots.MoveInput{DX: 0, DY: 1})
			require.NoError(t, err)
			require.EqualValues(t, 7, seq)
			require.Eventually(t, func() bool { return g.Stats().LastAck == 7 }, 30*time.Second, 5*time.Millisecond)
			require.Zero(t, g.Stats().MirrorErrors)

			// a used token is refused with a stable code
			_, err = g.Resume(ctx, tok)
			var pe *bots.ProtocolError
			require.ErrorAs(t, err, &pe)
			require.Contains(t, []string{rooms.CodeTokenUsed, rooms.CodeAlreadyInRoom}, pe.Code)

			require.NoError(t, g.Leave(ctx))
			// (a fresh connection: rooms acks leave just before it frees the
			// session's seat, so a join right after may see already_in_room)
			g2, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, Transport: m.transport, Parser: m.parser}})
			require.NoError(t, err)
			require.NoError(t, g2.Connect(ctx))
			defer g2.Close()
			_, err = g2.JoinByID(ctx, "nope", nil)
			require.ErrorAs(t, err, &pe)
			require.Equal(t, rooms.CodeRoomNotFound, pe.Code)
		})
	}
}

func TestGame_Lobby(t *testing.T) {
	url := arenatest.Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	watcher, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url}})
	require.NoError(t, err)
	require.NoError(t, watcher.Connect(ctx))
	defer watcher.Close()
	events := make(chan bots.LobbyEvent, 16)
	require.NoError(t, watcher.SubscribeLobby(ctx, func(ev bots.LobbyEvent) { events <- ev }))
	require.Equal(t, bots.EventLobbyRooms, (<-events).Kind)

	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, Parser: bots.ParserDefault}})
	require.NoError(t, err)
	require.NoError(t, g.Connect(ctx))
	defer g.Close()
	jr, err := g.JoinOrCreate(ctx, "arena", nil)
	require.NoError(t, err)
	ev := <-events
	require.Equal(t, bots.EventLobbyUpdate, ev.Kind)
	require.Equal(t, jr.RoomID, ev.Rooms[0].ID)
	require.NoError(t, g.Leave(ctx))
	for ev = range events {
		if ev.Kind == bots.EventLobbyRemove {
			break
		}
	}
	require.Equal(t, jr.RoomID, ev.RoomID)
	require.NoError(t, watcher.UnsubscribeLobby(ctx))
}

func TestSwarm_Arena(t *testing.T) {
	url := arenatest.Server(t)
	sw, err := bots.NewSwarm(bots.SwarmConfig{Client: bots.Config{URL: url}, Bots: 16, Ramp: 200})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sw.Run(ctx) }()
	require.Eventually(t, func() bool {
		s := sw.Sample()
		return s.Joined == 16 && s.Latency.Total > 100 && s.Frames > 16*10
	}, 15*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	s := sw.Sample()
	require.Zero(t, s.ConnectErrors+s.JoinErrors)
	require.Positive(t, s.Inputs)
}
