// Package clickertest serves the clicker room type (examples/clicker) and
// its page over the real transport stack on an httptest server, for tests
// that need a live clicker server in-process (the clicker's bot test, the
// bot swarm's clicker scenario).
package clickertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Server starts socketio + rooms + the clicker (clicker.Settings) on
// 127.0.0.1, with the page at "/", and returns its base URL; everything is
// shut down when the test ends.
func Server(t testing.TB) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sio, err := socketio.NewServer(socketio.Config{Logger: log})
	require.NoError(t, err)
	rs, err := rooms.NewServer(rooms.Config{Logger: log})
	require.NoError(t, err)
	require.NoError(t, rs.Define(clicker.RoomType, clicker.NewGame, clicker.Settings()))
	roomsio.Attach(rs, sio.Of("/"))
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio)
	mux.Handle("/", http.FileServerFS(clicker.Web()))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = rs.Shutdown(ctx)
		_ = sio.Shutdown(ctx)
		hs.Close()
	})
	return hs.URL
}
