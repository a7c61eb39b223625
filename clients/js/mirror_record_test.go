package jsclient

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// The JS mirror (src/mirror.js) must rebuild the same state as the Go
// reference (statesync.Mirror) from the same bytes. This test records a
// scripted game's snapshot and delta frames with the state the Go mirror
// holds after each into test/testdata/mirror-frames.json (go test
// ./clients/js -run TestMirrorFrames -update); test/client.test.js replays
// the file through the JS mirror and compares. Without -update the test
// replays the committed file through the Go mirror, so a format change in
// package sync that the file no longer matches fails here first.

var update = flag.Bool("update", false, "rewrite test/testdata/*-frames.json")

// Recordings: a scripted state using every field kind, and arena play rooms
// in the three position encodings (float32, quantized, packed q2).
var recordings = map[string]func(t *testing.T) recFile{
	"test/testdata/mirror-frames.json": record,
	"test/testdata/arena-frames.json":  recordArena,
}

type recItem struct {
	statesync.Entity `sync:"Item"`
	A                statesync.Int32  `sync:"a"`
	B                statesync.String `sync:"b"`
	Q                statesync.Fixed  `sync:"q,min=-10,max=10,step=0.5"`
	Tags             statesync.Array[uint8]
}

type recNode struct {
	statesync.Entity `sync:"Node"`
	Name             statesync.String
	V                statesync.Float32
	F64              statesync.Float64
	Flag             statesync.Bool
	Bin              statesync.Bytes
	I8               statesync.Int8
	I16              statesync.Int16
	I64              statesync.Int64
	U16              statesync.Uint16
	U32              statesync.Uint32
	U64              statesync.Uint64
	Child            statesync.Ref[*recItem]
	Items            statesync.Array[*recItem]
	Kids             statesync.Map[int32, *recNode]
}

type recPlayer struct {
	statesync.Entity `sync:"Player"`
	X                statesync.Float32 `sync:"x"`
	Y                statesync.Float32 `sync:"y"`
	HP               statesync.Uint8   `sync:"hp"`
	Score            statesync.Uint16  `sync:"score"`
	Name             statesync.String  `sync:"name"`
	Pos              statesync.Fixed2  `sync:"pos,min=0,max=1024,step=1/32"`
}

type recRoot struct {
	statesync.Entity `sync:"Root"`
	Round            statesync.Uint32
	Players          statesync.Map[string, *recPlayer] `sync:"players"`
	Nodes            statesync.Map[uint16, *recNode]
	List             statesync.Array[*recItem]
	Nums             statesync.Array[int16]
	Scores           statesync.Map[string, float32]
	Boss             statesync.Ref[*recNode]
}

// recFrame is one recorded frame: the state bytes and what a mirror holds
// after applying them (or the error code it must fail with, state unchanged).
type recFrame struct {
	Kind  string `json:"kind"`  // "snapshot" or "delta"
	State string `json:"state"` // base64
	Tick  uint32 `json:"tick"`
	Error string `json:"error,omitempty"` // "out_of_order": must be refused
	// Checksum is the Go mirror's Checksum (FNV-1a 64 of the canonical
	// encoding) after the frame, 16 hex digits.
	Checksum string `json:"checksum,omitempty"`
	Value    any    `json:"value,omitempty"`
}

type recFile struct {
	Comment string     `json:"comment"`
	Frames  []recFrame `json:"frames"`
}

type recorder struct {
	rng  *rand.Rand
	root *recRoot
	n    int
}

func (r *recorder) item() *recItem {
	it := &recItem{}
	it.A.Set(r.rng.Int32N(2000) - 1000)
	it.B.Set(fmt.Sprint("item", r.rng.IntN(100)))
	it.Q.Set(r.rng.Float64()*24 - 12)
	for range r.rng.IntN(3) {
		it.Tags.Push(uint8(r.rng.IntN(256)))
	}
	return it
}

func (r *recorder) node(depth int) *recNode {
	n := &recNode{}
	r.n++
	n.Name.Set(fmt.Sprint("node", r.n))
	n.V.Set(r.rng.Float32()*100 - 50)
	n.F64.Set(r.rng.NormFloat64() * 1e6)
	n.Flag.Set(r.rng.IntN(2) == 0)
	n.Bin.Set([]byte(fmt.Sprint("bin", r.rng.IntN(1000))))
	n.I8.Set(int8(r.rng.IntN(256) - 128))
	n.I16.Set(int16(r.rng.IntN(65536) - 32768))
	n.I64.Set(r.rng.Int64() - math.MaxInt64/2)
	n.U16.Set(uint16(r.rng.IntN(65536)))
	n.U32.Set(r.rng.Uint32())
	n.U64.Set(r.rng.Uint64())
	if r.rng.IntN(2) == 0 {
		n.Child.Set(r.item())
	}
	for range r.rng.IntN(3) {
		n.Items.Push(r.item())
	}
	if depth < 2 {
		for range r.rng.IntN(3) {
			n.Kids.Set(r.rng.Int32N(200)-100, r.node(depth+1))
		}
	}
	return n
}

func (r *recorder) player(name string) *recPlayer {
	p := &recPlayer{}
	p.X.Set(r.rng.Float32() * 1000)
	p.Y.Set(r.rng.Float32() * 1000)
	p.HP.Set(100)
	p.Name.Set(name)
	p.Pos.Set(float64(p.X.Get()), float64(p.Y.Get()))
	return p
}

// anyNode returns a random live node (nil if none).
func (r *recorder) anyNode() *recNode {
	var all []*recNode
	var walk func(n *recNode)
	walk = func(n *recNode) {
		all = append(all, n)
		n.Kids.Range(func(_ int32, k *recNode) bool { walk(k); return true })
	}
	r.root.Nodes.Range(func(_ uint16, n *recNode) bool { walk(n); return true })
	if b := r.root.Boss.Get(); b != nil {
		walk(b)
	}
	if len(all) == 0 {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name.Get() < all[j].Name.Get() })
	return all[r.rng.IntN(len(all))]
}

// mutate changes the state a little, the way a game tick would.
func (r *recorder) mutate() {
	for range 1 + r.rng.IntN(4) {
		switch r.rng.IntN(16) {
		case 0, 1, 2, 3: // players move
			r.root.Players.Range(func(_ string, p *recPlayer) bool {
				if r.rng.IntN(2) == 0 {
					p.X.Set(p.X.Get() + float32(r.rng.IntN(11)-5)*0.7)
					p.Y.Set(p.Y.Get() - 3.3)
					p.Pos.Set(float64(p.X.Get()), float64(p.Y.Get()))
				}
				return true
			})
		case 4:
			name := fmt.Sprint("p", r.rng.IntN(12))
			if _, ok := r.root.Players.Get(name); ok {
				r.root.Players.Delete(name)
			} else {
				r.root.Players.Set(name, r.player(name))
			}
		case 5:
			r.root.Players.Range(func(_ string, p *recPlayer) bool {
				p.Score.Set(p.Score.Get() + 1)
				p.HP.Set(uint8(r.rng.IntN(101)))
				return r.rng.IntN(2) == 0
			})
		case 6:
			r.root.Round.Set(r.root.Round.Get() + 1)
		case 7:
			if r.root.Nodes.Len() < 4 {
				r.root.Nodes.Set(uint16(r.rng.IntN(1000)), r.node(0))
			} else {
				var keys []uint16
				r.root.Nodes.Range(func(k uint16, _ *recNode) bool { keys = append(keys, k); return true })
				sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
				r.root.Nodes.Delete(keys[r.rng.IntN(len(keys))])
			}
		case 8:
			if n := r.anyNode(); n != nil {
				n.V.Set(r.rng.Float32())
				n.I64.Set(-r.rng.Int64())
				n.U64.Set(r.rng.Uint64())
				n.Flag.Set(!n.Flag.Get())
				n.Bin.Set([]byte{byte(r.rng.IntN(256)), 0, 255})
			}
		case 9:
			if n := r.anyNode(); n != nil {
				if r.rng.IntN(3) == 0 {
					n.Child.Set(nil)
				} else {
					n.Child.Set(r.item())
				}
			}
		case 10:
			switch k := r.rng.IntN(4); {
			case k == 0 || r.root.List.Len() == 0:
				r.root.List.Push(r.item())
			case k == 1:
				r.root.List.RemoveAt(r.rng.IntN(r.root.List.Len()))
			case k == 2 && r.root.List.Len() > 1:
				// move an entity within the array
				it := r.root.List.RemoveAt(0)
				r.root.List.Push(it)
			default:
				r.root.List.Insert(r.rng.IntN(r.root.List.Len()+1), r.item())
			}
		case 11:
			if r.root.List.Len() > 0 {
				it := r.root.List.At(r.rng.IntN(r.root.List.Len()))
				it.A.Set(it.A.Get() + 1)
				it.Q.Set(it.Q.Get() + 0.5)
				it.Tags.Push(uint8(r.rng.IntN(256)))
			}
		case 12:
			if r.rng.IntN(3) == 0 && r.root.Nums.Len() > 0 {
				r.root.Nums.Pop()
			} else {
				r.root.Nums.Push(int16(r.rng.IntN(65536) - 32768))
			}
		case 13:
			key := fmt.Sprint("s", r.rng.IntN(5))
			if r.rng.IntN(4) == 0 {
				r.root.Scores.Delete(key)
			} else {
				r.root.Scores.Set(key, r.rng.Float32()*10)
			}
		case 14:
			if r.rng.IntN(3) == 0 {
				r.root.Boss.Set(nil)
			} else {
				r.root.Boss.Set(r.node(1))
			}
		case 15:
			if n := r.anyNode(); n != nil {
				if n.Kids.Len() > 0 && r.rng.IntN(2) == 0 {
					n.Kids.Clear()
				} else if n.Items.Len() > 0 {
					n.Items.Truncate(r.rng.IntN(n.Items.Len()))
				} else {
					n.Items.Push(r.item())
				}
			}
		}
	}
}

// jsonValue converts a Mirror.Value to what JSON.parse of the JS side's
// canonical form gives: float32 widened to float64 (JS numbers), integer
// map keys as strings, 64-bit integers beyond 2^53 as "big:N" strings,
// bytes as base64.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			o[k] = jsonValue(e)
		}
		return o
	case map[int64]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			o[strconv.FormatInt(k, 10)] = jsonValue(e)
		}
		return o
	case map[uint64]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			o[strconv.FormatUint(k, 10)] = jsonValue(e)
		}
		return o
	case []any:
		o := make([]any, len(x))
		for i, e := range x {
			o[i] = jsonValue(e)
		}
		return o
	case float32:
		return float64(x)
	case int64:
		if x > 1<<53-1 || x < -(1<<53-1) {
			return "big:" + strconv.FormatInt(x, 10)
		}
		return x
	case uint64:
		if x > 1<<53-1 {
			return "big:" + strconv.FormatUint(x, 10)
		}
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return v
}

func record(t *testing.T) recFile {
	r := &recorder{rng: rand.New(rand.NewPCG(6, 2026)), root: &recRoot{}}
	r.root.Round.Set(1)
	for _, name := range []string{"ada", "bob", "cy"} {
		r.root.Players.Set(name, r.player(name))
	}
	r.root.Nodes.Set(7, r.node(0))
	r.root.List.Push(r.item(), r.item())
	r.root.Scores.Set("ada", 1.5)
	enc, err := statesync.NewEncoder(r.root, statesync.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := newFrameRecorder(t)
	out := &rec.out
	add := rec.add
	m := rec.m
	var lastDelta []byte
	var lastTick uint32
	for tick := uint32(1); tick <= 300; tick++ {
		if tick%7 != 0 { // some ticks change nothing
			r.mutate()
		}
		d, changed := enc.EncodeDelta(nil, tick)
		if tick == 1 {
			// A client that joins at tick 1 gets the snapshot after the delta.
			add("snapshot", enc.EncodeSnapshot(nil, tick), tick)
			continue
		}
		if changed {
			add("delta", d, tick)
			lastDelta, lastTick = d, tick
		}
		if tick%100 == 50 && lastDelta != nil {
			// A duplicate delta must be refused, state unchanged.
			out.Frames = append(out.Frames, recFrame{Kind: "delta", State: base64.StdEncoding.EncodeToString(lastDelta), Tick: lastTick, Error: "out_of_order"})
		}
		if tick%100 == 0 {
			add("snapshot", enc.EncodeSnapshot(nil, tick), tick)
		}
	}
	_ = m
	return rec.done()
}

// frameRecorder applies each recorded frame to a Go mirror and keeps the
// frame with the mirror's checksum and (for some frames) its state.
type frameRecorder struct {
	t   *testing.T
	m   *statesync.Mirror
	out recFile
}

func newFrameRecorder(t *testing.T) *frameRecorder {
	return &frameRecorder{t: t, m: statesync.NewMirror(statesync.MirrorLimits{}), out: recFile{
		Comment: "recorded by clients/js/mirror_record_test.go (go test ./clients/js -run TestMirrorFrames -update); state bytes base64, value = the Go mirror's state after the frame",
	}}
}

func (r *frameRecorder) add(kind string, b []byte, tick uint32) {
	var err error
	if kind == "snapshot" {
		err = r.m.ApplySnapshot(b)
	} else {
		err = r.m.ApplyDelta(b)
	}
	if err != nil {
		r.t.Fatalf("Go mirror refused its own %s at tick %d: %v", kind, tick, err)
	}
	fr := recFrame{Kind: kind, State: base64.StdEncoding.EncodeToString(b), Tick: tick, Checksum: fmt.Sprintf("%016x", r.m.Checksum())}
	// The state after every early frame, then after every 5th (and
	// every snapshot) keeps the file small; the final state is checked too.
	if n := len(r.out.Frames); n < 40 || n%5 == 0 || kind == "snapshot" {
		fr.Value = jsonValue(r.m.Value())
	}
	r.out.Frames = append(r.out.Frames, fr)
}

func (r *frameRecorder) done() recFile {
	last := &r.out.Frames[len(r.out.Frames)-1]
	last.Value = jsonValue(r.m.Value())
	return r.out
}

// recordArena plays arena rooms (play mode: pickups, collisions, respawns)
// in each position encoding: players join and leave, steer at random.
func recordArena(t *testing.T) recFile {
	rec := newFrameRecorder(t)
	for i, opts := range []rooms.Options{{}, {"quantized": true}, {"packed": true}} {
		g := arena.NewGame(arena.Config{Seed: func() uint64 { return uint64(40 + i) }})
		enc, err := g.Setup(opts)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		ids := []string{}
		base := uint32(1000 * i) // ticks keep increasing across the rooms: each starts with a snapshot
		for tick := base + 1; tick <= base+240; tick++ {
			if tick%40 == 1 && len(ids) < 6 {
				id := fmt.Sprint("s", i, "-", tick)
				g.Join(id, fmt.Sprint("bot", len(ids)))
				ids = append(ids, id)
			}
			if tick%90 == 0 && len(ids) > 1 {
				g.Leave(ids[0])
				ids = ids[1:]
			}
			for _, id := range ids {
				if rng.IntN(8) == 0 {
					g.Sim().SetInput(id, float64(rng.IntN(3)-1), float64(rng.IntN(3)-1))
				}
			}
			g.Step(50 * time.Millisecond)
			d, changed := enc.EncodeDelta(nil, tick)
			if tick == base+1 || tick%100 == 0 {
				rec.add("snapshot", enc.EncodeSnapshot(nil, tick), tick)
				continue
			}
			if changed {
				rec.add("delta", d, tick)
			}
		}
	}
	return rec.done()
}

func TestMirrorFrames(t *testing.T) {
	for file, rec := range recordings {
		t.Run(filepath.Base(file), func(t *testing.T) { checkFrames(t, file, rec) })
	}
}

func checkFrames(t *testing.T, framesFile string, record func(*testing.T) recFile) {
	if *update {
		f := record(t)
		// One frame a line: small, and diffs stay readable.
		b := []byte("{\"comment\": " + strconv.Quote(f.Comment) + ",\n\"frames\": [\n")
		for i, fr := range f.Frames {
			line, err := json.Marshal(fr)
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, line...)
			if i < len(f.Frames)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		b = append(b, "]}"...)
		if err := os.WriteFile(filepath.FromSlash(framesFile), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d frames, %d bytes", framesFile, len(f.Frames), len(b))
	}
	b, err := os.ReadFile(filepath.FromSlash(framesFile))
	if err != nil {
		t.Fatalf("read recorded frames (regenerate with -update): %v", err)
	}
	var f recFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Frames) < 100 {
		t.Fatalf("only %d frames recorded", len(f.Frames))
	}
	m := statesync.NewMirror(statesync.MirrorLimits{})
	for i, fr := range f.Frames {
		state, err := base64.StdEncoding.DecodeString(fr.State)
		if err != nil {
			t.Fatal(err)
		}
		if fr.Kind == "snapshot" {
			err = m.ApplySnapshot(state)
		} else {
			err = m.ApplyDelta(state)
		}
		if fr.Error != "" {
			if err == nil {
				t.Fatalf("frame %d: want error %s, applied", i, fr.Error)
			}
			continue
		}
		if err != nil {
			t.Fatalf("frame %d (%s at tick %d): %v", i, fr.Kind, fr.Tick, err)
		}
		if m.Tick() != fr.Tick {
			t.Fatalf("frame %d: mirror at tick %d, want %d", i, m.Tick(), fr.Tick)
		}
		got, _ := json.Marshal(jsonValue(m.Value()))
		if i == len(f.Frames)-1 && fr.Value == nil {
			t.Fatal("the last frame has no recorded state")
		}
		want, _ := json.Marshal(fr.Value)
		if sum := fmt.Sprintf("%016x", m.Checksum()); fr.Checksum != sum {
			t.Fatalf("frame %d: Go mirror checksum %s, recorded %s", i, sum, fr.Checksum)
		}
		if fr.Value == nil {
			continue
		}
		if string(got) != string(want) {
			t.Fatalf("frame %d (%s at tick %d): Go mirror state differs from the recording\n got %s\nwant %s", i, fr.Kind, fr.Tick, got, want)
		}
	}
}
