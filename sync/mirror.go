package statesync

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Mirror errors; every error a Mirror returns wraps one of them.
var (
	// ErrMalformed: the bytes are not a valid snapshot or delta for the schema.
	ErrMalformed = errors.New("statesync: malformed state")
	// ErrOutOfOrder: the delta does not follow the mirror's tick.
	ErrOutOfOrder = errors.New("statesync: delta out of order")
	// ErrNoSnapshot: a delta arrived before any snapshot, or after an error.
	ErrNoSnapshot = errors.New("statesync: no snapshot applied")
)

// MirrorLimits bounds what a Mirror accepts. Zero fields select defaults.
type MirrorLimits struct {
	// MaxEntities is the most live entities. Default 1 << 20.
	MaxEntities int
	// MaxTypes is the most entity types in a schema. Default 256.
	MaxTypes int
	// MaxDepth is how deeply entities may nest. Default 64.
	MaxDepth int
	// MaxContainerLen is the most entries of one map or array. Default 1 << 20.
	MaxContainerLen int
	// MaxStringLen is the longest string or bytes value. Default 1 MiB.
	MaxStringLen int
}

func (l MirrorLimits) withDefaults() MirrorLimits {
	if l.MaxEntities <= 0 {
		l.MaxEntities = 1 << 20
	}
	if l.MaxTypes <= 0 {
		l.MaxTypes = 256
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxContainerLen <= 0 {
		l.MaxContainerLen = 1 << 20
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = 1 << 20
	}
	return l
}

// Mirror rebuilds a state from snapshots and deltas: what a client holds.
// Bots and tests use it; its input is untrusted. Errors wrap ErrMalformed,
// ErrOutOfOrder or ErrNoSnapshot; it never panics. A snapshot that fails
// leaves the mirror as it was; a delta that fails part-way leaves it
// needing a new snapshot (every later delta fails with ErrNoSnapshot).
// A Mirror is not safe for concurrent use.
type Mirror struct {
	lim    MirrorLimits
	rd     *mpack.Reader
	valid  bool
	tick   uint32
	schema *Schema
	qmax   [][]uint64 // per type, per field: largest step index of Fixed fields
	root   *Node
	nodes  map[uint32]*Node
}

// Node is one entity in a Mirror.
type Node struct {
	depth int
	ref   uint32
	typ   *TypeSchema
	tix   int
	vals  []mval
}

// mval is one field value of a Node, unboxed: scalars and Fixed step
// indexes in n (bool as 0/1, signed integers as int64 bits, floats as their
// IEEE bits), everything else in x (string, []byte, *Node, *MapValue,
// *ArrayValue; nil for a nil ref). Applying a delta of numbers allocates
// nothing.
type mval struct {
	n uint64
	x any
}

// MapValue is a map field's value in a Mirror. Keys are string for string
// keys, int64 for signed and uint64 for unsigned integer keys.
type MapValue struct {
	key Kind
	m   map[any]any
}

// ArrayValue is an array field's value in a Mirror.
type ArrayValue struct {
	items []any
}

// NewMirror returns an empty mirror.
func NewMirror(lim MirrorLimits) *Mirror {
	lim = lim.withDefaults()
	return &Mirror{lim: lim, rd: mpack.NewReader(nil, mpack.Limits{
		MaxDepth:        lim.MaxDepth*2 + 8,
		MaxContainerLen: lim.MaxContainerLen,
		MaxStringLen:    lim.MaxStringLen,
	})}
}

// Tick returns the tick of the state the mirror holds.
func (m *Mirror) Tick() uint32 { return m.tick }

// Valid reports whether the mirror holds a state (a snapshot was applied
// and no delta has failed since).
func (m *Mirror) Valid() bool { return m.valid }

// Schema returns the schema of the last snapshot (nil before).
func (m *Mirror) Schema() *Schema { return m.schema }

// Root returns the root entity (nil before the first snapshot).
func (m *Mirror) Root() *Node { return m.root }

// Entity returns the live entity with reference id ref.
func (m *Mirror) Entity(ref uint32) (*Node, bool) {
	n, ok := m.nodes[ref]
	return n, ok
}

// Len returns the number of live entities.
func (m *Mirror) Len() int { return len(m.nodes) }

// Ref returns the entity's reference id.
func (n *Node) Ref() uint32 { return n.ref }

// Type returns the entity's type.
func (n *Node) Type() *TypeSchema { return n.typ }

// Field returns field i's value: bool, int64 (signed kinds), uint64
// (unsigned kinds), float32, float64, string, []byte, float64 for Fixed
// fields, [2]float64 for Fixed2 fields, *Node or nil for refs, *MapValue,
// *ArrayValue.
func (n *Node) Field(i int) any {
	if i < 0 || i >= len(n.vals) {
		return nil
	}
	f := &n.typ.Fields[i]
	v := n.vals[i]
	switch f.Kind {
	case KindFixed:
		return f.Min + float64(v.n)*f.Step
	case KindFixed2:
		x, y := n.Vec2(i)
		return [2]float64{x, y}
	case KindRef:
		if v.x == nil {
			return (*Node)(nil)
		}
	}
	return boxScalar(f.Kind, v)
}

// Float returns a numeric field (integers, floats, Fixed) as float64, 0 for
// other kinds or a bad index. No allocation.
func (n *Node) Float(i int) float64 {
	if i < 0 || i >= len(n.vals) {
		return 0
	}
	f := &n.typ.Fields[i]
	v := n.vals[i].n
	switch {
	case f.Kind == KindFixed:
		return f.Min + float64(v)*f.Step
	case f.Kind == KindFloat32:
		return float64(math.Float32frombits(uint32(v)))
	case f.Kind == KindFloat64:
		return math.Float64frombits(v)
	case f.Kind.isSigned():
		return float64(int64(v))
	case f.Kind.isInt():
		return float64(v)
	}
	return 0
}

// Vec2 returns a Fixed2 field's values (0, 0 for other kinds).
func (n *Node) Vec2(i int) (x, y float64) {
	if i < 0 || i >= len(n.vals) || n.typ.Fields[i].Kind != KindFixed2 {
		return 0, 0
	}
	f := &n.typ.Fields[i]
	b := uint(bits.Len64(uint64(math.Round((f.Max - f.Min) / f.Step))))
	v := n.vals[i].n
	return f.Min + float64(v&(1<<b-1))*f.Step, f.Min + float64(v>>b)*f.Step
}

// Int returns an integer or bool field as int64 (uint64 values beyond
// int64 wrap), 0 for other kinds or a bad index. No allocation.
func (n *Node) Int(i int) int64 {
	if i < 0 || i >= len(n.vals) {
		return 0
	}
	if k := n.typ.Fields[i].Kind; k.isInt() || k == KindBool || k == KindFixed {
		return int64(n.vals[i].n)
	}
	return 0
}

// Str returns a string field ("" for other kinds or a bad index).
func (n *Node) Str(i int) string {
	if i < 0 || i >= len(n.vals) {
		return ""
	}
	s, _ := n.vals[i].x.(string)
	return s
}

// Child returns a ref field's entity (nil if none).
func (n *Node) Child(i int) *Node {
	if i < 0 || i >= len(n.vals) {
		return nil
	}
	c, _ := n.vals[i].x.(*Node)
	return c
}

// Map returns a map field's value (nil for other kinds).
func (n *Node) Map(i int) *MapValue {
	if i < 0 || i >= len(n.vals) {
		return nil
	}
	m, _ := n.vals[i].x.(*MapValue)
	return m
}

// Array returns an array field's value (nil for other kinds).
func (n *Node) Array(i int) *ArrayValue {
	if i < 0 || i >= len(n.vals) {
		return nil
	}
	a, _ := n.vals[i].x.(*ArrayValue)
	return a
}

// boxScalar returns v of kind k as a Go value (see Node.Field).
func boxScalar(k Kind, v mval) any {
	switch {
	case k == KindBool:
		return v.n != 0
	case k.isSigned():
		return int64(v.n)
	case k.isInt():
		return v.n
	case k == KindFloat32:
		return math.Float32frombits(uint32(v.n))
	case k == KindFloat64:
		return math.Float64frombits(v.n)
	}
	return v.x
}

// Get returns the value of the field called name (see Field), or nil.
func (n *Node) Get(name string) any {
	i, _ := n.typ.Field(name)
	return n.Field(i)
}

// Len returns the number of entries.
func (v *MapValue) Len() int { return len(v.m) }

// Get returns the value under key (string, int64 or uint64 as the key kind).
func (v *MapValue) Get(key any) (any, bool) {
	x, ok := v.m[key]
	return x, ok
}

// Range calls f for every entry, in no particular order, until f returns false.
func (v *MapValue) Range(f func(key, value any) bool) {
	for k, x := range v.m {
		if !f(k, x) {
			return
		}
	}
}

// Len returns the number of elements.
func (v *ArrayValue) Len() int { return len(v.items) }

// At returns element i (nil if out of range).
func (v *ArrayValue) At(i int) any {
	if i < 0 || i >= len(v.items) {
		return nil
	}
	return v.items[i]
}

func malformed(r *mpack.Reader, format string, args ...any) error {
	return fmt.Errorf("%w: at offset %d: %s", ErrMalformed, r.Offset(), fmt.Sprintf(format, args...))
}

func wrapRead(what string, err error) error {
	return fmt.Errorf("%w: reading %s: %w", ErrMalformed, what, err)
}

// decoder holds the state of one Apply call.
type decoder struct {
	m      *Mirror
	r      *mpack.Reader
	schema *Schema
	qmax   [][]uint64
	nodes  map[uint32]*Node
}

// ApplySnapshot replaces the mirror's state with snapshot b
// ([tick, schema, root]). On error the mirror is unchanged.
func (m *Mirror) ApplySnapshot(b []byte) error {
	r := m.rd
	r.Reset(b)
	n, err := r.ReadArrayHeader()
	if err != nil {
		return wrapRead("snapshot header", err)
	}
	if n != 3 {
		return malformed(r, "snapshot has %d elements, want 3", n)
	}
	tick, err := readU32(r, "tick")
	if err != nil {
		return err
	}
	d := &decoder{m: m, r: r, nodes: map[uint32]*Node{}}
	if err := d.readSchema(); err != nil {
		return err
	}
	root, err := d.readEntity(0, 0)
	if err != nil {
		return err
	}
	if r.Len() != 0 {
		return malformed(r, "%d trailing bytes", r.Len())
	}
	m.tick, m.schema, m.qmax, m.root, m.nodes, m.valid = tick, d.schema, d.qmax, root, d.nodes, true
	return nil
}

// ApplyDelta applies delta b ([tick, tick-base, token...]). The mirror's tick
// M must satisfy base <= M < tick (ErrOutOfOrder otherwise, mirror
// unchanged). If b is malformed the mirror needs a new snapshot.
//
// An empty b (the "ack only" delta frame rooms sends when a tick changed
// nothing but a client's input ack) is accepted as no change.
func (m *Mirror) ApplyDelta(b []byte) error {
	if !m.valid {
		return ErrNoSnapshot
	}
	if len(b) == 0 {
		return nil
	}
	r := m.rd
	r.Reset(b)
	n, err := r.ReadArrayHeader()
	if err != nil {
		return wrapRead("delta header", err)
	}
	if n < 2 {
		return malformed(r, "delta has %d elements, want at least 2", n)
	}
	tick, err := readU32(r, "tick")
	if err != nil {
		return err
	}
	gap, err := readU32(r, "tick gap")
	if err != nil {
		return err
	}
	if gap == 0 || gap > tick {
		return malformed(r, "tick %d with gap %d", tick, gap)
	}
	if base := tick - gap; base > m.tick || m.tick >= tick {
		return fmt.Errorf("%w: delta from tick %d to %d, mirror at %d", ErrOutOfOrder, base, tick, m.tick)
	}
	d := &decoder{m: m, r: r, schema: m.schema, qmax: m.qmax, nodes: m.nodes}
	if err := d.applyTokens(n - 2); err != nil {
		m.valid = false
		return err
	}
	if r.Len() != 0 {
		m.valid = false
		return malformed(r, "%d trailing bytes", r.Len())
	}
	m.tick = tick
	return nil
}

func readU32(r *mpack.Reader, what string) (uint32, error) {
	v, err := r.ReadUint()
	if err != nil {
		return 0, wrapRead(what, err)
	}
	if v > math.MaxUint32 {
		return 0, malformed(r, "%s %d exceeds uint32", what, v)
	}
	return uint32(v), nil
}

func (d *decoder) readSchema() error {
	r, lim := d.r, d.m.lim
	nt, err := r.ReadArrayHeader()
	if err != nil {
		return wrapRead("schema", err)
	}
	if nt == 0 || nt > lim.MaxTypes {
		return malformed(r, "schema has %d types (want 1..%d)", nt, lim.MaxTypes)
	}
	s := &Schema{Types: make([]TypeSchema, nt)}
	d.qmax = make([][]uint64, nt)
	for i := range s.Types {
		if n, err := r.ReadArrayHeader(); err != nil || n != 2 {
			return malformed(r, "type %d: want [name, fields] (%v)", i, err)
		}
		name, err := r.ReadString()
		if err != nil {
			return wrapRead("type name", err)
		}
		nf, err := r.ReadArrayHeader()
		if err != nil {
			return wrapRead("type fields", err)
		}
		if nf > MaxFields {
			return malformed(r, "type %q has %d fields (max %d)", name, nf, MaxFields)
		}
		t := TypeSchema{Name: name, Fields: make([]FieldSchema, nf)}
		d.qmax[i] = make([]uint64, nf)
		for j := range t.Fields {
			f, qmax, err := readFieldSchema(r, nt)
			if err != nil {
				return fmt.Errorf("type %q field %d: %w", name, j, err)
			}
			t.Fields[j], d.qmax[i][j] = f, qmax
		}
		s.Types[i] = t
	}
	d.schema = s
	return nil
}

func readKindName(r *mpack.Reader) (Kind, error) {
	p, err := r.ReadStringBytes()
	if err != nil {
		return 0, wrapRead("kind", err)
	}
	k := kindByName(p)
	if k == KindInvalid {
		return 0, malformed(r, "unknown kind %q", p)
	}
	return k, nil
}

// readElem reads a container element declaration: a type index or a scalar kind name.
func readElem(r *mpack.Reader, f *FieldSchema, ntypes int) error {
	if k, _ := r.PeekKind(); k == mpack.KindInt {
		t, err := r.ReadUint()
		if err != nil || t >= uint64(ntypes) {
			return malformed(r, "bad element type index")
		}
		f.Elem, f.Type = KindRef, int(t)
		return nil
	}
	k, err := readKindName(r)
	if err != nil {
		return err
	}
	if !k.isScalar() || k == KindBytes {
		return malformed(r, "element kind %v not allowed", k)
	}
	f.Elem = k
	return nil
}

func readFieldSchema(r *mpack.Reader, ntypes int) (FieldSchema, uint64, error) {
	f := FieldSchema{Type: -1}
	n, err := r.ReadArrayHeader()
	if err != nil {
		return f, 0, wrapRead("field", err)
	}
	if n < 2 {
		return f, 0, malformed(r, "field has %d elements", n)
	}
	if f.Name, err = r.ReadString(); err != nil {
		return f, 0, wrapRead("field name", err)
	}
	if f.Kind, err = readKindName(r); err != nil {
		return f, 0, err
	}
	want := 2
	var qmax uint64
	switch f.Kind {
	case KindFixed, KindFixed2:
		want = 5
		if n != want {
			break
		}
		var v [3]float64
		for i := range v {
			if v[i], err = r.ReadFloat64(); err != nil {
				return f, 0, wrapRead("fixed range", err)
			}
		}
		f.Min, f.Max, f.Step = v[0], v[1], v[2]
		steps := math.Round((f.Max - f.Min) / f.Step)
		if !(f.Step > 0) || !(f.Max > f.Min) || !(steps <= 1<<53) {
			return f, 0, malformed(r, "bad fixed range")
		}
		qmax = uint64(steps)
		if f.Kind == KindFixed2 && bits.Len64(qmax) > 32 {
			return f, 0, malformed(r, "q2 range too large")
		}
	case KindRef:
		want = 3
		if n != want {
			break
		}
		t, err := r.ReadUint()
		if err != nil || t >= uint64(ntypes) {
			return f, 0, malformed(r, "bad ref type index")
		}
		f.Type, f.Elem = int(t), KindRef
	case KindMap:
		want = 4
		if n != want {
			break
		}
		if f.Key, err = readKindName(r); err != nil {
			return f, 0, err
		}
		if f.Key != KindString && !f.Key.isInt() {
			return f, 0, malformed(r, "bad map key kind %v", f.Key)
		}
		if err := readElem(r, &f, ntypes); err != nil {
			return f, 0, err
		}
	case KindArray:
		want = 3
		if n != want {
			break
		}
		if err := readElem(r, &f, ntypes); err != nil {
			return f, 0, err
		}
	}
	if n != want {
		return f, 0, malformed(r, "%v field has %d elements, want %d", f.Kind, n, want)
	}
	return f, qmax, nil
}

// readScalarV reads a value of scalar kind k, strictly: floats must have
// their declared width and integers must fit their kind.
func (d *decoder) readScalarV(k Kind) (mval, error) {
	r := d.r
	switch k {
	case KindBool:
		v, err := r.ReadBool()
		if err != nil {
			return mval{}, wrapRead("bool", err)
		}
		if v {
			return mval{n: 1}, nil
		}
		return mval{}, nil
	case KindInt8, KindInt16, KindInt32, KindInt64:
		v, err := r.ReadInt()
		if err != nil {
			return mval{}, wrapRead(k.String(), err)
		}
		if b := k.intBits(); b < 64 && (v < -1<<(b-1) || v >= 1<<(b-1)) {
			return mval{}, malformed(r, "%d overflows %v", v, k)
		}
		return mval{n: uint64(v)}, nil
	case KindUint8, KindUint16, KindUint32, KindUint64:
		v, err := r.ReadUint()
		if err != nil {
			return mval{}, wrapRead(k.String(), err)
		}
		if b := k.intBits(); b < 64 && v >= 1<<b {
			return mval{}, malformed(r, "%d overflows %v", v, k)
		}
		return mval{n: v}, nil
	case KindFloat32:
		if pk, _ := r.PeekKind(); pk != mpack.KindFloat32 {
			return mval{}, malformed(r, "want float32, have %v", pk)
		}
		v, err := r.ReadFloat32()
		if err != nil {
			return mval{}, wrapRead("f32", err)
		}
		return mval{n: uint64(math.Float32bits(v))}, nil
	case KindFloat64:
		if pk, _ := r.PeekKind(); pk != mpack.KindFloat64 {
			return mval{}, malformed(r, "want float64, have %v", pk)
		}
		v, err := r.ReadFloat64()
		if err != nil {
			return mval{}, wrapRead("f64", err)
		}
		return mval{n: math.Float64bits(v)}, nil
	case KindString:
		v, err := r.ReadString()
		if err != nil {
			return mval{}, wrapRead("str", err)
		}
		return mval{x: v}, nil
	case KindBytes:
		v, err := r.ReadBytes()
		if err != nil {
			return mval{}, wrapRead("bin", err)
		}
		return mval{x: slices.Clone(v)}, nil
	}
	return mval{}, malformed(r, "kind %v is not a scalar", k)
}

// readScalar reads a scalar of kind k as a Go value (map keys, container
// elements).
func (d *decoder) readScalar(k Kind) (any, error) {
	v, err := d.readScalarV(k)
	if err != nil {
		return nil, err
	}
	return boxScalar(k, v), nil
}

// readKey reads a map key of kind k as string, int64 or uint64.
func (d *decoder) readKey(k Kind) (any, error) {
	return d.readScalar(k)
}

// readEntity reads a whole entity of type tix: [ref, field...].
func (d *decoder) readEntity(tix, depth int) (*Node, error) {
	r := d.r
	if depth >= d.m.lim.MaxDepth {
		return nil, malformed(r, "entities nest deeper than %d", d.m.lim.MaxDepth)
	}
	t := &d.schema.Types[tix]
	n, err := r.ReadArrayHeader()
	if err != nil {
		return nil, wrapRead("entity", err)
	}
	if n != 1+len(t.Fields) {
		return nil, malformed(r, "%s entity has %d elements, want %d", t.Name, n, 1+len(t.Fields))
	}
	ref, err := readU32(r, "ref id")
	if err != nil {
		return nil, err
	}
	if _, dup := d.nodes[ref]; dup {
		return nil, malformed(r, "ref id %d already in use", ref)
	}
	if len(d.nodes) >= d.m.lim.MaxEntities {
		return nil, malformed(r, "more than %d entities", d.m.lim.MaxEntities)
	}
	node := &Node{depth: depth, ref: ref, typ: t, tix: tix, vals: make([]mval, len(t.Fields))}
	d.nodes[ref] = node
	for i := range t.Fields {
		if node.vals[i], err = d.readField(tix, i, depth); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// readField reads the whole value of field i of type tix.
func (d *decoder) readField(tix, i, depth int) (mval, error) {
	r := d.r
	f := &d.schema.Types[tix].Fields[i]
	switch f.Kind {
	case KindFixed:
		v, err := r.ReadUint()
		if err != nil {
			return mval{}, wrapRead("q", err)
		}
		if v > d.qmax[tix][i] {
			return mval{}, malformed(r, "fixed step %d beyond range", v)
		}
		return mval{n: v}, nil
	case KindFixed2:
		v, err := r.ReadUint()
		if err != nil {
			return mval{}, wrapRead("q2", err)
		}
		qmax := d.qmax[tix][i]
		b := uint(bits.Len64(qmax))
		if v>>(2*b) != 0 || v&(1<<b-1) > qmax || v>>b > qmax {
			return mval{}, malformed(r, "fixed pair %#x beyond range", v)
		}
		return mval{n: v}, nil
	case KindRef:
		if k, _ := r.PeekKind(); k == mpack.KindNil {
			_ = r.ReadNil()
			return mval{}, nil
		}
		c, err := d.readEntity(f.Type, depth+1)
		if err != nil {
			return mval{}, err
		}
		return mval{x: c}, nil
	case KindMap:
		n, err := r.ReadMapHeader()
		if err != nil {
			return mval{}, wrapRead("map", err)
		}
		mv := &MapValue{key: f.Key, m: make(map[any]any, n)}
		for range n {
			k, err := d.readKey(f.Key)
			if err != nil {
				return mval{}, err
			}
			if _, dup := mv.m[k]; dup {
				return mval{}, malformed(r, "duplicate map key %v", k)
			}
			v, err := d.readElem(f, depth)
			if err != nil {
				return mval{}, err
			}
			mv.m[k] = v
		}
		return mval{x: mv}, nil
	case KindArray:
		n, err := r.ReadArrayHeader()
		if err != nil {
			return mval{}, wrapRead("array", err)
		}
		av := &ArrayValue{items: make([]any, n)}
		for j := range av.items {
			if av.items[j], err = d.readElem(f, depth); err != nil {
				return mval{}, err
			}
		}
		return mval{x: av}, nil
	}
	return d.readScalarV(f.Kind)
}

// readElem reads a whole map value or array element.
func (d *decoder) readElem(f *FieldSchema, depth int) (any, error) {
	if f.Elem == KindRef {
		return d.readEntity(f.Type, depth+1)
	}
	return d.readScalar(f.Elem)
}

// free removes an entity and everything below it from the live set.
func (d *decoder) free(v any) {
	switch x := v.(type) {
	case *Node:
		if x == nil {
			return
		}
		delete(d.nodes, x.ref)
		for _, c := range x.vals {
			d.free(c.x)
		}
	case *MapValue:
		for _, c := range x.m {
			d.free(c)
		}
	case *ArrayValue:
		for _, c := range x.items {
			d.free(c)
		}
	}
}

func (d *decoder) applyTokens(n int) error {
	r := d.r
	var mask uint64
	for n > 0 {
		k, err := r.PeekKind()
		if err != nil {
			return wrapRead("token", err)
		}
		switch k {
		case mpack.KindInt:
			v, err := r.ReadInt()
			if err != nil {
				return wrapRead("token", err)
			}
			n--
			if v < 0 {
				if v == math.MinInt64 {
					return malformed(r, "bad mask")
				}
				mask = uint64(-v)
				continue
			}
			if v > math.MaxUint32 {
				return malformed(r, "ref id %d exceeds uint32", v)
			}
			used, err := d.applyPatch(uint32(v), mask, n)
			if err != nil {
				return err
			}
			n -= used
		case mpack.KindArray:
			n--
			if err := d.applyOp(); err != nil {
				return err
			}
		default:
			return malformed(r, "unexpected %v token", k)
		}
	}
	return nil
}

// applyPatch reads the values of the fields in mask for entity ref and
// returns how many tokens it consumed.
func (d *decoder) applyPatch(ref uint32, mask uint64, left int) (int, error) {
	r := d.r
	node := d.nodes[ref]
	if node == nil {
		return 0, malformed(r, "patch of unknown entity %d", ref)
	}
	if mask == 0 {
		return 0, malformed(r, "patch before any mask")
	}
	nf := len(node.typ.Fields)
	if nf < 64 && mask>>nf != 0 {
		return 0, malformed(r, "mask %#x beyond the %d fields of %s", mask, nf, node.typ.Name)
	}
	used := popcount(mask)
	if used > left {
		return 0, malformed(r, "patch needs %d values, %d tokens left", used, left)
	}
	for m := mask; m != 0; m &= m - 1 {
		i := trailingZeros(m)
		f := &node.typ.Fields[i]
		if f.Kind == KindMap || f.Kind == KindArray {
			return 0, malformed(r, "patch of container field %s.%s", node.typ.Name, f.Name)
		}
		v, err := d.readField(node.tix, i, node.depth)
		if err != nil {
			return 0, err
		}
		if f.Kind == KindRef {
			d.free(node.vals[i].x)
		}
		node.vals[i] = v
	}
	return used, nil
}

// applyOp applies a container op [owner, field, ...].
func (d *decoder) applyOp() error {
	r := d.r
	n, err := r.ReadArrayHeader()
	if err != nil {
		return wrapRead("container op", err)
	}
	if n < 2 {
		return malformed(r, "container op with %d elements", n)
	}
	ref, err := readU32(r, "owner ref")
	if err != nil {
		return err
	}
	fid, err := r.ReadUint()
	if err != nil {
		return wrapRead("field id", err)
	}
	node := d.nodes[ref]
	if node == nil {
		return malformed(r, "op on unknown entity %d", ref)
	}
	if fid >= uint64(len(node.vals)) {
		return malformed(r, "op on field %d of %s", fid, node.typ.Name)
	}
	f := &node.typ.Fields[fid]
	switch f.Kind {
	case KindMap:
		if (n-2)%2 != 0 {
			return malformed(r, "map op with odd length")
		}
		mv, _ := node.vals[fid].x.(*MapValue)
		for range (n - 2) / 2 {
			key, err := d.readKey(f.Key)
			if err != nil {
				return err
			}
			old, had := mv.m[key]
			if k, _ := r.PeekKind(); k == mpack.KindNil {
				_ = r.ReadNil()
				if !had {
					return malformed(r, "delete of missing key %v", key)
				}
				delete(mv.m, key)
				d.free(old)
				continue
			}
			if had {
				d.free(old)
			}
			v, err := d.readElem(f, node.depth)
			if err != nil {
				return err
			}
			if len(mv.m) >= d.m.lim.MaxContainerLen && !had {
				return malformed(r, "map grows beyond %d", d.m.lim.MaxContainerLen)
			}
			mv.m[key] = v
		}
		return nil
	case KindArray:
		if n < 4 {
			return malformed(r, "array op with %d elements", n)
		}
		av, _ := node.vals[fid].x.(*ArrayValue)
		at, err1 := r.ReadUint()
		del, err2 := r.ReadUint()
		if err1 != nil || err2 != nil {
			return malformed(r, "bad splice position")
		}
		if at > uint64(len(av.items)) || del > uint64(len(av.items))-at {
			return malformed(r, "splice %d,%d of %d elements", at, del, len(av.items))
		}
		ins := n - 4
		if len(av.items)-int(del)+ins > d.m.lim.MaxContainerLen {
			return malformed(r, "array grows beyond %d", d.m.lim.MaxContainerLen)
		}
		removed := slices.Clone(av.items[at : at+del])
		items := make([]any, 0, ins)
		for range ins {
			if f.Elem == KindRef {
				if k, _ := r.PeekKind(); k == mpack.KindInt {
					mref, err := readU32(r, "moved ref")
					if err != nil {
						return err
					}
					j := slices.IndexFunc(removed, func(x any) bool { nd, _ := x.(*Node); return nd != nil && nd.ref == mref })
					if j < 0 {
						return malformed(r, "moved entity %d was not in the replaced span", mref)
					}
					items = append(items, removed[j])
					removed[j] = nil
					continue
				}
			}
			v, err := d.readElem(f, node.depth)
			if err != nil {
				return err
			}
			items = append(items, v)
		}
		for _, x := range removed {
			d.free(x)
		}
		av.items = slices.Replace(av.items, int(at), int(at+del), items...)
		return nil
	}
	return malformed(r, "op on %v field %s.%s", f.Kind, node.typ.Name, f.Name)
}

// Value returns the whole state as plain Go values: entities as
// map[string]any by field name, maps as map[string]any, map[int64]any or
// map[uint64]any, arrays as []any, Fixed fields as float64. Nil before the
// first snapshot.
func (m *Mirror) Value() map[string]any {
	if m.root == nil {
		return nil
	}
	return nodeValue(m.root)
}

func nodeValue(n *Node) map[string]any {
	out := make(map[string]any, len(n.vals))
	for i, f := range n.typ.Fields {
		out[f.Name] = plain(n.Field(i))
	}
	return out
}

func plain(v any) any {
	switch x := v.(type) {
	case *Node:
		if x == nil {
			return nil
		}
		return nodeValue(x)
	case *MapValue:
		switch x.key {
		case KindString:
			o := make(map[string]any, len(x.m))
			for k, e := range x.m {
				o[k.(string)] = plain(e)
			}
			return o
		case KindInt8, KindInt16, KindInt32, KindInt64:
			o := make(map[int64]any, len(x.m))
			for k, e := range x.m {
				o[k.(int64)] = plain(e)
			}
			return o
		default:
			o := make(map[uint64]any, len(x.m))
			for k, e := range x.m {
				o[k.(uint64)] = plain(e)
			}
			return o
		}
	case *ArrayValue:
		o := make([]any, len(x.items))
		for i, e := range x.items {
			o[i] = plain(e)
		}
		return o
	}
	return v
}

// Checksum returns the same hash as Encoder.Checksum for the same state
// (0 before the first snapshot).
func (m *Mirror) Checksum() uint64 {
	if m.root == nil {
		return 0
	}
	return fnv1a64(m.AppendCanonical(nil))
}

// AppendCanonical appends the canonical encoding of the mirror's state.
func (m *Mirror) AppendCanonical(dst []byte) []byte {
	if m.root == nil {
		return dst
	}
	return canonNode(dst, m.root)
}

func canonNode(b []byte, n *Node) []byte {
	b = mpack.AppendArrayHeader(b, len(n.vals))
	for i, f := range n.typ.Fields {
		switch v := n.vals[i]; f.Kind {
		case KindRef, KindMap, KindArray, KindString, KindBytes:
			b = canonValue(b, v.x)
		case KindBool:
			b = mpack.AppendBool(b, v.n != 0)
		case KindFloat32:
			b = mpack.AppendFloat32(b, math.Float32frombits(uint32(v.n)))
		case KindFloat64:
			b = mpack.AppendFloat64(b, math.Float64frombits(v.n))
		case KindInt8, KindInt16, KindInt32, KindInt64:
			b = mpack.AppendInt(b, int64(v.n))
		default: // unsigned kinds and Fixed
			b = mpack.AppendUint(b, v.n)
		}
	}
	return b
}

func canonValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case *Node:
		if x == nil {
			return append(b, 0xc0)
		}
		return canonNode(b, x)
	case *MapValue:
		keys := make([]any, 0, len(x.m))
		for key := range x.m {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, func(a, c any) int {
			switch a := a.(type) {
			case string:
				return strings.Compare(a, c.(string))
			case int64:
				return cmp.Compare(a, c.(int64))
			default:
				return cmp.Compare(a.(uint64), c.(uint64))
			}
		})
		b = mpack.AppendMapHeader(b, len(keys))
		for _, key := range keys {
			b = canonScalar(b, key)
			b = canonValue(b, x.m[key])
		}
		return b
	case *ArrayValue:
		b = mpack.AppendArrayHeader(b, len(x.items))
		for _, e := range x.items {
			b = canonValue(b, e)
		}
		return b
	}
	return canonScalar(b, v)
}

func canonScalar(b []byte, v any) []byte {
	switch x := v.(type) {
	case bool:
		return mpack.AppendBool(b, x)
	case int64:
		return mpack.AppendInt(b, x)
	case uint64:
		return mpack.AppendUint(b, x)
	case float32:
		return mpack.AppendFloat32(b, x)
	case float64:
		return mpack.AppendFloat64(b, x)
	case string:
		return mpack.AppendString(b, x)
	case []byte:
		return mpack.AppendBytes(b, x)
	}
	return append(b, 0xc0)
}

// SnapshotTick returns the tick of snapshot b without decoding the rest.
func SnapshotTick(b []byte) (uint32, error) {
	r := mpack.NewReader(b, mpack.Limits{})
	if n, err := r.ReadArrayHeader(); err != nil || n != 3 {
		return 0, fmt.Errorf("%w: not a snapshot", ErrMalformed)
	}
	return readU32(r, "tick")
}

// DeltaTick returns the tick of delta b and its base (the tick of the
// previous non-empty delta) without decoding the rest.
func DeltaTick(b []byte) (tick, base uint32, err error) {
	r := mpack.NewReader(b, mpack.Limits{})
	if n, err := r.ReadArrayHeader(); err != nil || n < 2 {
		return 0, 0, fmt.Errorf("%w: not a delta", ErrMalformed)
	}
	if tick, err = readU32(r, "tick"); err != nil {
		return 0, 0, err
	}
	gap, err := readU32(r, "tick gap")
	if err != nil {
		return 0, 0, err
	}
	if gap == 0 || gap > tick {
		return 0, 0, fmt.Errorf("%w: tick %d with gap %d", ErrMalformed, tick, gap)
	}
	return tick, tick - gap, nil
}
