package statesync

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/roomcast/roomcast/codec/mpack"
)

// EncoderOptions configures an Encoder. The zero value is ready to use.
type EncoderOptions struct{}

// Encoder tracks one room's state and encodes its snapshots and deltas.
// It is owned by the room goroutine: neither it nor the state it tracks may
// be used from two goroutines at once.
type Encoder struct {
	root    *Entity
	reg     registry
	schema  *Schema
	schemaB []byte // encoded schema, appended to every snapshot

	seq      uint64    // number of deltas encoded + 1; entities born at seq are new
	base     uint32    // tick of the last non-empty delta
	dirty    []*Entity // entities with changed fields since the last delta
	conts    []container
	nextRef  uint32
	free     []uint32 // reusable reference ids: a stack, or once views are on a min-heap (allocRef)
	freeHeap bool     // free is a min-heap
	pending  []uint32 // released since the last delta: reusable after it
	canon    []byte   // Checksum's scratch buffer
	vs       viewState
}

// NewEncoder starts tracking root, a pointer to a struct that embeds
// Entity. It registers (by reflection, once) root's type and every entity
// type reachable from it, and attaches root and everything below it; root
// gets reference id 0. The state as it is now is the base of the first
// delta: a snapshot encoded before any delta describes it.
func NewEncoder(root any, opts EncoderOptions) (*Encoder, error) {
	enc := &Encoder{
		seq: 1,
		reg: registry{byType: map[reflect.Type]*typeInfo{}, names: map[string]reflect.Type{}},
	}
	t := reflect.TypeOf(root)
	if t == nil {
		return nil, fmt.Errorf("%w: nil root", ErrSchema)
	}
	ti, err := enc.reg.typeOf(t)
	if err != nil {
		return nil, err
	}
	r := reflect.ValueOf(root)
	if r.IsNil() {
		return nil, fmt.Errorf("%w: nil root", ErrSchema)
	}
	enc.schema = enc.reg.schema()
	enc.schemaB = appendSchema(nil, enc.schema)
	enc.root = root.(tracked).syncEntity()
	enc.vs.partView.parts = true
	for _, t := range enc.reg.types {
		if t.privMask != 0 {
			enc.vs.on, enc.vs.anyPrivate = true, true
		}
	}
	enc.attach(enc.root, ti)
	enc.seq++ // what exists now is the base, not news
	return enc, nil
}

// Schema returns the state's schema (do not modify it).
func (enc *Encoder) Schema() *Schema { return enc.schema }

// EncodeSnapshot appends the whole state at tick to dst:
// [tick, schema, rootEntity] (PROTOCOL.md (State replication)). It does not affect the
// changes pending for the next delta. Within a tick, encode the delta first:
// a snapshot encoded before EncodeDelta(dst, tick) already contains that
// tick's changes and a mirror will refuse the delta.
func (enc *Encoder) EncodeSnapshot(dst []byte, tick uint32) []byte {
	dst = mpack.AppendArrayHeader(dst, 3)
	dst = mpack.AppendUint(dst, uint64(tick))
	dst = append(dst, enc.schemaB...)
	if enc.vs.on {
		return appendEntity(dst, enc.root, &enc.vs.partView) // only what every view sees
	}
	return appendEntity(dst, enc.root, nil)
}

// EncodeDelta appends to dst what changed since the previous delta and
// clears the change set. If nothing changed it returns dst unchanged and
// false, and the next delta still starts from the previous one (the
// delta's base tick is the tick of the last delta that changed something).
//
// Layout: [tick, tick-base, token...] (PROTOCOL.md (State replication)). Ticks must
// increase from one changed delta to the next.
func (enc *Encoder) EncodeDelta(dst []byte, tick uint32) (out []byte, changed bool) {
	if enc.vs.on {
		panic("statesync: EncodeDelta on a state with views (ViewsOn): use EncodeViews and AppendViewDelta")
	}
	n := 2
	var mask uint64
	for _, e := range enc.dirty {
		if e.enc != enc || e.born == enc.seq || e.dirty == 0 {
			continue
		}
		if e.dirty != mask {
			mask = e.dirty
			n++
		}
		n += 1 + popcount(e.dirty)
	}
	ops := 0 // containers with an op are moved to the front of conts
	for i, c := range enc.conts {
		if c.prepare(enc) {
			enc.conts[i], enc.conts[ops] = enc.conts[ops], c
			ops++
		}
	}
	n += ops
	if n > 2 {
		dst = mpack.AppendArrayHeader(dst, n)
		dst = mpack.AppendUint(dst, uint64(tick))
		dst = mpack.AppendUint(dst, uint64(tick-enc.base))
		mask = 0
		for _, e := range enc.dirty {
			if e.enc != enc || e.born == enc.seq || e.dirty == 0 {
				continue
			}
			if e.dirty != mask {
				mask = e.dirty
				dst = mpack.AppendInt(dst, -int64(mask))
			}
			dst = mpack.AppendUint(dst, uint64(e.ref))
			fs := e.typ.fields
			for m := mask; m != 0; m &= m - 1 {
				dst = appendField(dst, e, &fs[trailingZeros(m)], nil)
			}
		}
		for _, c := range enc.conts[:ops] {
			dst = c.appendOp(dst, nil)
		}
		enc.base = tick
	}
	enc.finishTick()
	return dst, n > 2
}

// finishTick clears the change set after a delta.
func (enc *Encoder) finishTick() {
	for _, e := range enc.dirty {
		e.dirty = 0
	}
	clear(enc.dirty)
	enc.dirty = enc.dirty[:0]
	for _, c := range enc.conts {
		c.clearLog()
	}
	clear(enc.conts)
	enc.conts = enc.conts[:0]
	if len(enc.pending) > 0 {
		if enc.vs.on && !enc.freeHeap {
			slices.Sort(enc.free) // sorted is a min-heap
			enc.freeHeap = true
		}
		if enc.freeHeap {
			for _, r := range enc.pending {
				enc.pushFree(r)
			}
		} else {
			enc.free = append(enc.free, enc.pending...)
		}
		enc.pending = enc.pending[:0]
	}
	enc.seq++
}

// AppendEmptyDelta appends a delta that changes nothing: [tick, tick-base]
// with no tokens (PROTOCOL.md, "State replication"), which a Mirror applies
// as "no change, now at tick". base is the tick of the last delta that
// changed something (0 before any); it must be below tick. A room sends
// one when only a recipient's input ack moved.
func AppendEmptyDelta(dst []byte, tick, base uint32) []byte {
	dst = mpack.AppendArrayHeader(dst, 2)
	dst = mpack.AppendUint(dst, uint64(tick))
	return mpack.AppendUint(dst, uint64(tick-base))
}

// EncodeEmptyDelta appends an empty delta at tick chained to the last
// delta EncodeDelta wrote with changes (AppendEmptyDelta). Call it after
// an EncodeDelta(dst, tick) that reported no change; it does not touch
// the change set.
func (enc *Encoder) EncodeEmptyDelta(dst []byte, tick uint32) []byte {
	return AppendEmptyDelta(dst, tick, enc.base)
}
