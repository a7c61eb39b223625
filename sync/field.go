package statesync

import (
	"bytes"
)

// fieldHead is the first member of every tracked field type: which entity
// owns the field and its field id. It is filled when the owner is attached to
// an Encoder; a field of an entity that was never attached has a nil owner
// and its Set only stores the value.
type fieldHead struct {
	owner *Entity
	id    uint8
}

// mark records that field h changed.
func (h *fieldHead) mark() {
	if e := h.owner; e != nil {
		e.markField(h.id)
	}
}

// scalar is the implementation shared by the comparable scalar field types.
type scalar[T comparable] struct {
	h fieldHead
	v T
}

// Get returns the field's value.
func (f *scalar[T]) Get() T { return f.v }

// Set stores v. Storing the current value is not a change.
func (f *scalar[T]) Set(v T) {
	if f.v == v {
		return
	}
	f.v = v
	f.h.mark()
}

// Tracked scalar field types. Declare them as fields of a struct that embeds
// Entity; their zero values are ready to use.
type (
	// Bool is a tracked bool (msgpack true/false).
	Bool struct{ scalar[bool] }
	// Int8 is a tracked int8 (msgpack int, smallest form).
	Int8 struct{ scalar[int8] }
	// Int16 is a tracked int16.
	Int16 struct{ scalar[int16] }
	// Int32 is a tracked int32.
	Int32 struct{ scalar[int32] }
	// Int64 is a tracked int64.
	Int64 struct{ scalar[int64] }
	// Uint8 is a tracked uint8.
	Uint8 struct{ scalar[uint8] }
	// Uint16 is a tracked uint16.
	Uint16 struct{ scalar[uint16] }
	// Uint32 is a tracked uint32.
	Uint32 struct{ scalar[uint32] }
	// Uint64 is a tracked uint64.
	Uint64 struct{ scalar[uint64] }
	// Float32 is a tracked float32, sent as msgpack float32 (exact).
	Float32 struct{ scalar[float32] }
	// Float64 is a tracked float64, sent as msgpack float64.
	Float64 struct{ scalar[float64] }
	// String is a tracked string.
	String struct{ scalar[string] }
)

func (*Bool) kind() Kind    { return KindBool }
func (*Int8) kind() Kind    { return KindInt8 }
func (*Int16) kind() Kind   { return KindInt16 }
func (*Int32) kind() Kind   { return KindInt32 }
func (*Int64) kind() Kind   { return KindInt64 }
func (*Uint8) kind() Kind   { return KindUint8 }
func (*Uint16) kind() Kind  { return KindUint16 }
func (*Uint32) kind() Kind  { return KindUint32 }
func (*Uint64) kind() Kind  { return KindUint64 }
func (*Float32) kind() Kind { return KindFloat32 }
func (*Float64) kind() Kind { return KindFloat64 }
func (*String) kind() Kind  { return KindString }
func (*Bytes) kind() Kind   { return KindBytes }
func (*Fixed) kind() Kind   { return KindFixed }
func (*Fixed2) kind() Kind  { return KindFixed2 }

// Bytes is a tracked byte slice (msgpack bin).
type Bytes struct {
	h fieldHead
	v []byte
}

// Get returns the field's bytes. The caller must not modify them.
func (f *Bytes) Get() []byte { return f.v }

// Set stores a copy of v. Storing equal bytes is not a change (nil and
// empty are equal: both travel as an empty bin).
func (f *Bytes) Set(v []byte) {
	if bytes.Equal(f.v, v) {
		return
	}
	f.v = append(make([]byte, 0, len(v)), v...)
	f.h.mark()
}

// quant is a Fixed field's declared range and step.
type quant struct {
	min, max, step float64
	inv            float64 // 1/step
	maxN           uint64  // round((max-min)/step)
	bits           uint    // bit length of maxN: Fixed2 packs y << bits | x
}

// index returns the step index for v, clamped to the range.
func (q *quant) index(v float64) uint64 {
	if !(v > q.min) { // also NaN
		return 0
	}
	if v >= q.max {
		return q.maxN
	}
	n := (v-q.min)*q.inv + 0.5 // > 0: truncation rounds half up
	if n >= float64(q.maxN) {
		return q.maxN
	}
	return uint64(int64(n)) // n < 2^53: the signed conversion is one instruction
}

// value returns the number step index n stands for.
func (q *quant) value(n uint64) float64 { return q.min + float64(n)*q.step }

// Fixed is a tracked quantized number: its struct tag declares a range and a
// step, e.g. `sync:"x,min=0,max=1024,step=1/32"`, and it travels as the
// unsigned step index n (value = min + n*step), so 0..1024 at 1/32 takes at
// most 3 bytes instead of 5 or 9. Set clamps to the range and snaps to the
// nearest step; a Set that lands on the current step is not a change.
//
// Before its entity is first attached to an Encoder the field does not know
// its range: Set stores the value as given and it is snapped when attached.
type Fixed struct {
	h fieldHead
	q *quant
	n uint64
	v float64 // the value as given, only while q == nil
}

// Get returns the field's (snapped) value.
func (f *Fixed) Get() float64 {
	if f.q == nil {
		return f.v
	}
	return f.q.value(f.n)
}

// Raw returns the step index that goes on the wire (0 before the field's
// entity is first attached).
func (f *Fixed) Raw() uint64 { return f.n }

// Set stores v, clamped and snapped to the declared step.
func (f *Fixed) Set(v float64) {
	if f.q == nil {
		f.v = v
		return
	}
	n := f.q.index(v)
	if n == f.n {
		return
	}
	f.n = n
	f.h.mark()
}

// bindQuant gives f its declared range (at attach) and snaps a pending value.
func (f *Fixed) bindQuant(q *quant) {
	if f.q == nil {
		f.q = q
		f.n = q.index(f.v)
	}
}

// Fixed2 is a tracked pair of quantized numbers, typically a 2-D position,
// declared like Fixed (`sync:"pos,min=0,max=1024,step=1/32"`, the range
// applies to both). Both step indexes travel packed in one unsigned integer,
// y << bits | x where bits is the bit length of (max-min)/step: a position
// in 0..1024 at 1/32 takes 5 bytes instead of 6 for two Fixed fields. Set
// changes both; it is not a change when both land on their current steps.
type Fixed2 struct {
	h    fieldHead
	q    *quant
	n    uint64  // packed step indexes
	x, y float64 // the values as given, only while q == nil
}

// Get returns the (snapped) values.
func (f *Fixed2) Get() (x, y float64) {
	if f.q == nil {
		return f.x, f.y
	}
	return f.q.value(f.n & (1<<f.q.bits - 1)), f.q.value(f.n >> f.q.bits)
}

// Raw returns the packed step indexes that go on the wire.
func (f *Fixed2) Raw() uint64 { return f.n }

// Set stores x and y, each clamped and snapped to the declared step.
func (f *Fixed2) Set(x, y float64) {
	if f.q == nil {
		f.x, f.y = x, y
		return
	}
	n := f.q.index(y)<<f.q.bits | f.q.index(x)
	if n == f.n {
		return
	}
	f.n = n
	f.h.mark()
}

func (f *Fixed2) bindQuant(q *quant) {
	if f.q == nil {
		f.q = q
		f.n = q.index(f.y)<<q.bits | q.index(f.x)
	}
}

// Add helpers for numeric fields: f.Add(d) is f.Set(f.Get() + d).

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Int8) Add(d int8) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Int16) Add(d int16) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Int32) Add(d int32) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Int64) Add(d int64) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Uint8) Add(d uint8) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Uint16) Add(d uint16) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Uint32) Add(d uint32) { f.Set(f.v + d) }

// Add adds d (wrapping like Go's integer arithmetic).
func (f *Uint64) Add(d uint64) { f.Set(f.v + d) }

// Add adds d.
func (f *Float32) Add(d float32) { f.Set(f.v + d) }

// Add adds d.
func (f *Float64) Add(d float64) { f.Set(f.v + d) }

// Add adds d (then clamps and snaps like Set).
func (f *Fixed) Add(d float64) { f.Set(f.Get() + d) }

// Add adds dx and dy (then clamps and snaps like Set).
func (f *Fixed2) Add(dx, dy float64) {
	x, y := f.Get()
	f.Set(x+dx, y+dy)
}
