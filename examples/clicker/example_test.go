package clicker_test

import (
	"context"
	"fmt"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/rooms"
)

// Registering the clicker on a rooms server (cmd/clicker does it through
// package host; rooms/roomsio serves a rooms.Server over Socket.IO).
func ExampleSettings() {
	rs, _ := rooms.NewServer(rooms.Config{})
	defer rs.Shutdown(context.Background())
	settings := clicker.Settings()
	err := rs.Define(clicker.RoomType, clicker.NewGame, settings)
	fmt.Println(err, settings.TickRate, settings.MaxClients, settings.FilterBy)
	// Output: <nil> 10 8 [roundSeconds intermissionSeconds]
}

// How many clicks an input carries.
func ExampleClicks() {
	fmt.Println(clicker.Clicks(map[string]any{"n": int64(3)}), clicker.Clicks(map[string]any{}), clicker.Clicks(map[string]any{"n": int64(50)}))
	// Output: 3 1 0
}
