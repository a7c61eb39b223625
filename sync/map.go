package statesync

import (
	"cmp"
	"iter"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Map is a tracked map. K is string or an integer type; V is a pointer to an
// entity struct (Map[string, *Player]) or a scalar type (bool, integers,
// floats, string). Iteration order (Range, snapshots) is deterministic: the
// order of insertion, except that Delete moves the last entry into the hole.
//
// A delta carries, per changed key, the new value (entities whole) or nil
// for a removal; changes inside an entity stored in the map are sent as that
// entity's own patch, not through the map.
type Map[K comparable, V comparable] struct {
	h      fieldHead
	fi     *fieldInfo
	m      map[K]*mapSlot[K, V]
	slots  []*mapSlot[K, V]
	log    []*mapSlot[K, V]
	queued bool
	nops   int
}

type mapSlot[K comparable, V comparable] struct {
	key     K
	val     V
	pos     int
	logged  bool // in log
	fresh   bool // added since the last delta
	removed bool
}

func (*Map[K, V]) describe() compositeDesc {
	return compositeDesc{kind: KindMap, key: reflect.TypeFor[K](), elem: reflect.TypeFor[V](),
		acc: func(p unsafe.Pointer) composite { return (*Map[K, V])(p) }}
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int { return len(m.slots) }

// Get returns the value stored under k.
func (m *Map[K, V]) Get(k K) (V, bool) {
	if s := m.m[k]; s != nil {
		return s.val, true
	}
	var zero V
	return zero, false
}

// Range calls f for each entry in iteration order until f returns false.
// f must not add or delete entries.
func (m *Map[K, V]) Range(f func(k K, v V) bool) {
	for _, s := range m.slots {
		if !f(s.key, s.val) {
			return
		}
	}
}

// All returns an iterator over the entries in iteration order, for
// `for k, v := range m.All()`. The loop body must not add or delete entries.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) { m.Range(yield) }
}

// isEntityElem reports whether V is a pointer to an entity struct (a type
// assertion on V's zero value; no reflection).
func isEntityElem[V any]() bool {
	var v V
	_, ok := any(v).(tracked)
	return ok
}

// Set stores v under k. For entity values, v is attached and a previous
// value under k is detached; v must not be nil. Storing the current value is
// not a change.
func (m *Map[K, V]) Set(k K, v V) {
	entity := isEntityElem[V]()
	if entity && entityOf(v) == nil {
		panic("statesync: Map.Set of a nil entity (use Delete)")
	}
	enc := m.h.encoder()
	if s := m.m[k]; s != nil {
		if s.val == v {
			return
		}
		if entity && entityOf(s.val).grouped != entityOf(v).grouped {
			// One travels per view, the other in the shared op: a
			// removal and a fresh add keep both paths right.
			mustBeFree(entityOf(v))
			m.Delete(k)
			m.Set(k, v)
			return
		}
		if entity && enc != nil {
			mustBeFree(entityOf(v))
		}
		if entity && enc != nil {
			enc.detach(entityOf(s.val))
		}
		s.val = v
		if entity && enc != nil {
			enc.attachElem(m.h.owner, m.h.id, m.fi.key, unsafe.Pointer(&k), entityOf(v), m.fi.elemTyp)
		}
		if enc != nil {
			m.logSlot(enc, s)
		}
		return
	}
	if m.m == nil {
		m.m = make(map[K]*mapSlot[K, V])
	}
	s := &mapSlot[K, V]{key: k, val: v, pos: len(m.slots)}
	m.m[k] = s
	m.slots = append(m.slots, s)
	if enc != nil {
		if entity {
			enc.attachElem(m.h.owner, m.h.id, m.fi.key, unsafe.Pointer(&k), entityOf(v), m.fi.elemTyp)
		}
		s.fresh = true
		m.logSlot(enc, s)
	}
}

// Delete removes k and reports whether it was present. An entity value is
// detached (the game may keep it, and may attach it again elsewhere).
func (m *Map[K, V]) Delete(k K) bool {
	s := m.m[k]
	if s == nil {
		return false
	}
	delete(m.m, k)
	last := m.slots[len(m.slots)-1]
	m.slots[s.pos] = last
	last.pos = s.pos
	m.slots[len(m.slots)-1] = nil
	m.slots = m.slots[:len(m.slots)-1]
	s.removed = true
	if enc := m.h.encoder(); enc != nil {
		if isEntityElem[V]() {
			enc.detach(entityOf(s.val))
		}
		if !s.fresh {
			m.logSlot(enc, s)
		}
	}
	return true
}

// Clear deletes every entry.
func (m *Map[K, V]) Clear() {
	for len(m.slots) > 0 {
		m.Delete(m.slots[len(m.slots)-1].key)
	}
}

func (m *Map[K, V]) logSlot(enc *Encoder, s *mapSlot[K, V]) {
	if !s.logged {
		s.logged = true
		m.log = append(m.log, s)
	}
	if !m.queued {
		m.queued = true
		enc.conts = append(enc.conts, m)
	}
}

func (m *Map[K, V]) bindField(fi *fieldInfo) { m.fi = fi }

func (m *Map[K, V]) ownerEntity() *Entity { return m.h.owner }

func (m *Map[K, V]) attachChildren(enc *Encoder) {
	m.resetLog()
	if m.fi.elem == KindRef {
		for _, s := range m.slots {
			enc.attachElem(m.h.owner, m.h.id, m.fi.key, unsafe.Pointer(&s.key), entityOf(s.val), m.fi.elemTyp)
		}
	}
}

func (m *Map[K, V]) detachChildren(enc *Encoder) {
	if m.fi.elem == KindRef {
		for _, s := range m.slots {
			enc.detach(entityOf(s.val))
		}
	}
}

// emits reports whether logged slot s produces an entry in this tick's op.
func (m *Map[K, V]) emits(s *mapSlot[K, V]) bool {
	if m.fi.elem == KindRef && entityOf(s.val).grouped {
		return false // sent per view (view.go), never in the shared op
	}
	if !s.removed {
		return true
	}
	if s.fresh {
		return false // added and removed within the tick
	}
	ns, back := m.m[s.key] // removed, then added again: the new value says it all
	return !back || (m.fi.elem == KindRef && entityOf(ns.val).grouped)
}

func (m *Map[K, V]) prepare(enc *Encoder) bool {
	m.nops = 0
	if o := m.h.owner; o == nil || o.enc != enc || o.born == enc.seq {
		return false
	}
	for _, s := range m.log {
		if m.emits(s) {
			m.nops++
		}
	}
	return m.nops > 0
}

// appendOp appends [ownerRef, fieldId, key, value, key, value, ...] where a
// nil value removes the key.
func (m *Map[K, V]) appendOp(b []byte, vw *View) []byte {
	b = mpack.AppendArrayHeader(b, 2+2*m.nops)
	b = mpack.AppendUint(b, uint64(m.h.owner.ref))
	b = mpack.AppendUint(b, uint64(m.h.id))
	for _, s := range m.log {
		if !m.emits(s) {
			continue
		}
		b = appendScalar(b, m.fi.key, unsafe.Pointer(&s.key))
		if s.removed {
			b = append(b, 0xc0)
		} else {
			b = m.appendElem(b, s.val, vw)
		}
	}
	return b
}

func (m *Map[K, V]) appendElem(b []byte, v V, vw *View) []byte {
	if m.fi.elem == KindRef {
		return appendEntity(b, entityOf(v), vw)
	}
	return appendScalar(b, m.fi.elem, unsafe.Pointer(&v))
}

func (m *Map[K, V]) clearLog() {
	m.resetLog()
	m.queued = false
}

func (m *Map[K, V]) resetLog() {
	for _, s := range m.log {
		s.logged, s.fresh = false, false
	}
	clear(m.log)
	m.log = m.log[:0]
}

func (m *Map[K, V]) appendFull(b []byte, vw *View) []byte {
	b = mpack.AppendMapHeader(b, m.visibleLen(vw))
	for _, s := range m.slots {
		if m.visible(s, vw) {
			b = appendScalar(b, m.fi.key, unsafe.Pointer(&s.key))
			b = m.appendElem(b, s.val, vw)
		}
	}
	return b
}

// visible reports whether view vw (nil: everything) sees slot s: an entity
// element with a view group is seen only by views holding that group.
func (m *Map[K, V]) visible(s *mapSlot[K, V], vw *View) bool {
	return vw == nil || m.fi.elem != KindRef || vw.seesElem(entityOf(s.val))
}

// visibleLen counts the entries view vw sees.
func (m *Map[K, V]) visibleLen(vw *View) int {
	if vw == nil || m.fi.elem != KindRef {
		return len(m.slots)
	}
	n := 0
	for _, s := range m.slots {
		if m.visible(s, vw) {
			n++
		}
	}
	return n
}

func (m *Map[K, V]) appendCanon(b []byte, vw *View) []byte {
	sorted := slices.Clone(m.slots)
	kk := m.fi.key
	slices.SortFunc(sorted, func(a, c *mapSlot[K, V]) int {
		return compareKeys(kk, unsafe.Pointer(&a.key), unsafe.Pointer(&c.key))
	})
	b = mpack.AppendMapHeader(b, m.visibleLen(vw))
	for _, s := range sorted {
		if !m.visible(s, vw) {
			continue
		}
		b = appendScalar(b, kk, unsafe.Pointer(&s.key))
		if m.fi.elem == KindRef {
			b = appendEntityCanon(b, entityOf(s.val), vw)
		} else {
			b = appendScalar(b, m.fi.elem, unsafe.Pointer(&s.val))
		}
	}
	return b
}

// compareKeys orders map keys canonically: strings bytewise, integers
// numerically.
func compareKeys(k Kind, a, b unsafe.Pointer) int {
	switch k {
	case KindString:
		return strings.Compare(*(*string)(a), *(*string)(b))
	case KindInt8:
		return cmp.Compare(*(*int8)(a), *(*int8)(b))
	case KindInt16:
		return cmp.Compare(*(*int16)(a), *(*int16)(b))
	case KindInt32:
		return cmp.Compare(*(*int32)(a), *(*int32)(b))
	case KindInt64:
		return cmp.Compare(*(*int64)(a), *(*int64)(b))
	case KindUint8:
		return cmp.Compare(*(*uint8)(a), *(*uint8)(b))
	case KindUint16:
		return cmp.Compare(*(*uint16)(a), *(*uint16)(b))
	case KindUint32:
		return cmp.Compare(*(*uint32)(a), *(*uint32)(b))
	default:
		return cmp.Compare(*(*uint64)(a), *(*uint64)(b))
	}
}
