package rooms

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	statesync "github.com/roomcast/roomcast/sync"
)

// The views fan-out, driven tick by tick: 32 walking players on the
// big-world map, each client's mirror fed only its own frames. After every
// tick each mirror equals the state as the client's view sees it (the
// checksum frames carry too), also for clients whose frames were dropped
// for a while (they get a snapshot of their view).
func TestViewFanoutMirrorsFollowViews(t *testing.T) {
	const n = 32
	srv, err := NewServer(Config{Logger: discardLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	game := newBWGame(n, true)
	require.NoError(t, srv.Define("bw", func() Game { return game }, Settings{MaxClients: n, ChecksumEvery: 3}))
	typ, _ := srv.roomType("bw")
	r := newRoom(srv, typ, "views", nil)
	r.game = typ.newGame()
	require.NoError(t, r.game.OnCreate(r, nil))
	conns := make([]*fakeConn, n)
	mirrors := make([]*statesync.Mirror, n)
	for i := range n {
		conns[i] = &fakeConn{id: "c"}
		mirrors[i] = statesync.NewMirror(statesync.MirrorLimits{})
		s := srv.Connect(conns[i], ConnInfo{})
		s.pending = true
		r.match.seats++
		r.handleJoin(&inboxMsg{kind: msgJoin, sess: s, seatDone: func(Seat, error) {}})
	}
	require.Len(t, r.clients, n)
	now := srv.clock.Now()
	snapshots := make([]int, n)
	for tick := uint64(1); tick <= 200; tick++ {
		if tick > 1 {
			game.walk()
		}
		switch tick {
		case 50:
			conns[3].setFull(true)
		case 60:
			conns[3].setFull(false)
		}
		r.tickN = tick
		r.fan.send(tick, now)
		for i, c := range r.clients {
			for _, f := range conns[i].takeFrames() {
				var err error
				if f.event == EventSnapshot {
					snapshots[i]++
					err = mirrors[i].ApplySnapshot([]byte(f.state))
				} else {
					err = mirrors[i].ApplyDelta([]byte(f.state))
				}
				require.NoError(t, err, "client %d tick %d", i, tick)
				if f.hasSum {
					require.Equal(t, f.sum, mirrors[i].Checksum(), "client %d tick %d", i, tick)
				}
			}
			if i == 3 && tick >= 50 && tick < 60 {
				continue // its frames are being dropped: its mirror is behind
			}
			v := r.View(c)
			require.Equal(t, game.enc.AppendViewCanonical(nil, v), mirrors[i].AppendCanonical(nil), "client %d tick %d", i, tick)
		}
	}
	require.Equal(t, 2, snapshots[3], "the client whose frames were dropped gets a new snapshot")
	require.Equal(t, 1, snapshots[4])
	seen := 0
	for _, m := range mirrors {
		seen += m.Root().Map(0).Len()
	}
	// A 3×3 window of the 4×4-cell map holds about 9/16 of the players.
	require.Less(t, seen, n*n*3/4, "views are smaller than the room")
}
