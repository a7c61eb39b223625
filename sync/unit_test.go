package statesync

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetSameValueIsNoChange(t *testing.T) {
	_, ps, enc := newBenchArena(t, 3)
	_, changed := enc.EncodeDelta(nil, 1)
	require.False(t, changed, "the state at NewEncoder is the base, not a change")
	ps[0].X.Set(ps[0].X.Get())
	ps[1].Name.Set(ps[1].Name.Get())
	out, changed := enc.EncodeDelta([]byte("keep"), 2)
	require.False(t, changed)
	require.Equal(t, "keep", string(out))

	ps[2].HP.Set(1)
	ps[2].HP.Set(100) // back to the old value: still sent (no shadow copy), harmless
	_, changed = enc.EncodeDelta(nil, 3)
	require.True(t, changed)
}

func TestDeltaEncodesOnlyChangedEntities(t *testing.T) {
	_, ps, enc := newBenchArena(t, 10_000)
	for i := range 8 {
		ps[i*1000].X.Set(-1)
	}
	d, changed := enc.EncodeDelta(nil, 70_000)
	require.True(t, changed)
	// [tick, gap, mask, 8 x (ref, f32)]: array16 header + u32 tick + u32 gap + mask + 8*(ref + 5).
	refs := 0
	for i := range 8 {
		switch r := ps[i*1000].RefID(); {
		case r < 128:
			refs++
		case r < 256:
			refs += 2
		default:
			refs += 3
		}
	}
	require.Equal(t, 3+5+5+1+8*5+refs, len(d))
}

func TestFixedSnapsAndClamps(t *testing.T) {
	type Q struct {
		Entity
		V Fixed `sync:"v,min=-1,max=1,step=0.25"`
	}
	q := &Q{}
	q.V.Set(0.3) // before attach: kept as given, snapped on attach
	require.Equal(t, 0.3, q.V.Get())
	enc, err := NewEncoder(q, EncoderOptions{})
	require.NoError(t, err)
	require.Equal(t, 0.25, q.V.Get())
	require.Equal(t, uint64(5), q.V.Raw())
	q.V.Set(0.26) // same step
	_, changed := enc.EncodeDelta(nil, 1)
	require.False(t, changed)
	q.V.Set(7)
	require.Equal(t, 1.0, q.V.Get())
	q.V.Set(-7)
	require.Equal(t, -1.0, q.V.Get())
	_, changed = enc.EncodeDelta(nil, 2)
	require.True(t, changed)
}

func TestSchemaErrors(t *testing.T) {
	type noEntity struct{ X Float32 }
	type unexported struct {
		Entity
		x Float32
	}
	type badFixed struct {
		Entity
		V Fixed `sync:"v,min=1,max=0,step=1"`
	}
	type noTag struct {
		Entity
		V Fixed
	}
	type badKey struct {
		Entity
		M Map[float32, int]
	}
	type badElem struct {
		Entity
		A Array[[2]int]
	}
	type dupName struct {
		Entity
		A Int8 `sync:"a"`
		B Int8 `sync:"a"`
	}
	cases := map[string]any{
		"nil":        nil,
		"not entity": &noEntity{},
		"value":      tRoot{},
		"unexported": &unexported{},
		"bad fixed":  &badFixed{},
		"no tag":     &noTag{},
		"bad key":    &badKey{},
		"bad elem":   &badElem{},
		"dup name":   &dupName{},
		"nil ptr":    (*tRoot)(nil),
	}
	for name, root := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewEncoder(root, EncoderOptions{})
			require.ErrorIs(t, err, ErrSchema)
		})
	}
}

func TestAttachTwicePanics(t *testing.T) {
	r := &tRoot{}
	_, err := NewEncoder(r, EncoderOptions{})
	require.NoError(t, err)
	it := &tItem{}
	r.Players.Set("a", it)
	require.Panics(t, func() { r.List.Push(it) })
	require.Panics(t, func() { r.Players.Set("b", nil) })
}

func TestDetachedEntityIsNotTracked(t *testing.T) {
	r := &tRoot{}
	enc, err := NewEncoder(r, EncoderOptions{})
	require.NoError(t, err)
	it := &tItem{}
	r.Players.Set("a", it)
	_, _ = enc.EncodeDelta(nil, 1)
	r.Players.Delete("a")
	_, _ = enc.EncodeDelta(nil, 2)
	it.A.Set(42) // the game kept it; changing it is not replicated
	_, changed := enc.EncodeDelta(nil, 3)
	require.False(t, changed)
	require.False(t, it.Attached())
}

func TestMirrorOrderAndErrors(t *testing.T) {
	_, ps, enc := newBenchArena(t, 2)
	m := NewMirror(MirrorLimits{})
	require.ErrorIs(t, m.ApplyDelta([]byte{0x92, 1, 1}), ErrNoSnapshot)
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))

	ps[0].X.Set(1)
	d1, _ := enc.EncodeDelta(nil, 1)
	_, changed := enc.EncodeDelta(nil, 2) // empty tick
	require.False(t, changed)
	ps[1].X.Set(2)
	d3, _ := enc.EncodeDelta(nil, 3)

	require.ErrorIs(t, m.ApplyDelta(d3), ErrOutOfOrder, "missed d1")
	require.NoError(t, m.ApplyDelta(nil), "an ack-only frame")
	require.Equal(t, uint32(0), m.Tick())
	require.True(t, m.Valid())
	require.NoError(t, m.ApplyDelta(d1))
	require.ErrorIs(t, m.ApplyDelta(d1), ErrOutOfOrder)
	require.NoError(t, m.ApplyDelta(d3), "base 1 <= 1 < 3")
	require.Equal(t, enc.Checksum(), m.Checksum())

	// A client holding a snapshot taken at the empty tick 2 accepts d3 too.
	m2 := NewMirror(MirrorLimits{})
	tick, base, err := DeltaTick(d3)
	require.NoError(t, err)
	require.Equal(t, [2]uint32{3, 1}, [2]uint32{tick, base})

	// A malformed delta invalidates the mirror until the next snapshot.
	ps[0].X.Set(5)
	d4, _ := enc.EncodeDelta(nil, 4)
	err = m.ApplyDelta(d4[:len(d4)-1])
	require.ErrorIs(t, err, ErrMalformed)
	require.False(t, m.Valid())
	require.ErrorIs(t, m.ApplyDelta(d4), ErrNoSnapshot)
	snap := enc.EncodeSnapshot(nil, 4)
	st, err := SnapshotTick(snap)
	require.NoError(t, err)
	require.Equal(t, uint32(4), st)
	require.NoError(t, m2.ApplySnapshot(snap))
	require.NoError(t, m.ApplySnapshot(snap))
	require.Equal(t, m2.Value(), m.Value())

	// A failed snapshot leaves the mirror as it was.
	require.ErrorIs(t, m.ApplySnapshot(snap[:len(snap)-2]), ErrMalformed)
	require.True(t, m.Valid())
	require.Equal(t, uint32(4), m.Tick())
}

func TestMirrorGenericView(t *testing.T) {
	a, ps, enc := newBenchArena(t, 2)
	_ = a
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 9)))
	root := m.Root()
	require.Equal(t, "benchArena", root.Type().Name)
	players := root.Get("Players").(*MapValue)
	require.Equal(t, 2, players.Len())
	p, ok := players.Get("sess-000001")
	require.True(t, ok)
	node := p.(*Node)
	require.Equal(t, ps[1].RefID(), node.Ref())
	require.Equal(t, float32(1.5), node.Get("X"))
	require.Equal(t, uint64(100), node.Get("HP"))
	require.Nil(t, node.Get("nope"))
	n2, ok := m.Entity(node.Ref())
	require.True(t, ok)
	require.Same(t, node, n2)
	require.Equal(t, 3, m.Len())
	ti, ts := m.Schema().Type("benchPlayer")
	require.Equal(t, 1, ti)
	fid, f := ts.Field("Score")
	require.Equal(t, 3, fid)
	require.Equal(t, KindUint16, f.Kind)
}

func TestMirrorDepthLimit(t *testing.T) {
	// A chain of nested refs deeper than MaxDepth is refused.
	type Link struct {
		Entity
		Next Ref[*Link]
	}
	root := &Link{}
	cur := root
	for range 10 {
		n := &Link{}
		cur.Next.Set(n)
		cur = n
	}
	enc, err := NewEncoder(root, EncoderOptions{})
	require.NoError(t, err)
	snap := enc.EncodeSnapshot(nil, 1)
	require.NoError(t, NewMirror(MirrorLimits{MaxDepth: 11}).ApplySnapshot(snap))
	err = NewMirror(MirrorLimits{MaxDepth: 5}).ApplySnapshot(snap)
	require.ErrorIs(t, err, ErrMalformed)

	// Growing the chain by deltas hits the same limit.
	m := NewMirror(MirrorLimits{MaxDepth: 12})
	require.NoError(t, m.ApplySnapshot(snap))
	for tick := uint32(2); tick < 6; tick++ {
		n := &Link{}
		cur.Next.Set(n)
		cur = n
		d, _ := enc.EncodeDelta(nil, tick)
		err = m.ApplyDelta(d)
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, ErrMalformed)
}

func TestMirrorEntityLimit(t *testing.T) {
	_, _, enc := newBenchArena(t, 50)
	err := NewMirror(MirrorLimits{MaxEntities: 10}).ApplySnapshot(enc.EncodeSnapshot(nil, 1))
	require.ErrorIs(t, err, ErrMalformed)
	require.True(t, errors.Is(err, ErrMalformed))
}

func TestManyFieldsLimit(t *testing.T) {
	_, err := NewEncoder(&wide64{}, EncoderOptions{})
	require.ErrorIs(t, err, ErrSchema)

	w := &wide63{}
	enc, err := NewEncoder(w, EncoderOptions{})
	require.NoError(t, err)
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))
	w.F62.Set(7) // mask bit 62: the largest mask, -(1<<62) on the wire
	w.F0.Set(1)
	d, _ := enc.EncodeDelta(nil, 1)
	require.NoError(t, m.ApplyDelta(d))
	require.Equal(t, uint64(7), m.Root().Get("F62"))
	require.Equal(t, enc.Checksum(), m.Checksum())
}

func TestIntKeyedMapsAndScalarElements(t *testing.T) {
	type S struct {
		Entity
		Neg   Map[int64, string]
		Big   Map[uint64, bool]
		Small Map[int8, float64]
		Blob  Bytes
		Words Array[string]
	}
	s := &S{}
	enc, err := NewEncoder(s, EncoderOptions{})
	require.NoError(t, err)
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))
	s.Neg.Set(-1<<40, "far")
	s.Neg.Set(-3, "near")
	s.Big.Set(1<<63+5, true)
	s.Small.Set(-128, 0.5)
	s.Blob.Set([]byte{1, 2})
	s.Words.Push("a", "b", "c")
	d, _ := enc.EncodeDelta(nil, 1)
	require.NoError(t, m.ApplyDelta(d))
	require.Equal(t, enc.Checksum(), m.Checksum())
	v := m.Value()
	require.Equal(t, map[int64]any{-1 << 40: "far", -3: "near"}, v["Neg"])
	require.Equal(t, map[uint64]any{1<<63 + 5: true}, v["Big"])
	require.Equal(t, map[int64]any{-128: 0.5}, v["Small"])
	require.Equal(t, []any{"a", "b", "c"}, v["Words"])
	got, ok := m.Root().Map(0).Get(int64(-3))
	require.True(t, ok)
	require.Equal(t, "near", got)

	s.Blob.Set(nil) // nil and empty are equal, but differ from {1, 2}
	s.Words.Set(1, "B")
	s.Neg.Delete(-3)
	d, _ = enc.EncodeDelta(nil, 2)
	require.NoError(t, m.ApplyDelta(d))
	require.Equal(t, enc.Checksum(), m.Checksum())
	s.Blob.Set([]byte{})
	_, changed := enc.EncodeDelta(nil, 3)
	require.False(t, changed)
	require.Equal(t, []any{"a", "B", "c"}, m.Value()["Words"])
}

// fixed2ExampleHex is PROTOCOL.md (State replication)'s q2 example.
const fixed2ExampleHex = "950202ff00ce00604008"

func TestFixed2(t *testing.T) {
	type V struct {
		Entity
		Pos Fixed2 `sync:"pos,min=0,max=1024,step=1/32"`
	}
	v := &V{}
	v.Pos.Set(1.5, 2000) // before attach: kept as given
	x, y := v.Pos.Get()
	require.Equal(t, [2]float64{1.5, 2000}, [2]float64{x, y})
	enc, err := NewEncoder(v, EncoderOptions{})
	require.NoError(t, err)
	x, y = v.Pos.Get()
	require.Equal(t, [2]float64{1.5, 1024}, [2]float64{x, y}, "clamped on attach")
	require.Equal(t, uint64(32768)<<16|48, v.Pos.Raw())
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))
	v.Pos.Set(1.51, 1024) // same steps
	_, changed := enc.EncodeDelta(nil, 1)
	require.False(t, changed)
	v.Pos.Set(512.25, 3)
	d, changed := enc.EncodeDelta(nil, 2)
	require.True(t, changed)
	require.Equal(t, fixed2ExampleHex, hex.EncodeToString(d))
	require.NoError(t, m.ApplyDelta(d))
	require.Equal(t, [2]float64{512.25, 3}, m.Root().Get("pos"))
	require.Equal(t, enc.Checksum(), m.Checksum())
	_, f := m.Schema().Types[0].Field("pos")
	require.Equal(t, KindFixed2, f.Kind)

	type TooFine struct {
		Entity
		P Fixed2 `sync:"p,min=0,max=1,step=1e-10"`
	}
	_, err = NewEncoder(&TooFine{}, EncoderOptions{})
	require.ErrorIs(t, err, ErrSchema)
}

func TestAddAndIterators(t *testing.T) {
	a, ps, enc := newBenchArena(t, 3)
	ps[0].X.Add(2)
	ps[0].Score.Add(7)
	require.Equal(t, float32(2.5), ps[0].X.Get())
	require.Equal(t, uint16(7), ps[0].Score.Get())
	n := 0
	for k, p := range a.Players.All() {
		require.Equal(t, fmt.Sprintf("sess-%06d", n), k)
		require.Same(t, ps[n], p)
		n++
	}
	require.Equal(t, 3, n)
	r := &tRoot{}
	r.Nums.Push(4, 5, 6)
	sum := 0
	for i, v := range r.Nums.All() {
		sum += i * int(v)
	}
	require.Equal(t, 0*4+1*5+2*6, sum)
	_, changed := enc.EncodeDelta(nil, 1)
	require.True(t, changed)
}

func TestMirrorTypedAccessors(t *testing.T) {
	r := &tRoot{}
	boss := &tNode{}
	boss.Name.Set("boss")
	boss.V.Set(2.5)
	boss.I8.Set(-3)
	boss.U64.Set(9)
	boss.Child.Set(&tItem{})
	boss.Items.Push(&tItem{}, &tItem{})
	r.Boss.Set(boss)
	r.Nums.Push(7, -8)
	r.Round.Add(4)
	enc, err := NewEncoder(r, EncoderOptions{})
	require.NoError(t, err)
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 0)))
	_, rt := m.Schema().Type("tRoot")
	bossID, _ := rt.Field("Boss")
	numsID, _ := rt.Field("Nums")
	roundID, _ := rt.Field("Round")
	root := m.Root()
	require.Equal(t, int64(4), root.Int(roundID))
	require.Equal(t, 4.0, root.Float(roundID))
	b := root.Child(bossID)
	require.NotNil(t, b)
	_, nt := m.Schema().Type("tNode")
	id := func(name string) int { i, _ := nt.Field(name); return i }
	require.Equal(t, "boss", b.Str(id("Name")))
	require.Equal(t, 2.5, b.Float(id("V")))
	require.Equal(t, -3.0, b.Float(id("I8")))
	require.Equal(t, int64(-3), b.Int(id("I8")))
	require.Equal(t, 9.0, b.Float(id("U64")))
	require.NotNil(t, b.Child(id("Child")))
	require.Equal(t, 2, b.Array(id("Items")).Len())
	require.IsType(t, &Node{}, b.Array(id("Items")).At(1))
	require.Nil(t, b.Array(id("Items")).At(2))
	nums := root.Array(numsID)
	require.Equal(t, []any{int64(7), int64(-8)}, []any{nums.At(0), nums.At(1)})
	require.Nil(t, root.Child(-1))
	require.Equal(t, "", root.Str(99))
	seen := 0
	root.Map(1).Range(func(k, v any) bool { seen++; return true })
	require.Equal(t, 0, seen)

	r.Nums.Clear()
	require.Equal(t, 0, r.Nums.Len())
	require.Equal(t, 0, r.Players.Len())
	d, _ := enc.EncodeDelta(nil, 1)
	require.NoError(t, m.ApplyDelta(d))
	require.Equal(t, 0, m.Root().Array(numsID).Len())
	require.Equal(t, enc.Checksum(), m.Checksum())
}
