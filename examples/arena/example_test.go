package arena_test

import (
	"context"
	"fmt"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
)

// The simulation alone: one second of a diagonal move is normalised to
// 100 units.
func ExampleSim() {
	s := arena.NewSim(arena.ModeBench, 1, 0)
	a := s.Join("s1", "ada")
	a.X, a.Y = 100, 100
	s.SetInput("s1", 1, 1)
	for range arena.TickRate {
		s.Step(1.0 / arena.TickRate)
	}
	fmt.Printf("%s at %.2f, %.2f\n", a.Name, a.X, a.Y)
	// Output: ada at 170.71, 170.71
}

// Registering the arena on a rooms server (serve it with rooms/roomsio).
func ExampleDefine() {
	rs, _ := rooms.NewServer(rooms.Config{})
	defer rs.Shutdown(context.Background())
	settings := arena.Settings()
	err := arena.Define(rs, arena.RoomType, arena.Config{Mode: arena.ModeBench, Quantized: true}, settings)
	fmt.Println(err, settings.MaxClients, settings.TickRate, settings.FilterBy)
	// Output: <nil> 8 20 [mode quantized packed]
}
