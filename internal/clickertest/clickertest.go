// Package clickertest serves the clicker room type (examples/clicker) and
// its page over the real transport stack on an httptest server, for tests
// that need a live clicker server in-process (the clicker's bot test, the
// bot swarm's clicker scenario).
package clickertest

import (
	"testing"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
)

// Server starts socketio + rooms + the clicker (clicker.Settings) on
// 127.0.0.1, with the page at "/", and returns its base URL; everything is
// shut down when the test ends.
func Server(t testing.TB) string {
	t.Helper()
	return roomstest.Serve(t, func(rs *rooms.Server) error {
		return rs.Define(clicker.RoomType, clicker.NewGame, clicker.Settings())
	}, clicker.Web())
}
