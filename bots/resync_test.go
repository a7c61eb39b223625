package bots

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/arenatest"
	statesync "github.com/roomcast/roomcast/sync"
)

// A desync makes the Game take its seat back on a new connection and ask
// for a snapshot, even without AutoResume.
func TestGame_DesyncResyncsWithSnapshot(t *testing.T) {
	url := arenatest.Server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := statesync.NewMirror(statesync.MirrorLimits{})
	g, err := NewGame(GameConfig{Client: Config{URL: url}, Mirror: m, ResumeBackoff: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, g.Connect(ctx))
	defer g.Close()
	resumed := make(chan error, 1)
	g.OnResumed(func(_ JoinResult, err error) { resumed <- err })
	desyncs := make(chan Desync, 1)
	g.OnDesync(func(d Desync) { desyncs <- d })
	jr, err := g.JoinOrCreate(ctx, "arena", nil)
	require.NoError(t, err)
	// The snapshot is applied (not only counted: the read goroutine counts
	// a frame before it applies it), so the desync below comes after it,
	// as a real one would.
	applied := func() (ok bool) { g.ReadMirror(func(sm StateMirror) { ok = sm.(*statesync.Mirror).Valid() }); return }
	require.Eventually(t, func() bool { return g.Stats().Snapshots == 1 && applied() }, 10*time.Second, 5*time.Millisecond)
	first := g.Client()
	snaps := g.Stats().Snapshots

	d := Desync{Kind: EventDelta, Tick: 9, Want: 1, Got: 2}
	g.desync(d) // as the read goroutine does on a checksum mismatch
	require.Equal(t, d, <-desyncs)
	select {
	case err := <-resumed:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("no resync")
	}
	require.NotSame(t, first, g.Client(), "a new connection")
	_, session, _ := g.Seat()
	require.Equal(t, jr.SessionID, session, "the same seat")
	require.Eventually(t, func() bool { return g.Stats().Snapshots > snaps && !g.needSnap.Load() }, 10*time.Second, 5*time.Millisecond, "a snapshot ends the resync")
	st := g.Stats()
	require.EqualValues(t, 1, st.Desyncs)
	require.EqualValues(t, 1, st.Resumes)
	require.Zero(t, st.MirrorErrors)
	// deltas apply again after the snapshot (an input makes one)
	tick := func() (t uint32) { g.ReadMirror(func(sm StateMirror) { t = sm.(*statesync.Mirror).Tick() }); return }
	t0 := tick()
	require.Eventually(t, func() bool {
		_, err := g.SendInput(MoveInput{DX: 1})
		return err == nil && tick() > t0
	}, 10*time.Second, 20*time.Millisecond)
	require.Positive(t, g.Stats().Deltas)
}
