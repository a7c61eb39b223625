package bigworld_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/bigworld"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

type lockedMirror struct {
	mu sync.Mutex
	m  *statesync.Mirror
}

func (l *lockedMirror) ApplySnapshot(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.ApplySnapshot(b)
}

func (l *lockedMirror) ApplyDelta(b []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.ApplyDelta(b)
}

type seen struct{ x, y float64 }

// players returns what the mirror holds: name -> position.
func (l *lockedMirror) tick() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Tick()
}

func (l *lockedMirror) players() map[string]seen {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]seen{}
	if !l.m.Valid() {
		return out
	}
	l.m.Root().Map(0).Range(func(_, v any) bool {
		n := v.(*statesync.Node)
		out[n.Str(4)] = seen{n.Float(0), n.Float(1)}
		return true
	})
	return out
}

// 48 players in one room, each moving a little then stopping: every client
// sees itself, only players within its 3×3 cells (never farther than two
// cells plus the hysteresis on an axis), and every player close enough to
// be in those cells whatever the hysteresis did.
func TestEndToEndEachClientSeesItsNeighbourhood(t *testing.T) {
	url := roomstest.Serve(t, func(rs *rooms.Server) error {
		return rs.Define(bigworld.RoomType, bigworld.NewGame, bigworld.Settings())
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const n = 48
	games := make([]*bots.Game, n)
	mirrors := make([]*lockedMirror, n)
	for i := range n {
		mirrors[i] = &lockedMirror{m: statesync.NewMirror(statesync.MirrorLimits{})}
		g, err := bots.NewGame(bots.GameConfig{
			Client: bots.Config{URL: url, Transport: bots.TransportWebSocket, Parser: bots.ParserMsgpack},
			Mirror: mirrors[i],
		})
		require.NoError(t, err)
		require.NoError(t, g.Connect(ctx))
		t.Cleanup(func() { _ = g.Close() })
		_, err = g.JoinOrCreate(ctx, bigworld.RoomType, map[string]any{"name": fmt.Sprint("p", i)})
		require.NoError(t, err)
		games[i] = g
	}
	// Each walks for 5 ticks (30 units, less at a wall) once its input is
	// acknowledged.
	walk := make([]uint64, n)
	for i, g := range games {
		var err error
		walk[i], err = g.SendInput(map[string]any{"dx": math.Cos(float64(i)), "dy": math.Sin(float64(i))})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		for i, g := range games {
			if g.Stats().LastAck < walk[i] {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "walks acked")
	walked := mirrors[0].tick() + 5
	require.Eventually(t, func() bool { return mirrors[0].tick() >= walked }, 10*time.Second, 10*time.Millisecond, "5 ticks of walking")
	var last uint64
	for _, g := range games {
		var err error
		last, err = g.SendInput(map[string]any{"dx": 0, "dy": 0})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		for _, g := range games {
			if g.Stats().LastAck != last {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "stops acked")

	far := 2*bigworld.CellSize + 2*bigworld.Hysteresis
	near := bigworld.CellSize - 2*bigworld.Hysteresis
	check := func() error {
		// Every client's own position, from its own mirror.
		me := make([]seen, n)
		views := make([]map[string]seen, n)
		for i := range n {
			views[i] = mirrors[i].players()
			p, ok := views[i][fmt.Sprint("p", i)]
			if !ok {
				return fmt.Errorf("p%d does not see itself", i)
			}
			me[i] = p
		}
		smaller := 0
		for i := range n {
			if len(views[i]) < n {
				smaller++
			}
			for name, p := range views[i] {
				if math.Abs(p.x-me[i].x) > far || math.Abs(p.y-me[i].y) > far {
					return fmt.Errorf("p%d sees %s at %v, too far from %v", i, name, p, me[i])
				}
			}
			for j := range n {
				if math.Abs(me[j].x-me[i].x) < near && math.Abs(me[j].y-me[i].y) < near {
					if _, ok := views[i][fmt.Sprint("p", j)]; !ok {
						return fmt.Errorf("p%d at %v does not see p%d at %v", i, me[i], j, me[j])
					}
				}
			}
		}
		if smaller == 0 {
			return fmt.Errorf("every client sees all %d players", n)
		}
		return nil
	}
	// Frames may still be arriving: the views settle.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assert.NoError(c, check()) }, 10*time.Second, 20*time.Millisecond)
	for _, g := range games {
		require.Zero(t, g.Stats().MirrorErrors)
	}
}
