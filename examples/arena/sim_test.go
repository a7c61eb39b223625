package arena

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

const dt = 1.0 / TickRate

// place puts a at (x, y) with no input.
func place(a *Actor, x, y float64) { a.X, a.Y, a.DX, a.DY = x, y, 0, 0 }

func TestAxis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want float64 }{
		{1, 1}, {-1, -1}, {0, 0}, {0.49, 0}, {0.5, 1}, {-0.5, -1}, {7, 1}, {-1e9, -1},
		{math.NaN(), 0}, {math.Inf(1), 1}, {math.Inf(-1), -1},
	} {
		require.Equal(t, tc.want, Axis(tc.in), "Axis(%v)", tc.in)
	}
}

func TestMovement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		dx, dy         float64
		wantDX, wantDY float64 // per second
	}{
		{"still", 0, 0, 0, 0},
		{"right", 1, 0, Speed, 0},
		{"up", 0, -1, 0, -Speed},
		{"diagonal is normalised", 1, 1, Speed / math.Sqrt2, Speed / math.Sqrt2},
		{"diagonal back", -1, -1, -Speed / math.Sqrt2, -Speed / math.Sqrt2},
		{"inputs snap to ±1", 0.7, -3, Speed / math.Sqrt2, -Speed / math.Sqrt2},
	}
	for _, mode := range []string{ModePlay, ModeBench} {
		for _, tc := range tests {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				s := NewSim(mode, 1, 0)
				a := s.Join("a", "ada")
				place(a, 500, 500)
				s.SetInput("a", tc.dx, tc.dy)
				for range TickRate { // one second
					s.Step(dt)
				}
				require.InDelta(t, 500+tc.wantDX, a.X, 1e-9)
				require.InDelta(t, 500+tc.wantDY, a.Y, 1e-9)
				require.InDelta(t, math.Hypot(tc.wantDX, tc.wantDY), math.Hypot(a.X-500, a.Y-500), 1e-9)
			})
		}
	}
}

func TestClamping(t *testing.T) {
	t.Parallel()
	s := NewSim(ModeBench, 1, 0)
	a := s.Join("a", "ada")
	place(a, 3, 990)
	s.SetInput("a", -1, 1)
	s.Step(dt)
	require.Equal(t, 0.0, a.X)
	require.Equal(t, 990+Speed*dt/math.Sqrt2, a.Y)
	for range 10 {
		s.Step(dt)
	}
	require.Equal(t, 0.0, a.X)
	require.Equal(t, Size, a.Y)
	s.SetInput("a", 1, -1)
	place(a, Size, 0)
	s.SetInput("a", 1, -1)
	s.Step(dt)
	require.Equal(t, Size, a.X)
	require.Equal(t, 0.0, a.Y)
}

func TestJoinSpawnsInsideWithFullHP(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 42, DefaultPickups)
	for i := range 100 {
		a := s.Join(string(rune('A'+i%26))+string(rune('a'+i/26)), "")
		require.Equal(t, MaxHP, a.HP)
		require.Equal(t, DefaultName, a.Name)
		require.True(t, a.X >= PlayerRadius && a.X <= Size-PlayerRadius && a.Y >= PlayerRadius && a.Y <= Size-PlayerRadius, "spawn %v,%v", a.X, a.Y)
	}
	require.Len(t, s.Pickups(), DefaultPickups)
	require.Same(t, s.Actor("Aa"), s.Join("Aa", "again"), "joining twice returns the same actor")
	s.Leave("Aa")
	require.Nil(t, s.Actor("Aa"))
	require.Len(t, s.Actors(), 99)
	s.Leave("nobody")
}

func TestCleanName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "ada", CleanName("  ada "))
	require.Equal(t, DefaultName, CleanName(""))
	require.Equal(t, DefaultName, CleanName("\xff\xfe"))
	require.Equal(t, "ééééééééééééééé€", CleanName("ééééééééééééééé€€€€"))
}

func TestDeterministicForSeed(t *testing.T) {
	t.Parallel()
	run := func() []float64 {
		s := NewSim(ModePlay, 7, DefaultPickups)
		var out []float64
		for _, id := range []string{"a", "b", "c"} {
			a := s.Join(id, id)
			out = append(out, a.X, a.Y)
		}
		for _, p := range s.Pickups() {
			out = append(out, p.X, p.Y)
		}
		return out
	}
	require.Equal(t, run(), run())
}

func TestPickupRaisesScore(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 3, 1)
	a := s.Join("a", "ada")
	p := s.Pickups()[0]
	place(a, p.X-(PlayerRadius+PickupRadius)-Speed*dt/2, p.Y)
	px, py := p.X, p.Y
	ev := s.Step(dt)
	require.Empty(t, ev.Pickups, "not yet in reach")
	require.Equal(t, 0, a.Score)

	s.SetInput("a", 1, 0)
	ev = s.Step(dt)
	require.Equal(t, []PickupEvent{{Actor: "a", Pickup: p.ID}}, ev.Pickups)
	require.Equal(t, 1, a.Score)
	require.False(t, p.X == px && p.Y == py, "the pickup moved away")
	require.True(t, p.X >= PickupRadius && p.X <= Size-PickupRadius)

	// The score saturates at the uint16 maximum.
	a.Score = math.MaxUint16
	place(a, p.X, p.Y)
	s.Step(dt)
	require.Equal(t, math.MaxUint16, a.Score)
}

func TestBenchModeHasNoGameplay(t *testing.T) {
	t.Parallel()
	s := NewSim(ModeBench, 3, DefaultPickups)
	require.Empty(t, s.Pickups())
	a, b := s.Join("a", "a"), s.Join("b", "b")
	place(a, 100, 100)
	place(b, 100, 100)
	ev := s.Step(dt)
	require.Empty(t, ev.Collisions)
	require.Equal(t, MaxHP, a.HP)
	require.Equal(t, MaxHP, b.HP)
	require.Equal(t, 100.0, a.X)
}

func TestCollisionCostsHPAndPushesApart(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 3, 0)
	a, b := s.Join("a", "a"), s.Join("b", "b")
	place(a, 400, 400)
	place(b, 420, 400) // 20 apart < 32
	ev := s.Step(dt)
	require.Equal(t, [][2]string{{"a", "b"}}, ev.Collisions)
	require.Equal(t, MaxHP-CollisionHP, a.HP)
	require.Equal(t, MaxHP-CollisionHP, b.HP)
	require.InDelta(t, 2*PlayerRadius, b.X-a.X, 1e-9, "pushed apart")
	require.Equal(t, 394.0, a.X)
	require.Equal(t, 426.0, b.X)

	// Still touching while shielded: no more hp lost.
	place(b, a.X+10, a.Y)
	ev = s.Step(dt)
	require.Len(t, ev.Collisions, 1)
	require.Equal(t, MaxHP-CollisionHP, a.HP)

	// After the cooldown they lose hp again.
	for range int(HitCooldown * TickRate) {
		s.Step(dt)
	}
	place(a, 400, 400)
	place(b, 400, 400) // same spot: pushed apart along x
	s.Step(dt)
	require.Equal(t, MaxHP-2*CollisionHP, a.HP)
	require.Equal(t, 384.0, a.X)
	require.Equal(t, 416.0, b.X)
}

func TestRespawnAtZeroHP(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 3, 0)
	a, b := s.Join("a", "a"), s.Join("b", "b")
	a.Score = 7
	a.HP = CollisionHP // one more hit and a is out
	b.HP = MaxHP
	place(a, 400, 400)
	place(b, 410, 400)
	ev := s.Step(dt)
	require.Equal(t, []string{"a"}, ev.Respawns)
	require.Equal(t, MaxHP, a.HP, "respawned with full hp")
	require.Equal(t, 7, a.Score, "score kept")
	require.Equal(t, 1, a.Deaths)
	require.Equal(t, RespawnShield, a.Shield)
	require.Equal(t, MaxHP-CollisionHP, b.HP)

	// Shielded after respawn.
	place(b, a.X, a.Y)
	s.Step(dt)
	require.Equal(t, MaxHP, a.HP)
}

// The rooms.Game adapter writes the simulation into replicated state that
// a statesync mirror rebuilds, in each mode.
func TestGameState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  rooms.Options
		pick  bool
		quant bool
		pack  bool
	}{
		{"play", nil, true, false, false},
		{"bench", rooms.Options{OptionMode: ModeBench}, false, false, false},
		{"play quantized", rooms.Options{OptionQuantized: true}, true, true, false},
		{"bench quantized", rooms.Options{OptionMode: ModeBench, OptionQuantized: true}, false, true, false},
		{"play packed", rooms.Options{OptionPacked: true}, true, false, true},
		{"bench packed", rooms.Options{OptionMode: ModeBench, OptionPacked: true, OptionQuantized: false}, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewGame(Config{Seed: func() uint64 { return 9 }})
			enc, err := g.Setup(tc.opts)
			require.NoError(t, err)
			m := statesync.NewMirror(statesync.MirrorLimits{})
			require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))

			g.Join("s1", "ada")
			g.Join("s2", "bob")
			a := g.Sim().Actor("s1")
			place(a, 100.5, 200.25)
			g.Sim().SetInput("s1", 1, 0)
			g.Step(50 * time.Millisecond)
			d, changed := enc.EncodeDelta(nil, 1)
			require.True(t, changed)
			require.NoError(t, m.ApplyDelta(d))
			require.Equal(t, enc.Checksum(), m.Checksum())

			v := m.Value()
			players := v["players"].(map[string]any)
			require.Len(t, players, 2)
			p := players["s1"].(map[string]any)
			require.Equal(t, "ada", p["name"])
			require.EqualValues(t, MaxHP, p["hp"])
			require.EqualValues(t, 0, p["score"])
			switch {
			case tc.pack:
				require.Equal(t, [2]float64{105.5, 200.25}, p["pos"])
				require.NotContains(t, p, "x")
			case tc.quant:
				require.Equal(t, 105.5, p["x"])
				require.Equal(t, 200.25, p["y"])
			default:
				require.Equal(t, float32(105.5), p["x"])
				require.Equal(t, float32(200.25), p["y"])
			}
			_, hasPickups := v["pickups"]
			require.Equal(t, tc.pick, hasPickups)
			if tc.pick {
				require.Len(t, v["pickups"], DefaultPickups)
			}

			// No input, no change: no delta (in play mode nothing moves
			// without players touching anything).
			g.Sim().SetInput("s1", 0, 0)
			place(g.Sim().Actor("s2"), 900, 900)
			place(a, 50, 50)
			for _, pk := range g.Sim().Pickups() {
				pk.X, pk.Y = 500, 500
			}
			g.Step(50 * time.Millisecond)
			d, _ = enc.EncodeDelta(nil, 2)
			require.NoError(t, m.ApplyDelta(d))
			g.Step(50 * time.Millisecond)
			_, changed = enc.EncodeDelta(nil, 3)
			require.False(t, changed)

			g.Leave("s2")
			d, changed = enc.EncodeDelta(nil, 4)
			require.True(t, changed)
			require.NoError(t, m.ApplyDelta(d))
			require.Len(t, m.Value()["players"], 1)
			require.Equal(t, enc.Checksum(), m.Checksum())
		})
	}
}

func TestSetupRejectsBadMode(t *testing.T) {
	t.Parallel()
	_, err := NewGame(Config{}).Setup(rooms.Options{OptionMode: "chess"})
	require.ErrorContains(t, err, `option mode "chess"`)
	require.ErrorContains(t, Config{Mode: "x"}.Validate(), `Config.Mode "x"`)
	require.NoError(t, Config{Mode: ModeBench}.Validate())
}

// Play mode: a whole key tap (press and release) arriving within one tick
// moves the player exactly one tick's distance; bench mode (arena v1)
// applies the latest input only, so there the tap is lost.
func TestTapWithinOneTick(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode string
		want float64
	}{
		{ModePlay, 500 + Speed*dt},
		{ModeBench, 500},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			s := NewSim(tc.mode, 1, 0)
			a := s.Join("a", "ada")
			place(a, 500, 500)
			s.SetInput("a", 1, 0) // press
			s.SetInput("a", 0, 0) // release, same tick
			for range TickRate {
				s.Step(dt)
			}
			require.Equal(t, tc.want, a.X)
			require.Equal(t, 500.0, a.Y)
			require.Empty(t, a.Queued())
		})
	}
}

// Play mode: one queued input per tick, oldest first; an empty queue keeps
// the last direction (a held key keeps moving between inputs).
func TestQueueOnePerTick(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 1, 0)
	a := s.Join("a", "ada")
	place(a, 500, 500)
	require.Same(t, a, s.SetInputSeq("a", 1, 1, 0), "returns the player")
	s.SetInputSeq("a", 2, 0, 1)
	s.SetInputSeq("a", 3, -1, 0)
	require.Nil(t, s.SetInputSeq("nobody", 4, 1, 0))
	require.Equal(t, []Dir{{1, 0}, {0, 1}, {-1, 0}}, a.Queued())
	require.Equal(t, []uint64{1, 2, 3}, a.QueuedSeqs())
	require.Zero(t, a.Applied, "queued, none applied")
	step := Speed * dt
	s.Step(dt)
	require.Equal(t, [2]float64{500 + step, 500}, [2]float64{a.X, a.Y})
	require.Len(t, a.Queued(), 2)
	require.EqualValues(t, 1, a.Applied)
	s.Step(dt)
	require.Equal(t, [2]float64{500 + step, 500 + step}, [2]float64{a.X, a.Y})
	require.EqualValues(t, 2, a.Applied)
	s.Step(dt)
	require.Equal(t, [2]float64{500, 500 + step}, [2]float64{a.X, a.Y})
	require.Empty(t, a.Queued())
	require.Empty(t, a.QueuedSeqs())
	require.EqualValues(t, 3, a.Applied)
	s.Step(dt) // empty queue: the last direction is held
	require.Equal(t, [2]float64{500 - step, 500 + step}, [2]float64{a.X, a.Y})
	require.EqualValues(t, 3, a.Applied)

	// A held key at the tick rate: one input per tick, steady speed.
	place(a, 500, 500)
	for range TickRate {
		s.SetInput("a", 0, -1)
		s.Step(dt)
	}
	require.InDelta(t, 500-Speed, a.Y, 1e-9)

	// Stop (a drop) clears queue and direction; the cleared inputs count
	// as done with.
	s.SetInputSeq("a", 40, 1, 1)
	s.SetInputSeq("a", 41, 1, 1)
	s.Stop("a")
	require.EqualValues(t, 41, a.Applied)
	x, y := a.X, a.Y
	s.Step(dt)
	require.Equal(t, [2]float64{x, y}, [2]float64{a.X, a.Y})
}

// The queue holds MaxQueued inputs; more drop the oldest and are counted.
func TestQueueBound(t *testing.T) {
	t.Parallel()
	s := NewSim(ModePlay, 1, 0)
	a := s.Join("a", "ada")
	b := s.Join("b", "bob")
	place(a, 500, 500)
	place(b, 100, 100)
	s.SetInputSeq("a", 1, 0, 1) // dropped below
	s.SetInputSeq("a", 2, 0, -1)
	for i := range MaxQueued - 2 {
		s.SetInputSeq("a", uint64(3+i), 1, 0)
	}
	require.Len(t, a.Queued(), MaxQueued)
	require.Zero(t, a.Dropped)
	require.Zero(t, a.Applied)
	s.SetInputSeq("a", MaxQueued+1, 0, 0)
	require.Len(t, a.Queued(), MaxQueued)
	require.Equal(t, 1, a.Dropped)
	require.Equal(t, Dir{0, -1}, a.Queued()[0], "the oldest went")
	require.EqualValues(t, 1, a.Applied, "a dropped input is done with")
	s.SetInputSeq("a", MaxQueued+2, 0, 0)
	require.Equal(t, 2, a.Dropped)
	require.EqualValues(t, 2, a.Applied)
	require.EqualValues(t, 3, a.QueuedSeqs()[0])
	require.Equal(t, 2, s.Dropped())
	require.Equal(t, Dir{1, 0}, a.Queued()[0])
	require.Equal(t, Dir{0, 0}, a.Queued()[MaxQueued-1])
	for range 2 * MaxQueued {
		s.Step(dt)
	}
	// 6 × right, then 2 × release (held).
	require.InDelta(t, 500+6*Speed*dt, a.X, 1e-9)
	require.Equal(t, 500.0, a.Y)
	require.Zero(t, b.Dropped)
	require.EqualValues(t, MaxQueued+2, a.Applied)

	// Bench mode has no queue: every input is applied (acknowledged) at once.
	s = NewSim(ModeBench, 1, 0)
	a = s.Join("a", "ada")
	for i := range 3 * MaxQueued {
		s.SetInputSeq("a", uint64(i+1), 1, 0)
		require.EqualValues(t, i+1, a.Applied)
	}
	require.Empty(t, a.Queued())
	require.Zero(t, s.Dropped())
}
