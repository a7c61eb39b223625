package rooms

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	statesync "github.com/roomcast/roomcast/sync"
)

// sumState is a fakeState that can hash itself: its checksum is its value.
type sumState struct{ fakeState }

func (s *sumState) Checksum() uint64 { return uint64(s.value) }

// sumGame is the counter game on a sumState.
type sumGame struct{ counterGame }

func (g *sumGame) OnCreate(r *Room, opts Options) error {
	st := &sumState{}
	g.st = &st.fakeState
	r.SetState(st)
	return nil
}

// Settings.ChecksumEvery: snapshots and the frames of every Nth tick carry
// the state's checksum after them (live, ack-only and replayed deltas
// alike); other frames, and states without Checksum, carry none.
func TestStateChecksums(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, err := NewServer(Config{Logger: discardLogger()})
		require.NoError(t, err)
		defer srv.Shutdown(t.Context())
		settings := Settings{TickRate: 10, ChecksumEvery: 2}
		require.NoError(t, srv.Define("sum", func() Game { return &sumGame{} }, settings))
		require.NoError(t, srv.Define("plain", func() Game { return &counterGame{} }, settings))

		a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
		a.mustJoin(EventJoinOrCreate, "sum", nil)
		seat := b.mustJoin(EventJoinOrCreate, "sum", nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr := b.conn.takeFrames()
		require.Len(t, fr, 1)
		require.Equal(t, EventSnapshot, fr[0].event)
		require.True(t, fr[0].hasSum, "every snapshot")
		require.Equal(t, uint64(0), fr[0].sum)
		a.conn.takeFrames()

		// One input per tick: each tick changes the value.
		for seq := range int64(6) {
			handle(a.sess, EventInput, []any{seq + 1, nil}, nil)
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		fr = b.conn.takeFrames()
		require.Len(t, fr, 6)
		for _, f := range fr {
			tick, value := parseState(t, f.state)
			require.Equal(t, f.tick, tick)
			assert.Equal(t, tick%2 == 0, f.hasSum, "tick %d", tick)
			if f.hasSum {
				assert.Equal(t, uint64(value), f.sum, "tick %d", tick)
			}
		}
		// An ack-only delta at an even tick carries the checksum too.
		a.conn.takeFrames()
		handle(a.sess, EventInput, []any{int64(7), map[string]any{"d": int64(0)}}, nil)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = a.conn.takeFrames()
		require.Len(t, fr, 1)
		assert.Equal(t, string(statesync.AppendEmptyDelta(nil, uint32(fr[0].tick), uint32(fr[0].tick-1))), fr[0].state, "ack-only")
		assert.Equal(t, fr[0].tick%2 == 0, fr[0].hasSum)
		if fr[0].hasSum {
			assert.Equal(t, uint64(6), fr[0].sum)
		}

		// b drops and resumes from its first frame: the replayed deltas
		// carry the checksums recorded at their ticks.
		first := fr[0].tick - 8
		b.drop()
		b2 := newClient(t, srv, "b2")
		b2.mustJoin(EventResume, map[string]any{"token": seat["token"], "tick": int64(first)})
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		fr = b2.conn.takeFrames()
		require.NotEmpty(t, fr)
		var replayed int
		for _, f := range fr {
			require.Equal(t, EventDelta, f.event)
			tick, value := parseState(t, f.state)
			if tick%2 == 0 {
				replayed++
				require.True(t, f.hasSum, "tick %d", tick)
				assert.Equal(t, uint64(value), f.sum)
			} else {
				assert.False(t, f.hasSum)
			}
		}
		assert.GreaterOrEqual(t, replayed, 2)

		// A state without Checksum: no checksums.
		c := newClient(t, srv, "c")
		c.mustJoin(EventJoinOrCreate, "plain", nil)
		for seq := range int64(3) {
			handle(c.sess, EventInput, []any{seq + 1, nil}, nil)
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		for _, f := range c.conn.takeFrames() {
			assert.False(t, f.hasSum)
		}
	})
}
