package roomsio_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// dx is a typed input: {dx: number}.
type dx float64

func decodeDX(r rooms.ValueReader) (any, error) {
	n, err := r.ReadMapHeader()
	if err != nil {
		return nil, err
	}
	var v dx
	for range n {
		k, err := r.ReadStringBytes()
		if err != nil {
			return nil, err
		}
		if string(k) == "dx" {
			f, err := r.ReadFloat64()
			if err != nil {
				return nil, err
			}
			v = dx(f)
			continue
		}
		if err := r.Skip(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// typedGame records the inputs it gets.
type typedGame struct {
	rooms.NopGame
	mu     *sync.Mutex
	inputs *[]rooms.Input
}

func (g *typedGame) OnInput(_ *rooms.Room, _ *rooms.Client, in rooms.Input) {
	g.mu.Lock()
	*g.inputs = append(*g.inputs, in)
	g.mu.Unlock()
}

// A room type with Settings.Input gets its inputs as its own type over
// both parsers (msgpack: decoded from the raw argument bytes; default:
// from the generic value); malformed payloads are dropped before the game.
func TestEndToEndTypedInput(t *testing.T) {
	for _, p := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var inputs []rooms.Input
			sio, err := socketio.NewServer(socketio.Config{Logger: discardLogger()})
			require.NoError(t, err)
			rs, err := rooms.NewServer(rooms.Config{Logger: discardLogger()})
			require.NoError(t, err)
			require.NoError(t, rs.Define("typed", func() rooms.Game { return &typedGame{mu: &mu, inputs: &inputs} },
				rooms.Settings{TickRate: 30, Input: decodeDX}))
			roomsio.Attach(rs, sio.Of("/"))
			url := serve(t, rs, sio)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := bots.New(bots.Config{URL: url, Transport: bots.TransportWebSocket, Parser: p})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			require.NoError(t, c.Connect(ctx))
			res, err := c.EmitWithAck(ctx, roomsio.EventJoinOrCreate, "typed", nil)
			require.NoError(t, err)
			require.Equal(t, true, res[0].(map[string]any)["ok"], "%v", res)

			require.NoError(t, c.Emit(roomsio.EventInput, 1, map[string]any{"dx": 1.5, "other": []any{1, "x"}}))
			require.NoError(t, c.Emit(roomsio.EventInput, 2, "not an object"))        // dropped by the decoder
			require.NoError(t, c.Emit(roomsio.EventInput, "three", map[string]any{})) // bad seq
			require.NoError(t, c.Emit(roomsio.EventInput, 4, map[string]any{"dx": 2}))
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(inputs) == 2
			}, 30*time.Second, 5*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []rooms.Input{{Seq: 1, Payload: dx(1.5)}, {Seq: 4, Payload: dx(2)}}, inputs)
			assert.Equal(t, uint64(2), rs.Stats().InputsDropped)
		})
	}
}

// serve serves sio over HTTP until the test ends.
func serve(t *testing.T, rs *rooms.Server, sio *socketio.Server) string {
	t.Helper()
	hs := httptest.NewServer(sio)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, rs.Shutdown(ctx))
		_ = sio.Shutdown(ctx)
		hs.Close()
	})
	return hs.URL
}
