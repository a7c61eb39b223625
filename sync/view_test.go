package statesync

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/stretchr/testify/require"
)

// View test state: grouped items (cells), private hands, nested maps and
// arrays inside grouped entities, public items beside them.
type vSub struct {
	Entity `sync:"VSub"`
	V      Uint8
	Secret Bytes `sync:"secret,private"`
}

type vItem struct {
	Entity `sync:"VItem"`
	X      Int32
	Hand   Bytes `sync:"hand,private"`
	Tags   Array[uint8]
	Subs   Map[string, *vSub]
	Gun    Ref[*vSub]
}

type vWorld struct {
	Entity `sync:"VWorld"`
	Round  Uint16
	Items  Map[uint32, *vItem] // grouped
	Pub    Map[string, *vItem] // public
}

const (
	vCells  = 5   // cell groups 1..5
	vOwner0 = 100 // owner groups 101..105
)

// secret is the distinctive hand of owner k: a view without group k must
// never receive these bytes.
func secret(k int, salt int) []byte {
	return []byte{0xDE, 0xAD, 0xC0, 0xDE, byte(k), byte(salt)}
}

type viewWorld struct {
	t      *testing.T
	rng    *rand.Rand
	enc    *Encoder
	root   *vWorld
	owners map[*Entity]int // entity -> owner index (0: none)
	nextID uint32
}

func (w *viewWorld) setOwner(e interface{ syncEntity() *Entity }, hand *Bytes, k int) {
	w.owners[e.syncEntity()] = k
	if k == 0 {
		hand.Set(nil)
		return
	}
	w.enc.SetOwner(e, Group(vOwner0+k))
	hand.Set(secret(k, w.rng.IntN(200)))
}

func (w *viewWorld) newItem(grouped bool) *vItem {
	it := &vItem{}
	it.X.Set(int32(w.rng.IntN(1000)))
	if grouped {
		require.NoError(w.t, w.enc.SetGroup(it, Group(1+w.rng.IntN(vCells))))
	}
	w.setOwner(it, &it.Hand, w.rng.IntN(6))
	if w.rng.IntN(2) == 0 {
		s := &vSub{}
		s.V.Set(uint8(w.rng.IntN(200)))
		w.setOwner(s, &s.Secret, w.rng.IntN(6))
		it.Subs.Set("a", s)
	}
	it.Tags.Push(uint8(w.rng.IntN(9)))
	return it
}

func pickEntry[K comparable, V comparable](rng *rand.Rand, m *Map[K, V]) (K, V, bool) {
	var k K
	var v V
	if m.Len() == 0 {
		return k, v, false
	}
	i := rng.IntN(m.Len())
	for kk, vv := range m.All() {
		if i == 0 {
			return kk, vv, true
		}
		i--
	}
	return k, v, false
}

func (w *viewWorld) mutateItem(it *vItem) {
	switch w.rng.IntN(9) {
	case 0, 1:
		it.X.Set(int32(w.rng.IntN(1000)))
	case 2:
		w.setOwner(it, &it.Hand, w.rng.IntN(6))
	case 3:
		if k := w.owners[it.syncEntity()]; k > 0 {
			it.Hand.Set(secret(k, w.rng.IntN(200)))
		}
	case 4:
		it.Tags.Push(uint8(w.rng.IntN(9)))
	case 5:
		if it.Tags.Len() > 0 {
			it.Tags.RemoveAt(w.rng.IntN(it.Tags.Len()))
		}
	case 6:
		key := string(rune('a' + w.rng.IntN(3)))
		if _, ok := it.Subs.Get(key); ok && w.rng.IntN(2) == 0 {
			it.Subs.Delete(key)
		} else {
			s := &vSub{}
			s.V.Set(uint8(w.rng.IntN(200)))
			w.setOwner(s, &s.Secret, w.rng.IntN(6))
			it.Subs.Set(key, s)
		}
	case 7:
		if _, s, ok := pickEntry(w.rng, &it.Subs); ok {
			s.V.Set(uint8(w.rng.IntN(200)))
			if k := w.owners[s.syncEntity()]; k > 0 && w.rng.IntN(2) == 0 {
				s.Secret.Set(secret(k, w.rng.IntN(200)))
			}
		}
	case 8:
		if w.rng.IntN(3) == 0 {
			it.Gun.Set(nil)
		} else {
			s := &vSub{}
			w.setOwner(s, &s.Secret, w.rng.IntN(6))
			it.Gun.Set(s)
		}
	}
}

func (w *viewWorld) step() {
	r := w.root
	for range 1 + w.rng.IntN(6) {
		switch w.rng.IntN(10) {
		case 0:
			r.Round.Set(uint16(w.rng.IntN(100)))
		case 1:
			if r.Items.Len() < 30 {
				w.nextID++
				r.Items.Set(w.nextID%40, w.newItem(true))
			}
		case 2:
			if k, _, ok := pickEntry(w.rng, &r.Items); ok {
				r.Items.Delete(k)
			}
		case 3, 4:
			if _, it, ok := pickEntry(w.rng, &r.Items); ok {
				require.NoError(w.t, w.enc.SetGroup(it, Group(1+w.rng.IntN(vCells))))
			}
		case 5, 6, 7:
			if _, it, ok := pickEntry(w.rng, &r.Items); ok {
				w.mutateItem(it)
			}
		case 8:
			key := string(rune('p' + w.rng.IntN(4)))
			if _, ok := r.Pub.Get(key); ok && w.rng.IntN(2) == 0 {
				r.Pub.Delete(key)
			} else {
				r.Pub.Set(key, w.newItem(false))
			}
		case 9:
			if _, it, ok := pickEntry(w.rng, &r.Pub); ok {
				w.mutateItem(it)
			}
		}
	}
}

// viewClient is one client: its View, its mirror, whether it is connected.
type viewClient struct {
	v       *View
	m       *Mirror
	offline int // ticks left without frames (a dropped connection)
}

func randomGroups(rng *rand.Rand) []Group {
	var gs []Group
	for g := 1; g <= vCells; g++ {
		if rng.IntN(2) == 0 {
			gs = append(gs, Group(g))
		}
	}
	for k := 1; k <= 5; k++ {
		if rng.IntN(3) == 0 {
			gs = append(gs, Group(vOwner0+k))
		}
	}
	return gs
}

// assertNoForeignSecret checks that frame b, for a view holding groups,
// contains no hand of an owner the view does not hold.
func assertNoForeignSecret(t *testing.T, b []byte, groups []Group, what string) {
	t.Helper()
	for k := 1; k <= 5; k++ {
		if has(groups, Group(vOwner0+k)) {
			continue
		}
		prefix := []byte{0xDE, 0xAD, 0xC0, 0xDE, byte(k)}
		require.False(t, bytes.Contains(b, prefix), "%s leaks owner %d's secret", what, k)
	}
}

// TestViewMirrorsEqualFilteredState: a mirror fed one view's frames holds,
// after every tick, exactly the state as that view sees it (canonical bytes
// and checksum), while entities move between groups, views change, private
// fields change owner, and clients drop and come back (snapshot).
func TestViewMirrorsEqualFilteredState(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			w := &viewWorld{t: t, rng: rng, root: &vWorld{}, owners: map[*Entity]int{}}
			enc, err := NewEncoder(w.root, EncoderOptions{})
			require.NoError(t, err)
			w.enc = enc
			for range 8 {
				w.nextID++
				w.root.Items.Set(w.nextID, w.newItem(true))
			}
			// Clients 4 and 5 are twins of 0 and 1: they follow their
			// groups (at once or a tick later), so they often get the same
			// delta and share it (ShareViewDelta).
			clients := make([]*viewClient, 6)
			for i := range clients {
				clients[i] = &viewClient{v: enc.NewView(randomGroups(rng)...), m: NewMirror(MirrorLimits{})}
			}
			clients[3].v.Set() // public only
			var frame []byte
			var made [][]byte // this tick's deltas by ShareViewDelta's index (nil: no change)
			shared := 0
			for tick := uint32(1); tick <= 300; tick++ {
				w.step()
				for i, c := range clients[:3] {
					if rng.IntN(8) == 0 {
						c.v.Set(randomGroups(rng)...)
					}
					if i < 2 && rng.IntN(4) > 0 {
						clients[4+i].v.Set(c.v.Groups()...)
					}
				}
				enc.EncodeViews(tick)
				made = made[:0]
				for i, c := range clients {
					if c.offline > 0 {
						c.offline--
						continue
					}
					if rng.IntN(40) == 0 {
						c.offline = 1 + rng.IntN(4)
						continue
					}
					groups := c.v.Groups()
					idx, changed, ok := enc.ShareViewDelta(c.v, tick)
					if ok {
						shared++
						frame = append(frame[:0], made[idx]...)
						require.Equal(t, changed, made[idx] != nil)
					} else {
						frame, changed, ok = enc.AppendViewDelta(frame[:0], c.v, tick)
						if ok && changed {
							made = append(made, slices.Clone(frame))
						} else if ok {
							made = append(made, nil)
						}
					}
					if !ok {
						frame = enc.AppendViewSnapshot(frame[:0], c.v, tick)
						assertNoForeignSecret(t, frame, groups, "snapshot")
						require.NoError(t, c.m.ApplySnapshot(frame), "client %d tick %d snapshot", i, tick)
					} else if changed {
						assertNoForeignSecret(t, frame, groups, "delta")
						require.NoError(t, c.m.ApplyDelta(frame), "client %d tick %d delta %x", i, tick, frame)
					}
					want := enc.AppendViewCanonical(nil, c.v)
					require.Equal(t, want, c.m.AppendCanonical(nil), "client %d tick %d", i, tick)
					require.Equal(t, enc.ViewChecksum(c.v), c.m.Checksum())
				}
				enc.FinishViews()
			}
			require.Greater(t, shared, 50, "twins shared few deltas")
		})
	}
}

// A public-only view sees no grouped entity and no private value; the
// view-less snapshot is that public part.
func TestViewPublicOnly(t *testing.T) {
	root := &vWorld{}
	enc, err := NewEncoder(root, EncoderOptions{})
	require.NoError(t, err)
	it := &vItem{}
	require.NoError(t, enc.SetGroup(it, 3))
	enc.SetOwner(it, 7)
	it.Hand.Set(secret(1, 1))
	root.Items.Set(1, it)
	p := &vItem{}
	enc.SetOwner(p, 7)
	p.Hand.Set(secret(2, 2))
	root.Pub.Set("p", p)
	enc.EncodeViews(1)
	v := enc.NewView()
	snap := enc.AppendViewSnapshot(nil, v, 1)
	require.False(t, bytes.Contains(snap, []byte{0xDE, 0xAD}))
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(snap))
	require.Equal(t, 0, m.Root().Map(1).Len())
	require.Equal(t, 1, m.Root().Map(2).Len())
	require.False(t, bytes.Contains(enc.EncodeSnapshot(nil, 1), []byte{0xDE, 0xAD}))
	require.Panics(t, func() { enc.EncodeDelta(nil, 2) })

	owner := enc.NewView(3, 7)
	snap = enc.AppendViewSnapshot(nil, owner, 1)
	require.True(t, bytes.Contains(snap, secret(1, 1)))
	require.True(t, bytes.Contains(snap, secret(2, 2)))
	enc.FinishViews()
}

func TestViewMisuse(t *testing.T) {
	type arr struct {
		Entity
		L Array[*vSub]
	}
	root := &arr{}
	enc, err := NewEncoder(root, EncoderOptions{})
	require.NoError(t, err)
	s := &vSub{}
	require.NoError(t, enc.SetGroup(s, 1))
	require.Panics(t, func() { root.L.Push(s) }, "a grouped entity outside a map")

	w := &vWorld{}
	enc2, err := NewEncoder(w, EncoderOptions{})
	require.NoError(t, err)
	it := &vItem{}
	w.Items.Set(1, it)
	require.ErrorIs(t, enc2.SetGroup(it, 2), ErrView, "group set after the entity was added")
	require.ErrorIs(t, enc.SetGroup(it, 2), ErrView, "entity of another encoder")

	type bad struct {
		Entity
		M Map[string, uint8] `sync:"m,private"`
	}
	_, err = NewEncoder(&bad{}, EncoderOptions{})
	require.ErrorIs(t, err, ErrSchema)
}

func TestGrid(t *testing.T) {
	g := Grid{Cell: 10, Cols: 4, Rows: 3, Base: 1000, Margin: 2}
	tests := []struct {
		name string
		cur  Group
		x, y float64
		want Group
	}{
		{"inside", 1000, 5, 5, 1000},
		{"just past the edge: stays", 1000, 11, 5, 1000},
		{"past the margin: moves", 1000, 12.5, 5, 1001},
		{"back within the margin of the new cell: stays", 1001, 9, 5, 1001},
		{"down a row", 1001, 15, 13, 1005},
		{"outside the map clamps", 9999, -5, 100, 1008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, g.Track(tt.cur, tt.x, tt.y))
		})
	}
	require.Equal(t, []Group{1000, 1001, 1004, 1005}, g.Around(nil, 1000, 1))
	require.Len(t, g.Around(nil, 1005, 1), 9)
	require.Empty(t, g.Around(nil, 5, 1))
}

func TestGridNear(t *testing.T) {
	g := Grid{Cell: 10, Cols: 5, Rows: 5, Base: 100}
	for _, tc := range []struct {
		name string
		held []Group
		x, y float64
		want []Group
	}{
		// (15, 15): the middle of cell (1, 1); r = 6 reaches the 4
		// neighbours sharing a side (5 away) but no corner (7.07 away).
		{"middle", nil, 15, 15, []Group{101, 105, 106, 107, 111}},
		// A held corner cell stays while within r+h = 8.
		{"held corner kept", []Group{0, 100, 101, 105, 106}, 15, 15, []Group{100, 101, 105, 106, 107, 111}},
		// Moved to (17, 17): cell (0, 0)'s corner is 9.9 away, beyond r+h:
		// dropped although held; held sides 7 away are kept; cell (2, 2)'s
		// corner is 4.2 away: entered; cell (2, 0) is 7.6 away and was not
		// held: not entered.
		{"held corner dropped", []Group{0, 100, 101, 105, 106}, 17, 17, []Group{101, 105, 106, 107, 111, 112}},
		// Outside the map: the nearest cells only.
		{"outside", nil, -3, -3, []Group{100}},
	} {
		got := g.Near(nil, tc.held, tc.x, tc.y, 6, 2)
		require.Equal(t, tc.want, got, tc.name)
	}
}

func TestGridWindow(t *testing.T) {
	g := Grid{Cell: 10, Cols: 4, Rows: 3, Base: 1000}
	for _, tc := range []struct {
		c    Group
		r    int
		want []Group
	}{
		{1000, 1, []Group{1000, 1001, 1002, 1004, 1005, 1006, 1008, 1009, 1010}}, // corner: moved in
		{1005, 1, []Group{1000, 1001, 1002, 1004, 1005, 1006, 1008, 1009, 1010}}, // inside: centred
		{1011, 1, []Group{1001, 1002, 1003, 1005, 1006, 1007, 1009, 1010, 1011}}, // far corner
		{1007, 0, []Group{1007}},
		{1005, 2, []Group{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011}}, // wider than the grid: clipped
		{999, 1, nil},  // not a cell
		{1012, 1, nil}, // not a cell
	} {
		require.Equal(t, tc.want, g.Window(nil, tc.c, tc.r), "cell %d r %d", tc.c, tc.r)
	}
}

// recordViewTraffic records the frames one view's client receives over the
// view test world (entities entering and leaving, private fields, a
// reconnect's snapshot), for the mirrors of other languages
// (testdata/traffic/view-*.json, pinned by TestRecordedViewTraffic).
func recordViewTraffic(t *testing.T, seed uint64) trafficFile {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &viewWorld{t: t, rng: rng, root: &vWorld{}, owners: map[*Entity]int{}}
	enc, err := NewEncoder(w.root, EncoderOptions{})
	require.NoError(t, err)
	w.enc = enc
	for range 8 {
		w.nextID++
		w.root.Items.Set(w.nextID, w.newItem(true))
	}
	v := enc.NewView(1, 2, vOwner0+1)
	m := NewMirror(MirrorLimits{})
	tf := trafficFile{Description: fmt.Sprintf("frames of one view (views: grouped entities entering and leaving, private fields) over the view test schema of sync/view_test.go (vWorld), script %d", seed)}
	add := func(kind string, tick uint32, b []byte) {
		if kind == "snapshot" {
			require.NoError(t, m.ApplySnapshot(b))
		} else {
			require.NoError(t, m.ApplyDelta(b))
		}
		canon := m.AppendCanonical(nil)
		require.Equal(t, enc.AppendViewCanonical(nil, v), canon)
		tf.Frames = append(tf.Frames, trafficFrame{Kind: kind, Tick: tick, Hex: hex.EncodeToString(b),
			Canonical: hex.EncodeToString(canon), Checksum: fmt.Sprintf("%016x", m.Checksum())})
	}
	for tick := uint32(1); tick <= 40; tick++ {
		w.step()
		if tick%7 == 0 {
			v.Set(randomGroups(rng)...)
		}
		enc.EncodeViews(tick)
		switch {
		case tick == 25: // offline: the next frame is a snapshot
		case tick == 1 || tick == 26:
			add("snapshot", tick, enc.AppendViewSnapshot(nil, v, tick))
		default:
			b, changed, ok := enc.AppendViewDelta(nil, v, tick)
			require.True(t, ok)
			if changed {
				add("delta", tick, b)
			}
		}
		enc.FinishViews()
	}
	return tf
}

func TestRecordedViewTraffic(t *testing.T) {
	dir := filepath.Join("testdata", "traffic")
	write := os.Getenv("STATESYNC_WRITE_TRAFFIC") == "1"
	for seed := range uint64(2) {
		tf := recordViewTraffic(t, seed)
		got, err := json.MarshalIndent(tf, "", " ")
		require.NoError(t, err)
		name := filepath.Join(dir, fmt.Sprintf("view-%d.json", seed))
		if write {
			require.NoError(t, os.WriteFile(name, append(got, '\n'), 0o644))
			continue
		}
		want, err := os.ReadFile(name)
		require.NoError(t, err, "run with STATESYNC_WRITE_TRAFFIC=1 to create it")
		require.JSONEq(t, string(want), string(got), "%s changed: the view wire output moved", name)
	}
}

func TestFixArrayHeader(t *testing.T) {
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		body := []byte{0xAA, 0xBB, 0xCC}
		b := append([]byte{0x01, 0, 0, 0}, body...)
		got := fixArrayHeader(b, 1, n)
		want := append(mpack.AppendArrayHeader([]byte{0x01}, n), body...)
		require.Equal(t, want, got, "n=%d", n)
	}
}

type rItem struct {
	Entity `sync:"RItem"`
	X      Int32
}

type rWorld struct {
	Entity `sync:"RWorld"`
	Items  Map[uint32, *rItem]
}

// TestRefReuseLowestFirst: with views, freed reference ids are reused
// lowest first (a big world whose players come and go keeps small ids);
// without views the last freed comes first, as it always did.
func TestRefReuseLowestFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		views bool
		want  []uint32
	}{
		{"views", true, []uint32{2, 5, 9}},
		{"no views", false, []uint32{5, 2, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := &rWorld{}
			enc, err := NewEncoder(root, EncoderOptions{})
			require.NoError(t, err)
			tick := uint32(0)
			step := func() {
				tick++
				if tc.views {
					enc.EncodeViews(tick)
					enc.FinishViews()
				} else {
					enc.EncodeDelta(nil, tick)
				}
			}
			if tc.views {
				enc.NewView(1)
			}
			items := map[uint32]*rItem{}
			for k := uint32(1); k <= 10; k++ {
				it := &rItem{}
				if tc.views {
					require.NoError(t, enc.SetGroup(it, 1))
				}
				root.Items.Set(k, it)
				items[k] = it
			}
			step()
			byRef := map[uint32]uint32{}
			for k, it := range items {
				byRef[it.RefID()] = k
			}
			for _, ref := range []uint32{9, 2, 5} { // freed in this order
				root.Items.Delete(byRef[ref])
			}
			step()
			var got []uint32
			for k := uint32(11); k <= 13; k++ {
				it := &rItem{}
				root.Items.Set(k, it)
				got = append(got, it.RefID())
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestRefReuseLowestFirstChurn: with views, under random churn, every new
// entity gets the lowest id freed before the last delta (or a fresh one).
func TestRefReuseLowestFirstChurn(t *testing.T) {
	root := &rWorld{}
	enc, err := NewEncoder(root, EncoderOptions{})
	require.NoError(t, err)
	enc.NewView(1)
	rng := rand.New(rand.NewPCG(3, 4))
	live := map[uint32]uint32{} // key -> ref
	free := map[uint32]bool{}   // refs reusable now
	var pending []uint32
	maxRef, key := uint32(0), uint32(0)
	for tick := uint32(1); tick <= 200; tick++ {
		for range rng.IntN(6) {
			key++
			it := &rItem{}
			require.NoError(t, enc.SetGroup(it, 1))
			root.Items.Set(key, it)
			want := maxRef + 1
			if len(free) > 0 {
				want = slices.Min(slices.Collect(maps.Keys(free)))
				delete(free, want)
			} else {
				maxRef++
			}
			require.Equal(t, want, it.RefID(), "tick %d", tick)
			live[key] = want
		}
		for k, ref := range live {
			if rng.IntN(4) == 0 {
				root.Items.Delete(k)
				delete(live, k)
				pending = append(pending, ref)
			}
		}
		enc.EncodeViews(tick)
		enc.FinishViews()
		for _, r := range pending {
			free[r] = true
		}
		pending = pending[:0]
	}
}
