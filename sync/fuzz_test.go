package statesync

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzLimits keep each fuzz run small.
var fuzzLimits = MirrorLimits{MaxEntities: 4096, MaxContainerLen: 4096, MaxStringLen: 4096}

func isMirrorError(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrOutOfOrder) || errors.Is(err, ErrNoSnapshot)
}

// FuzzMirrorApply applies an arbitrary snapshot and then an arbitrary delta:
// the mirror must return errors (never panic), stay usable, and allocate at
// most a constant factor times the input size.
func FuzzMirrorApply(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, snap, delta []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := NewMirror(fuzzLimits)
		if err := m.ApplySnapshot(snap); err != nil {
			if !isMirrorError(err) {
				t.Fatalf("snapshot error %v wraps no sentinel", err)
			}
			if m.Valid() {
				t.Fatal("mirror valid after a failed first snapshot")
			}
			if err := m.ApplyDelta(delta); !errors.Is(err, ErrNoSnapshot) {
				t.Fatalf("delta without snapshot: %v", err)
			}
			return
		}
		sum := m.Checksum()
		_ = m.Value()
		err := m.ApplyDelta(delta)
		switch {
		case err == nil:
			_ = m.Checksum()
			_ = m.Value()
			if len(delta) == 0 {
				if m.Checksum() != sum {
					t.Fatal("empty delta changed the state")
				}
				break
			}
			if err := m.ApplyDelta(delta); !errors.Is(err, ErrOutOfOrder) {
				t.Fatalf("same delta twice: %v", err)
			}
		case errors.Is(err, ErrOutOfOrder):
			if m.Checksum() != sum {
				t.Fatal("out-of-order delta changed the state")
			}
		case !isMirrorError(err):
			t.Fatalf("delta error %v wraps no sentinel", err)
		}
		runtime.ReadMemStats(&after)
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(512*(len(snap)+len(delta))+256<<10); got > limit {
			t.Fatalf("allocated %d bytes for %d input bytes", got, len(snap)+len(delta))
		}
	})
}

// FuzzDeltaTick: the header peek never panics and agrees with the mirror's
// reading of tick and gap.
func FuzzDeltaTick(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s[1])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tick, base, err := DeltaTick(b)
		if err != nil {
			if !isMirrorError(err) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if base >= tick {
			t.Fatalf("base %d >= tick %d", base, tick)
		}
		_, _ = SnapshotTick(b)
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// fuzzSeeds returns (snapshot, delta) pairs: real traffic from the golden
// examples, the arena benchmark state and random scripts, and hand-made
// malformed inputs.
func fuzzSeeds(tb testing.TB) [][2][]byte {
	var seeds [][2][]byte
	// Golden examples.
	g := goldenSeedTraffic(tb)
	for i := 1; i < len(g); i++ {
		seeds = append(seeds, [2][]byte{g[0], g[i]})
	}
	// Random scripts over the full test schema.
	for seed := range uint64(4) {
		snap, deltas := scriptTraffic(tb, seed, 12)
		for _, d := range deltas {
			seeds = append(seeds, [2][]byte{snap, d})
		}
	}
	snap := g[0]
	bad := []string{
		"",                           // empty
		"c0",                         // nil
		"dd ffffffff",                // array of 4 G elements in 5 bytes
		"9300",                       // truncated
		"920b01",                     // delta with no tokens, gap 1
		"930b01ff",                   // mask, then nothing
		"940b0101ca",                 // patch without mask
		"940b01ff05",                 // patch of unknown entity
		"930b0bc0",                   // nil token
		"930b0c91",                   // op with one element
		"940b01ff00",                 // patch of root, value missing
		"950b01ff00ca3f800000",       // round (u16) sent as float32
		"930b0194000161a1c0",         // delete with int key in a string map
		"930b01940001a17ac0",         // delete of a missing key
		"930b0196000205000000",       // splice beyond the array
		"950b01d3800000000000000000", // mask MinInt64
		"930b01950001a17a9f",         // entity with 15 elements claimed
		"920000",                     // gap 0
	}
	for _, h := range bad {
		seeds = append(seeds, [2][]byte{snap, mustHex(spaceless(h))})
	}
	badSnaps := []string{
		"930792", // schema truncated
		"9307dcffff",
		"93079192a1549192a166a3626164", // unknown kind "bad"
		"930791 92a154 91 93a172a3726566 05 9100",                   // ref to type 5 of 1
		"930791 92a154 91 93a172a3726566 00 920000",                 // ref to own type: fine, then nil
		"930791 92a154 91 93a172a3726566 00 9200 9201 9202 9203 c0", // nested refs
	}
	for _, h := range badSnaps {
		seeds = append(seeds, [2][]byte{mustHex(spaceless(h)), mustHex("950808ff01ca40000000")})
	}
	return seeds
}

func spaceless(s string) string {
	out := make([]byte, 0, len(s))
	for i := range len(s) {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// goldenSeedTraffic returns the golden snapshot followed by its deltas.
func goldenSeedTraffic(tb testing.TB) [][]byte {
	var out [][]byte
	for _, ex := range goldenExamplesTB(tb) {
		out = append(out, mustHex(ex.hex))
	}
	return out
}

// scriptTraffic runs a random mutation script and returns the first
// snapshot and every delta.
func scriptTraffic(tb testing.TB, seed uint64, ticks int) ([]byte, [][]byte) {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &world{root: &tRoot{}, rng: rng}
	enc, err := NewEncoder(w.root, EncoderOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	for range 5 {
		w.mutate()
	}
	enc.EncodeDelta(nil, 1)
	snap := enc.EncodeSnapshot(nil, 1)
	var deltas [][]byte
	for tick := uint32(2); tick < uint32(ticks); tick++ {
		for range 4 {
			w.mutate()
		}
		if d, ok := enc.EncodeDelta(nil, tick); ok {
			deltas = append(deltas, d)
		}
	}
	return snap, deltas
}

// TestFuzzSeedsCommitted checks that the committed corpus in testdata/fuzz
// is what fuzzSeeds generates from the current encoder, so the fuzzers
// start from today's wire format; with STATESYNC_WRITE_SEEDS=1 it rewrites
// the corpus instead.
func TestFuzzSeedsCommitted(t *testing.T) {
	write := os.Getenv("STATESYNC_WRITE_SEEDS") == "1"
	seeds := fuzzSeeds(t)
	for _, name := range []string{"FuzzMirrorApply", "FuzzDeltaTick"} {
		dir := filepath.Join("testdata", "fuzz", name)
		if write {
			require.NoError(t, os.RemoveAll(dir))
			require.NoError(t, os.MkdirAll(dir, 0o755))
		}
		for i, s := range seeds {
			var body string
			if name == "FuzzMirrorApply" {
				body = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", s[0], s[1])
			} else {
				body = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s[1])
			}
			file := filepath.Join(dir, fmt.Sprintf("seed-%03d", i))
			if write {
				require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
				continue
			}
			got, err := os.ReadFile(file)
			require.NoError(t, err, "missing seed: run STATESYNC_WRITE_SEEDS=1 go test ./sync -run TestFuzzSeedsCommitted")
			require.Equal(t, body, string(got), "%s is stale: run STATESYNC_WRITE_SEEDS=1 go test ./sync -run TestFuzzSeedsCommitted", file)
		}
	}
}

// FuzzScript drives the encoder with random mutation scripts and checks
// every delta against the mirror (the property test, with fuzzed seeds).
func FuzzScript(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed, uint8(20))
	}
	f.Fuzz(func(t *testing.T, seed uint64, ticks uint8) {
		runScript(t, seed, int(ticks%40))
	})
}
