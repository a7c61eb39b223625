package statesync

import (
	"reflect"
	"unsafe"
)

// composite is implemented by Ref, Map and Array.
type composite interface {
	// bindField gives the field its registration info (at owner attach).
	bindField(fi *fieldInfo)
	// attachChildren attaches the entities the field holds and resets its
	// change log (the owner is new, so it is sent whole).
	attachChildren(enc *Encoder)
	// detachChildren detaches the entities the field holds.
	detachChildren(enc *Encoder)
	// appendFull appends the field's whole value (snapshot form).
	appendFull(b []byte, vw *View) []byte
	// appendCanon appends the field's canonical form (for checksums).
	appendCanon(b []byte, vw *View) []byte
}

// container is a Map or Array with changes queued for the next delta.
type container interface {
	// prepare computes this tick's op and reports whether there is one.
	prepare(enc *Encoder) bool
	// appendOp appends the op prepared by prepare.
	appendOp(b []byte, vw *View) []byte
	// ownerEntity returns the entity holding the container.
	ownerEntity() *Entity
	// clearLog forgets this tick's changes.
	clearLog()
}

// Ref is a tracked reference to a nested entity, or nil. T is a pointer to a
// struct embedding Entity, e.g. Ref[*Weapon].
type Ref[T comparable] struct {
	h  fieldHead
	fi *fieldInfo
	v  T
}

func (*Ref[T]) describe() compositeDesc {
	return compositeDesc{kind: KindRef, elem: reflect.TypeFor[T](),
		acc: func(p unsafe.Pointer) composite { return (*Ref[T])(p) }}
}

// Get returns the referenced entity (nil if none).
func (f *Ref[T]) Get() T { return f.v }

// Set makes f refer to v (which may be nil). The previous entity, if any, is
// detached; v is attached. Setting the current entity is not a change.
func (f *Ref[T]) Set(v T) {
	if f.v == v {
		return
	}
	enc := f.h.encoder()
	if enc != nil {
		mustBeFree(entityOf(v))
		if old := entityOf(f.v); old != nil {
			enc.detach(old)
		}
	}
	f.v = v
	if enc != nil {
		if e := entityOf(v); e != nil {
			enc.attachUnder(f.h.owner, e, f.fi.elemTyp)
		}
	}
	f.h.mark()
}

func (f *Ref[T]) bindField(fi *fieldInfo) { f.fi = fi }

func (f *Ref[T]) attachChildren(enc *Encoder) {
	if e := entityOf(f.v); e != nil {
		enc.attachUnder(f.h.owner, e, f.fi.elemTyp)
	}
}

func (f *Ref[T]) detachChildren(enc *Encoder) {
	if e := entityOf(f.v); e != nil {
		enc.detach(e)
	}
}

func (f *Ref[T]) appendFull(b []byte, vw *View) []byte {
	if e := entityOf(f.v); e != nil {
		return appendEntity(b, e, vw)
	}
	return append(b, 0xc0)
}

func (f *Ref[T]) appendCanon(b []byte, vw *View) []byte {
	if e := entityOf(f.v); e != nil {
		return appendEntityCanon(b, e, vw)
	}
	return append(b, 0xc0)
}
