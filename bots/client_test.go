package bots

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var allModes = []struct {
	name      string
	transport Transport
	parser    Parser
}{
	{"ws-msgpack", TransportWebSocket, ParserMsgpack},
	{"ws-default", TransportWebSocket, ParserDefault},
	{"polling-msgpack", TransportPolling, ParserMsgpack},
	{"polling-default", TransportPolling, ParserDefault},
	{"upgrade-msgpack", TransportPollingUpgrade, ParserMsgpack},
	{"upgrade-default", TransportPollingUpgrade, ParserDefault},
}

func TestClient_EmitAckEcho(t *testing.T) {
	for _, m := range allModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			url, cleanup := testServerURL(t)
			defer cleanup()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := New(Config{URL: url, Transport: m.transport, Parser: m.parser, Auth: map[string]any{"token": "ok"}})
			require.NoError(t, err)
			echo := make(chan []any, 1)
			c.On("echo", func(args []any, _ func(...any) error) { echo <- args })
			answered := make(chan []any, 1)
			c.On("answered", func(args []any, _ func(...any) error) { answered <- args })
			c.On("question", func(args []any, ack func(...any) error) {
				require.NotNil(t, ack)
				_ = ack("because", args[0])
			})
			require.NoError(t, c.Connect(ctx))
			defer c.Close()
			require.NotEmpty(t, c.ID())

			res, err := c.EmitWithAck(ctx, "sum", int64(1), "two", []byte{3, 4}, map[string]any{"x": 1.5})
			require.NoError(t, err)
			require.Equal(t, []any{int64(1), "two", []byte{3, 4}, map[string]any{"x": 1.5}}, res)

			require.NoError(t, c.Emit("echo", "hi", []byte{9}))
			select {
			case got := <-echo:
				require.Equal(t, []any{"hi", []byte{9}}, got)
			case <-ctx.Done():
				t.Fatal("no echo")
			}

			require.NoError(t, c.Emit("ask"))
			select {
			case got := <-answered:
				require.Equal(t, []any{"because", "why"}, got)
			case <-ctx.Done():
				t.Fatal("no answer")
			}
			if m.transport == TransportPollingUpgrade {
				require.Eventually(t, func() bool { return c.Transport() == "websocket" }, 30*time.Second, 10*time.Millisecond)
				// still works after the upgrade
				res, err := c.EmitWithAck(ctx, "again", "x")
				require.NoError(t, err)
				require.Equal(t, []any{"x"}, res)
			}
			// survives several heartbeats (server pings every 150 ms):
			// every pong is a frame out
			before := c.Stats().FramesOut
			require.Eventually(t, func() bool { return c.Stats().FramesOut >= before+4 }, 30*time.Second, 10*time.Millisecond)
			res, err = c.EmitWithAck(ctx, "later", int64(5))
			require.NoError(t, err)
			require.Equal(t, []any{int64(5)}, res)
			st := c.Stats()
			require.Positive(t, st.BytesIn)
			require.Positive(t, st.FramesOut)
		})
	}
}

func TestClient_ConnectRefused(t *testing.T) {
	for _, m := range allModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			url, cleanup := testServerURL(t)
			defer cleanup()
			_, err := Dial(context.Background(), Config{URL: url, Transport: m.transport, Parser: m.parser, Auth: map[string]any{"token": "bad"}})
			var ce *ConnectError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "not authorized", ce.Message)
		})
	}
}

func TestClient_ServerDisconnect(t *testing.T) {
	for _, m := range allModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			url, cleanup := testServerURL(t)
			defer cleanup()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, Config{URL: url, Transport: m.transport, Parser: m.parser})
			require.NoError(t, err)
			reasons := make(chan string, 1)
			c.OnDisconnect(func(reason string, _ error) { reasons <- reason })
			require.NoError(t, c.Emit("kick"))
			select {
			case r := <-reasons:
				require.Equal(t, ReasonServerDisconnect, r)
			case <-ctx.Done():
				t.Fatal("not disconnected")
			}
			<-c.Done()
			require.ErrorIs(t, c.Err(), ErrClosed)
			require.ErrorIs(t, c.Emit("x"), ErrClosed)
		})
	}
}

func TestClient_Close(t *testing.T) {
	url, cleanup := testServerURL(t)
	defer cleanup()
	c, err := Dial(context.Background(), Config{URL: url})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	<-c.Done()
	var de *DisconnectError
	require.True(t, errors.As(c.Err(), &de))
	require.Equal(t, ReasonClientDisconnect, de.Reason)
	_, err = c.EmitWithAck(context.Background(), "x")
	require.ErrorIs(t, err, ErrClosed)
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no url", Config{}},
		{"bad scheme", Config{URL: "ftp://x"}},
		{"bad transport", Config{URL: "http://x", Transport: 9}},
		{"bad parser", Config{URL: "http://x", Parser: 9}},
		{"bad nsp", Config{URL: "http://x", Namespace: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.cfg.Validate())
		})
	}
}
