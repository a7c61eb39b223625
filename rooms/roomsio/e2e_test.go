package roomsio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
	"github.com/roomcast/roomcast/transport/socketio"
)

type player struct {
	statesync.Entity
	X    statesync.Float32
	Name statesync.String
}

type world struct {
	statesync.Entity
	Players statesync.Map[string, *player]
}

// moveGame moves a player by each input's dx.
type moveGame struct {
	rooms.NopGame
	w *world
}

func (g *moveGame) OnCreate(r *rooms.Room, _ rooms.Options) error {
	g.w = &world{}
	enc, err := statesync.NewEncoder(g.w, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	r.SetState(enc)
	return nil
}

func (g *moveGame) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	p := &player{}
	p.Name.Set(opts.String("name", "?"))
	g.w.Players.Set(c.ID(), p)
	c.Data = p
	return nil
}

func (g *moveGame) OnInput(r *rooms.Room, c *rooms.Client, in rooms.Input) {
	p := c.Data.(*player)
	p.X.Set(p.X.Get() + float32(in.Float("dx", 0)))
}

func (g *moveGame) OnLeave(r *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	g.w.Players.Delete(c.ID())
}

// botMirror reads a bot's mirror from the test goroutine (under the lock
// the bot applies frames with).
type botMirror struct{ g *bots.Game }

func (b botMirror) value() (uint32, map[string]any) {
	var (
		tick uint32
		v    map[string]any
	)
	b.g.ReadMirror(func(sm bots.StateMirror) {
		m := sm.(*statesync.Mirror)
		if m.Valid() {
			tick, v = m.Tick(), m.Value()
		}
	})
	return tick, v
}

func startServer(t *testing.T, settings rooms.Settings) (*rooms.Server, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sio, err := socketio.NewServer(socketio.Config{Logger: log})
	require.NoError(t, err)
	rs, err := rooms.NewServer(rooms.Config{Logger: log})
	require.NoError(t, err)
	require.NoError(t, rs.Define("move", func() rooms.Game { return &moveGame{} }, settings))
	roomsio.Attach(rs, sio.Of("/"))
	hs := httptest.NewServer(sio)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, rs.Shutdown(ctx))
		_ = sio.Shutdown(ctx)
		hs.Close()
	})
	return rs, hs.URL
}

func newBot(t *testing.T, url string, tr bots.Transport, p bots.Parser, autoResume bool) (*bots.Game, botMirror) {
	t.Helper()
	g, err := bots.NewGame(bots.GameConfig{
		Client: bots.Config{URL: url, Transport: tr, Parser: p},
		Mirror: statesync.NewMirror(statesync.MirrorLimits{}), AutoResume: autoResume, ResumeBackoff: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	return g, botMirror{g}
}

// Both transports × both parsers: joins, inputs acked in state frames,
// mirrors agree, and a client whose connection dies mid-game resumes on a
// new connection and ends with the same state as one that never dropped.
func TestEndToEndJoinInputsResume(t *testing.T) {
	for _, tr := range []bots.Transport{bots.TransportWebSocket, bots.TransportPolling} {
		for _, p := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
			t.Run(fmt.Sprintf("%v/%v", tr, p), func(t *testing.T) {
				t.Parallel()
				_, url := startServer(t, rooms.Settings{TickRate: 30})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				stay, stayM := newBot(t, url, tr, p, false)
				drop, dropM := newBot(t, url, tr, p, true)
				j1, err := stay.JoinOrCreate(ctx, "move", map[string]any{"name": "stay"})
				require.NoError(t, err)
				j2, err := drop.JoinOrCreate(ctx, "move", map[string]any{"name": "drop"})
				require.NoError(t, err)
				require.Equal(t, j1.RoomID, j2.RoomID)
				assert.Equal(t, 30, j1.TickRate)

				var last uint64
				for range 10 {
					last, err = stay.SendInput(map[string]any{"dx": 1.5})
					require.NoError(t, err)
					_, err = drop.SendInput(map[string]any{"dx": -1})
					require.NoError(t, err)
					time.Sleep(5 * time.Millisecond)
				}
				require.Eventually(t, func() bool { return stay.Stats().LastAck == last && drop.Stats().LastAck == 10 },
					30*time.Second, 5*time.Millisecond, "inputs acked in state frames")

				resumed := make(chan error, 1)
				drop.OnResumed(func(_ bots.JoinResult, err error) { resumed <- err })
				drop.Drop()
				for range 10 { // the world goes on meanwhile
					last, err = stay.SendInput(map[string]any{"dx": 2})
					require.NoError(t, err)
					time.Sleep(5 * time.Millisecond)
				}
				select {
				case err := <-resumed:
					require.NoError(t, err)
				case <-ctx.Done():
					t.Fatal("no resume")
				}
				_, _, tok := drop.Seat()
				assert.NotEmpty(t, tok)
				_, err = drop.SendInput(map[string]any{"dx": -1})
				require.NoError(t, err)
				want := map[string]float64{"stay": 35, "drop": -11}
				xsOf := func(v map[string]any) map[string]float64 {
					xs := map[string]float64{}
					players, _ := v["Players"].(map[string]any)
					for _, pv := range players {
						pm := pv.(map[string]any)
						xs[pm["Name"].(string)] = toFloat(pm["X"])
					}
					return xs
				}
				require.Eventually(t, func() bool {
					st, sv := stayM.value()
					dt, dv := dropM.value()
					return stay.Stats().LastAck == last && drop.Stats().LastAck == 11 && st == dt &&
						assert.ObjectsAreEqual(want, xsOf(sv)) && assert.ObjectsAreEqual(sv, dv)
				}, 30*time.Second, 5*time.Millisecond, "mirrors agree after resume")
				assert.Zero(t, stay.Stats().MirrorErrors)
				assert.Zero(t, drop.Stats().MirrorErrors)
			})
		}
	}
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return -999
}

func TestEndToEndResumeAfterGrace(t *testing.T) {
	rs, url := startServer(t, rooms.Settings{ReconnectGrace: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, _ := newBot(t, url, bots.TransportWebSocket, bots.ParserMsgpack, false)
	j, err := g.JoinOrCreate(ctx, "move", nil)
	require.NoError(t, err)
	g.Drop()
	// The grace expires, the seat is released and the room, now empty, is
	// disposed: wait for that instead of a fixed time.
	require.Eventually(t, func() bool { return len(rs.Rooms()) == 0 }, 30*time.Second, 10*time.Millisecond)

	g2, _ := newBot(t, url, bots.TransportWebSocket, bots.ParserDefault, false)
	_, err = g2.Resume(ctx, j.Token)
	var pe *bots.ProtocolError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, rooms.CodeTokenExpired, pe.Code)
}

func TestEndToEndLobbyAndList(t *testing.T) {
	_, url := startServer(t, rooms.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	watcher, _ := newBot(t, url, bots.TransportWebSocket, bots.ParserDefault, false)
	events := make(chan bots.LobbyEvent, 16)
	require.NoError(t, watcher.SubscribeLobby(ctx, func(ev bots.LobbyEvent) { events <- ev }))
	first := <-events
	assert.Equal(t, bots.EventLobbyRooms, first.Kind)
	assert.Empty(t, first.Rooms)

	g, _ := newBot(t, url, bots.TransportPolling, bots.ParserMsgpack, false)
	j, err := g.Create(ctx, "move", nil)
	require.NoError(t, err)
	ev := <-events
	assert.Equal(t, bots.EventLobbyUpdate, ev.Kind)
	require.Len(t, ev.Rooms, 1)
	assert.Equal(t, j.RoomID, ev.Rooms[0].ID)
	ls, err := watcher.List(ctx, "move", nil)
	require.NoError(t, err)
	require.Len(t, ls, 1)
	assert.Equal(t, 8, ls[0].MaxClients)

	require.NoError(t, g.Leave(ctx))
	ev = <-events
	assert.Equal(t, bots.EventLobbyRemove, ev.Kind)
	assert.Equal(t, j.RoomID, ev.RoomID)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
