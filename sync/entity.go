package statesync

import (
	"math/bits"
	"unsafe"
)

// Entity is the tracking hook every replicated struct embeds (by value):
//
//	type Player struct {
//		statesync.Entity
//		X, Y statesync.Float32
//		HP   statesync.Uint8
//	}
//
// An entity is attached when it becomes reachable from an Encoder's root
// (given to NewEncoder, stored in a Map, Array or Ref of an attached
// entity) and detached when it is removed. It can be attached in one place
// at a time. While attached it has a reference id that deltas use to
// address it; its field changes are recorded in O(1) per Set.
//
// Entity's methods are for diagnostics; games use the fields.
type Entity struct {
	enc   *Encoder
	typ   *typeInfo
	base  unsafe.Pointer // start of the user's struct
	ref   uint32
	dirty uint64 // changed scalar/ref fields since the last delta
	born  uint64 // enc.seq when attached: equal to enc.seq means "new since the last delta"

	// Views (view.go).
	grouped bool       // has a view group (Encoder.SetGroup)
	group   Group      // the view group, when grouped
	owner   uint32     // owner group + 1 of the private fields; 0: nobody
	entry   *viewEntry // while attached as a grouped map element
	vis     *viewEntry // the entry of the nearest grouped ancestor-or-self; nil: public
}

// tracked is implemented by every struct that embeds Entity.
type tracked interface{ syncEntity() *Entity }

func (e *Entity) syncEntity() *Entity { return e }

// Attached reports whether the entity is part of an Encoder's state.
func (e *Entity) Attached() bool { return e.enc != nil }

// RefID returns the id deltas use for this entity while it is attached.
func (e *Entity) RefID() uint32 { return e.ref }

// markField records that scalar or ref field id changed.
func (e *Entity) markField(id uint8) {
	enc := e.enc
	if enc == nil || e.born == enc.seq {
		return // not replicated, or new: it will be sent whole
	}
	if e.dirty == 0 {
		enc.dirty = append(enc.dirty, e)
	}
	e.dirty |= 1 << id
}

// fieldPtr returns the address of field fi inside e's struct.
func (e *Entity) fieldPtr(fi *fieldInfo) unsafe.Pointer {
	return unsafe.Add(e.base, fi.off)
}

// entityOf returns the Entity embedded in v, or nil if v is a nil pointer.
// v must be a pointer to a struct embedding Entity (checked at registration).
func entityOf[V any](v V) *Entity {
	if *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil {
		return nil
	}
	return any(v).(tracked).syncEntity()
}

// mustBeFree panics if e is already attached: called before a container
// changes anything, so that a misuse leaves the state as it was.
func mustBeFree(e *Entity) {
	if e != nil && e.enc != nil {
		panic("statesync: entity is already attached (an entity can be in one place at a time; remove it first)")
	}
}

// attach makes e (whose struct is described by ti) part of enc's state:
// assigns it a reference id, binds its fields and attaches its children.
func (enc *Encoder) attach(e *Entity, ti *typeInfo) {
	if e.enc != nil {
		panic("statesync: entity of type " + ti.name + " is already attached (an entity can be in one place at a time)")
	}
	e.enc = enc
	e.typ = ti
	if e.grouped && e.entry == nil {
		panic("statesync: an entity of type " + ti.name + " with a view group (SetGroup) must be held by a Map")
	}
	e.vis = enc.vs.curVis
	if ti.privMask != 0 {
		enc.vs.bornPriv = append(enc.vs.bornPriv, e)
		if e.owner != 0 {
			enc.own(e, e.owner)
		}
	}
	e.base = unsafe.Add(unsafe.Pointer(e), -int(ti.entityOff))
	e.ref = enc.allocRef()
	e.born = enc.seq
	e.dirty = 0
	for i := range ti.fields {
		fi := &ti.fields[i]
		p := e.fieldPtr(fi)
		h := (*fieldHead)(p)
		h.owner = e
		h.id = fi.id
		switch fi.kind {
		case KindFixed:
			(*Fixed)(p).bindQuant(fi.q)
		case KindFixed2:
			(*Fixed2)(p).bindQuant(fi.q)
		case KindRef, KindMap, KindArray:
			c := fi.acc(p)
			c.bindField(fi)
			c.attachChildren(enc)
		}
	}
}

// detach removes e (and everything below it) from enc's state.
func (enc *Encoder) detach(e *Entity) {
	if e.enc != enc {
		return
	}
	e.enc = nil
	enc.pending = append(enc.pending, e.ref)
	e.vis = nil
	if e.entry != nil {
		enc.leaveEntry(e.entry)
		e.entry = nil
	}
	if e.owner != 0 && e.typ.privMask != 0 {
		enc.disown(e, e.owner)
	}
	ti := e.typ
	for i := range ti.fields {
		fi := &ti.fields[i]
		switch fi.kind {
		case KindRef, KindMap, KindArray:
			fi.acc(e.fieldPtr(fi)).detachChildren(enc)
		}
	}
}

// attachUnder attaches e (not a map element) below owner.
func (enc *Encoder) attachUnder(owner, e *Entity, ti *typeInfo) {
	prev := enc.vs.curVis
	enc.vs.curVis = owner.vis
	enc.attach(e, ti)
	enc.vs.curVis = prev
}

// attachElem attaches e as the element under key (encoded) of field fid of
// owner's map: a grouped entity gets a view entry and its subtree travels
// per view.
func (enc *Encoder) attachElem(owner *Entity, fid uint8, keyKind Kind, key unsafe.Pointer, e *Entity, ti *typeInfo) {
	prev := enc.vs.curVis
	enc.vs.curVis = owner.vis
	if e.grouped && e.enc == nil {
		if owner.vis != nil {
			panic("statesync: an entity with a view group (SetGroup) cannot be held below another one")
		}
		enc.vs.curVis = enc.newEntry(owner, fid, keyKind, key, e)
	}
	enc.attach(e, ti)
	enc.vs.curVis = prev
}

// allocRef returns a free reference id: the last one freed or, once views
// are on, the lowest one. In a big world whose players come and go the
// ids in use then converge on the lowest ones (ids below 128 take 1 byte
// on the wire, below 256 2, below 65 536 3: msgpack), where the last-freed
// order keeps reusing whatever ids were freed last, however high. (Without
// views the order stays as it was, so that their bytes do not move.) Ids
// released during a tick become free only after the next delta, so a
// delta never reuses an id it frees.
func (enc *Encoder) allocRef() uint32 {
	if enc.freeHeap && len(enc.free) > 0 {
		return enc.popFree()
	}
	if n := len(enc.free); n > 0 {
		r := enc.free[n-1]
		enc.free = enc.free[:n-1]
		return r
	}
	r := enc.nextRef
	enc.nextRef++
	return r
}

// pushFree adds r to the min-heap of free ids.
func (enc *Encoder) pushFree(r uint32) {
	h := append(enc.free, r)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	enc.free = h
}

// popFree removes and returns the lowest id of the min-heap of free ids
// (not empty).
func (enc *Encoder) popFree() uint32 {
	h := enc.free
	r, n := h[0], len(h)-1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		m := 2*i + 1
		if m >= n {
			break
		}
		if m+1 < n && h[m+1] < h[m] {
			m++
		}
		if h[i] <= h[m] {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	enc.free = h
	return r
}

// encoder returns the Encoder the owner of h is attached to, or nil.
func (h *fieldHead) encoder() *Encoder {
	if h.owner == nil {
		return nil
	}
	return h.owner.enc
}

func popcount(m uint64) int { return bits.OnesCount64(m) }

func trailingZeros(m uint64) int { return bits.TrailingZeros64(m) }
