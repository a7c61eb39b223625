package arena

import (
	"fmt"
	"testing"
	"time"

	"github.com/roomcast/roomcast/rooms"
)

// BenchmarkTick is one room tick of 8 moving players: simulation, state
// writes and the delta encoding (what the room goroutine does per tick
// besides fan-out).
func BenchmarkTick(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts rooms.Options
	}{
		{"bench", rooms.Options{OptionMode: ModeBench}},
		{"bench-quantized", rooms.Options{OptionMode: ModeBench, OptionQuantized: true}},
		{"bench-packed", rooms.Options{OptionMode: ModeBench, OptionPacked: true}},
		{"play", rooms.Options{OptionMode: ModePlay}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g := NewGame(Config{Seed: func() uint64 { return 5 }})
			enc, err := g.Setup(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := range MaxClients {
				id := fmt.Sprintf("player%02d", i)
				g.Join(id, fmt.Sprintf("bot%05d", i))
				g.Sim().SetInput(id, float64(i%3-1), float64(i/3%3-1))
			}
			buf := make([]byte, 0, 1024)
			var size int
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				if n%TickRate == 0 { // change direction about once a second
					for i, a := range g.Sim().Actors() {
						g.Sim().SetInput(a.ID, float64((n/TickRate+i)%3-1), float64((n/TickRate+2*i)%3-1))
					}
				}
				g.Step(time.Second / TickRate)
				out, _ := enc.EncodeDelta(buf[:0], uint32(n+1))
				size += len(out)
			}
			b.ReportMetric(float64(size)/float64(b.N), "delta-bytes/tick")
		})
	}
}
