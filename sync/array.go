package statesync

import (
	"fmt"
	"iter"
	"reflect"
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Array is a tracked ordered array. V is a pointer to an entity struct
// (Array[*Wall]) or a scalar type (bool, integers, floats, string).
//
// A delta carries one splice per changed array: the span between the
// longest unchanged prefix and suffix since the previous delta is replaced.
// Entities that stayed in the array but moved are referenced by id, new ones
// are sent whole. Changes inside an element entity are sent as that entity's
// own patch. So appends, pops, single inserts/removes and single sets cost
// only what changed; scattered sets cost the span between them.
type Array[V comparable] struct {
	h      fieldHead
	fi     *fieldInfo
	items  []V
	prev   []V      // scalar elements: the values at the last delta
	prevID []uint32 // entity elements: the reference ids at the last delta
	queued bool
	at     int // prepared splice: start,
	del    int // count removed,
	ins    int // count inserted (items[at:at+ins])
}

func (*Array[V]) describe() compositeDesc {
	return compositeDesc{kind: KindArray, elem: reflect.TypeFor[V](),
		acc: func(p unsafe.Pointer) composite { return (*Array[V])(p) }}
}

// Len returns the number of elements.
func (a *Array[V]) Len() int { return len(a.items) }

// At returns element i; it panics if i is out of range.
func (a *Array[V]) At(i int) V { return a.items[i] }

// Range calls f for each element in order until f returns false. f must not
// change the array.
func (a *Array[V]) Range(f func(i int, v V) bool) {
	for i, v := range a.items {
		if !f(i, v) {
			return
		}
	}
}

// All returns an iterator over the elements in order, for
// `for i, v := range a.All()`. The loop body must not change the array.
func (a *Array[V]) All() iter.Seq2[int, V] {
	return func(yield func(int, V) bool) { a.Range(yield) }
}

// Set replaces element i; it panics if i is out of range. Storing the current
// value is not a change.
func (a *Array[V]) Set(i int, v V) {
	if a.items[i] == v {
		return
	}
	if isEntityElem[V]() && a.h.encoder() != nil {
		mustBeFree(entityOf(v))
	}
	enc := a.touch(v)
	if enc != nil && isEntityElem[V]() {
		enc.detach(entityOf(a.items[i]))
	}
	a.items[i] = v
}

// Push appends vs.
func (a *Array[V]) Push(vs ...V) {
	for _, v := range vs {
		a.touch(v)
		a.items = append(a.items, v)
	}
}

// Insert inserts v before element i (i == Len appends).
func (a *Array[V]) Insert(i int, v V) {
	if i < 0 || i > len(a.items) {
		panic(fmt.Sprintf("statesync: Array.Insert at %d of %d", i, len(a.items)))
	}
	a.touch(v)
	var zero V
	a.items = append(a.items, zero)
	copy(a.items[i+1:], a.items[i:])
	a.items[i] = v
}

// RemoveAt removes and returns element i; it panics if i is out of range.
// An entity element is detached.
func (a *Array[V]) RemoveAt(i int) V {
	v := a.items[i]
	a.release(v)
	copy(a.items[i:], a.items[i+1:])
	var zero V
	a.items[len(a.items)-1] = zero
	a.items = a.items[:len(a.items)-1]
	return v
}

// Pop removes and returns the last element.
func (a *Array[V]) Pop() (V, bool) {
	if len(a.items) == 0 {
		var zero V
		return zero, false
	}
	return a.RemoveAt(len(a.items) - 1), true
}

// Truncate removes the elements from n on (no-op if n >= Len).
func (a *Array[V]) Truncate(n int) {
	if n < 0 {
		n = 0
	}
	for len(a.items) > n {
		a.Pop()
	}
}

// Clear removes every element.
func (a *Array[V]) Clear() { a.Truncate(0) }

// touch queues the array for the next delta and attaches v if it is an
// entity. It returns the Encoder, or nil when the array is not attached.
func (a *Array[V]) touch(v V) *Encoder {
	entity := isEntityElem[V]()
	if entity && entityOf(v) == nil {
		panic("statesync: nil entity stored in an Array")
	}
	enc := a.h.encoder()
	if enc == nil {
		return nil
	}
	if entity {
		enc.attachUnder(a.h.owner, entityOf(v), a.fi.elemTyp)
	}
	a.queue(enc)
	return enc
}

// release detaches v if it is an entity and queues the array.
func (a *Array[V]) release(v V) {
	enc := a.h.encoder()
	if enc == nil {
		return
	}
	if isEntityElem[V]() {
		enc.detach(entityOf(v))
	}
	a.queue(enc)
}

func (a *Array[V]) queue(enc *Encoder) {
	if !a.queued {
		a.queued = true
		enc.conts = append(enc.conts, a)
	}
}

func (a *Array[V]) bindField(fi *fieldInfo) { a.fi = fi }

func (a *Array[V]) ownerEntity() *Entity { return a.h.owner }

func (a *Array[V]) attachChildren(enc *Encoder) {
	if a.fi.elem == KindRef {
		for _, v := range a.items {
			enc.attachUnder(a.h.owner, entityOf(v), a.fi.elemTyp)
		}
	}
	a.remember()
}

func (a *Array[V]) detachChildren(enc *Encoder) {
	if a.fi.elem == KindRef {
		for _, v := range a.items {
			enc.detach(entityOf(v))
		}
	}
}

// remember records the current contents as the base of the next delta.
func (a *Array[V]) remember() {
	if a.fi.elem == KindRef {
		a.prevID = a.prevID[:0]
		for _, v := range a.items {
			a.prevID = append(a.prevID, entityOf(v).ref)
		}
		return
	}
	a.prev = append(a.prev[:0], a.items...)
}

// same reports whether element i equals element j of the previous contents.
func (a *Array[V]) same(i, j int, enc *Encoder) bool {
	if a.fi.elem == KindRef {
		e := entityOf(a.items[i])
		return e.born != enc.seq && e.ref == a.prevID[j]
	}
	return a.items[i] == a.prev[j]
}

func (a *Array[V]) prepare(enc *Encoder) bool {
	if o := a.h.owner; o == nil || o.enc != enc || o.born == enc.seq {
		return false
	}
	n, pn := len(a.items), len(a.prev)
	if a.fi.elem == KindRef {
		pn = len(a.prevID)
	}
	pre := 0
	for pre < n && pre < pn && a.same(pre, pre, enc) {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < pn-pre && a.same(n-1-suf, pn-1-suf, enc) {
		suf++
	}
	a.at, a.del, a.ins = pre, pn-pre-suf, n-pre-suf
	return a.del > 0 || a.ins > 0
}

// appendOp appends [ownerRef, fieldId, at, deleteCount, item...]: a splice.
// Entity items are whole entities when new, or a reference id when the
// entity was in the array before (it moved).
func (a *Array[V]) appendOp(b []byte, vw *View) []byte {
	b = mpack.AppendArrayHeader(b, 4+a.ins)
	b = mpack.AppendUint(b, uint64(a.h.owner.ref))
	b = mpack.AppendUint(b, uint64(a.h.id))
	b = mpack.AppendUint(b, uint64(a.at))
	b = mpack.AppendUint(b, uint64(a.del))
	enc := a.h.owner.enc
	for _, v := range a.items[a.at : a.at+a.ins] {
		if a.fi.elem == KindRef {
			if e := entityOf(v); e.born != enc.seq {
				b = mpack.AppendUint(b, uint64(e.ref))
			} else {
				b = appendEntity(b, e, vw)
			}
			continue
		}
		b = appendScalar(b, a.fi.elem, unsafe.Pointer(&v))
	}
	return b
}

func (a *Array[V]) clearLog() {
	a.queued = false
	if a.h.owner != nil && a.h.owner.enc != nil {
		a.remember()
	}
}

func (a *Array[V]) appendFull(b []byte, vw *View) []byte {
	b = mpack.AppendArrayHeader(b, len(a.items))
	for _, v := range a.items {
		if a.fi.elem == KindRef {
			b = appendEntity(b, entityOf(v), vw)
		} else {
			b = appendScalar(b, a.fi.elem, unsafe.Pointer(&v))
		}
	}
	return b
}

func (a *Array[V]) appendCanon(b []byte, vw *View) []byte {
	b = mpack.AppendArrayHeader(b, len(a.items))
	for _, v := range a.items {
		if a.fi.elem == KindRef {
			b = appendEntityCanon(b, entityOf(v), vw)
		} else {
			b = appendScalar(b, a.fi.elem, unsafe.Pointer(&v))
		}
	}
	return b
}
