package sioecho_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/sioecho"
	"github.com/roomcast/roomcast/transport/socketio"
)

// With Config.SocketIO the demo's events live on the caller's Socket.IO
// server, and Shutdown leaves that server to its owner.
func TestSharedSocketIO(t *testing.T) {
	t.Parallel()
	sio, err := socketio.NewServer(socketio.Config{})
	require.NoError(t, err)
	demo, err := sioecho.New(sioecho.Config{SocketIO: sio})
	require.NoError(t, err)
	require.Same(t, sio, demo.SocketIO())
	mux := http.NewServeMux()
	mux.Handle(sioecho.SocketIOPath, sio) // the owner serves it
	mux.Handle(sioecho.EngineIOPath, demo)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	p := dial(t, ts.URL, sioecho.SocketIOPath)
	p.connect("/", "")
	p.recv() // "auth"
	p.emit(`27["echo",2.5]`)
	require.Equal(t, `2["echo",2.5]`, p.recv())
	require.Equal(t, `37[2.5]`, p.recv())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, demo.Shutdown(ctx))
	p.emit(`28["echo","still"]`)
	require.Equal(t, `2["echo","still"]`, p.recv(), "the shared server is still serving")
	require.Equal(t, `38["still"]`, p.recv())
	require.NoError(t, sio.Shutdown(ctx))
}
