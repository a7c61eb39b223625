package roomstest

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Serve starts socketio + rooms with the room types define registers (and
// page at "/" when not nil) on 127.0.0.1 and returns its base URL;
// everything is shut down when the test ends.
func Serve(t testing.TB, define func(*rooms.Server) error, page fs.FS) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sio, err := socketio.NewServer(socketio.Config{Logger: log})
	require.NoError(t, err)
	rs, err := rooms.NewServer(rooms.Config{Logger: log})
	require.NoError(t, err)
	require.NoError(t, define(rs))
	roomsio.Attach(rs, sio.Of("/"))
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio)
	if page != nil {
		mux.Handle("/", http.FileServerFS(page))
	}
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
