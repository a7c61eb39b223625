package arena

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzSim drives a play arena with arbitrary joins, leaves, inputs (any
// float64 bits, NaN and infinities included) and steps, and checks the
// invariants every tick: positions inside the arena, hp in 1..MaxHP after
// respawns, scores never decreasing, pickups inside the arena, input
// queues bounded, and the acknowledgement (Actor.Applied) never falling and
// below every queued seq (queued seqs increasing).
func FuzzSim(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x00a\x00b\x02a\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\xf0\xbf\x03\x03\x03\x03"))
	f.Add([]byte("\x00a\x02a\x00\x00\x00\x00\x00\x00\xf8\x7f\x00\x00\x00\x00\x00\x00\xf0\x7f\x03\x01a\x03"))
	f.Fuzz(func(t *testing.T, script []byte) {
		s := NewSim(ModePlay, uint64(len(script)), DefaultPickups)
		scores := map[string]int{}
		applied := map[string]uint64{}
		var seq uint64
		ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		for len(script) > 0 {
			op := script[0] % 4
			script = script[1:]
			id := ids[0]
			if len(script) > 0 {
				id = ids[int(script[0])%len(ids)]
				script = script[1:]
			}
			switch op {
			case 0:
				s.Join(id, id)
			case 1:
				s.Leave(id)
				delete(scores, id)
				delete(applied, id)
			case 2:
				var dx, dy float64
				if len(script) >= 16 {
					dx = math.Float64frombits(binary.LittleEndian.Uint64(script))
					dy = math.Float64frombits(binary.LittleEndian.Uint64(script[8:]))
					script = script[16:]
				}
				seq++
				s.SetInputSeq(id, seq, dx, dy)
			case 3:
				s.Step(1.0 / TickRate)
				for _, a := range s.Actors() {
					if !(a.X >= 0 && a.X <= Size && a.Y >= 0 && a.Y <= Size) {
						t.Fatalf("%s at %v,%v outside the arena", a.ID, a.X, a.Y)
					}
					if a.HP < 1 || a.HP > MaxHP {
						t.Fatalf("%s has hp %d", a.ID, a.HP)
					}
					if a.Score < scores[a.ID] {
						t.Fatalf("%s score fell from %d to %d", a.ID, scores[a.ID], a.Score)
					}
					scores[a.ID] = a.Score
					if a.DX != -1 && a.DX != 0 && a.DX != 1 || a.DY != -1 && a.DY != 0 && a.DY != 1 {
						t.Fatalf("%s input %v,%v not snapped", a.ID, a.DX, a.DY)
					}
					if len(a.Queued()) >= MaxQueued {
						t.Fatalf("%s has %d inputs queued after a step", a.ID, len(a.Queued()))
					}
					if a.Applied < applied[a.ID] || a.Applied > seq {
						t.Fatalf("%s applied %d after %d (last seq %d)", a.ID, a.Applied, applied[a.ID], seq)
					}
					applied[a.ID] = a.Applied
					if len(a.QueuedSeqs()) != len(a.Queued()) {
						t.Fatalf("%s has %d queued seqs for %d inputs", a.ID, len(a.QueuedSeqs()), len(a.Queued()))
					}
					last := a.Applied
					for _, q := range a.QueuedSeqs() {
						if q <= last {
							t.Fatalf("%s queued seqs %v, applied %d", a.ID, a.QueuedSeqs(), a.Applied)
						}
						last = q
					}
				}
				for _, p := range s.Pickups() {
					if !(p.X >= 0 && p.X <= Size && p.Y >= 0 && p.Y <= Size) {
						t.Fatalf("pickup %d at %v,%v", p.ID, p.X, p.Y)
					}
				}
			}
		}
	})
}
