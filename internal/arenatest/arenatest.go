// Package arenatest serves the arena v1 room type (examples/arena, bench
// mode) over the real transport stack on an httptest server, for the tests
// of the Go client, the swarm and anything else that needs a live game
// server in-process.
package arenatest

import (
	"testing"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
)

// Server starts socketio + rooms + the arena (bench mode) on 127.0.0.1 and
// returns its base URL; everything is shut down when the test ends.
func Server(t testing.TB) string {
	t.Helper()
	return roomstest.Serve(t, func(rs *rooms.Server) error {
		return arena.Define(rs, arena.RoomType, arena.Config{Mode: arena.ModeBench}, arena.Settings())
	}, nil)
}
