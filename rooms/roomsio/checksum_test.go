package roomsio_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
)

// checkedFrame is one state frame as a client decoded it.
type checkedFrame struct {
	event    string
	tick     uint32 // the mirror's tick after applying it
	args     int    // argument count
	checksum string // the third argument ("" if none)
	mirror   string // the mirror's checksum after applying it
}

// With Settings.ChecksumEvery = 3, over both parsers: every snapshot and
// every frame at a tick divisible by 3 carries a third argument, the
// state checksum as 16 lowercase hex digits, equal to a statesync Mirror's
// checksum after applying the frame; other frames keep two arguments.
func TestEndToEndStateChecksum(t *testing.T) {
	for _, p := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			t.Parallel()
			_, url := startServer(t, rooms.Settings{TickRate: 30, ChecksumEvery: 3})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := bots.New(bots.Config{URL: url, Transport: bots.TransportWebSocket, Parser: p})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })

			var (
				mu     sync.Mutex
				mirror = statesync.NewMirror(statesync.MirrorLimits{})
				frames []checkedFrame
				errs   []error
			)
			onState := func(event string) bots.Handler {
				return func(args []any, _ func(...any) error) {
					mu.Lock()
					defer mu.Unlock()
					state, _ := args[0].([]byte)
					var err error
					if event == rooms.EventSnapshot {
						err = mirror.ApplySnapshot(state)
					} else {
						err = mirror.ApplyDelta(state)
					}
					if err != nil {
						errs = append(errs, err)
						return
					}
					f := checkedFrame{event: event, tick: mirror.Tick(), args: len(args),
						mirror: roomsio.ChecksumHex(mirror.Checksum())}
					if len(args) > 2 {
						f.checksum, _ = args[2].(string)
					}
					frames = append(frames, f)
				}
			}
			c.On(rooms.EventSnapshot, onState(rooms.EventSnapshot))
			c.On(rooms.EventDelta, onState(rooms.EventDelta))
			require.NoError(t, c.Connect(ctx))
			res, err := c.EmitWithAck(ctx, roomsio.EventJoinOrCreate, "move", map[string]any{"name": "ada"})
			require.NoError(t, err)
			require.Equal(t, true, res[0].(map[string]any)["ok"], "%v", res)

			checked := func() int {
				mu.Lock()
				defer mu.Unlock()
				n := 0
				for _, f := range frames {
					if f.checksum != "" && f.event == rooms.EventDelta {
						n++
					}
				}
				return n
			}
			for seq := 1; checked() < 4; seq++ {
				require.NoError(t, c.Emit(roomsio.EventInput, seq, map[string]any{"dx": 0.5 * float64(seq%3)}))
				select {
				case <-ctx.Done():
					t.Fatal("too few checksummed deltas")
				case <-time.After(10 * time.Millisecond):
				}
			}
			mu.Lock()
			defer mu.Unlock()
			require.Empty(t, errs)
			require.Equal(t, rooms.EventSnapshot, frames[0].event)
			for _, f := range frames {
				if f.event == rooms.EventSnapshot || f.tick%3 == 0 {
					require.Equal(t, 3, f.args, "%+v", f)
					assert.Len(t, f.checksum, 16)
					assert.Equal(t, f.mirror, f.checksum, "tick %d", f.tick)
				} else {
					assert.Equal(t, 2, f.args, "%+v", f)
				}
			}
		})
	}
}

func TestChecksumHex(t *testing.T) {
	assert.Equal(t, "0000000000000000", roomsio.ChecksumHex(0))
	assert.Equal(t, "00000000deadbeef", roomsio.ChecksumHex(0xdeadbeef))
	assert.Equal(t, "ffffffffffffffff", roomsio.ChecksumHex(^uint64(0)))
}
