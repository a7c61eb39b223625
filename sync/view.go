package statesync

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Group is a view group: a set of entities (or of private fields) that a
// client sees when its View holds the group. A game numbers its groups as it
// likes: a cell of a grid, a team, a seat. Public, group 0, is in every view.
type Group uint32

// Public is the group every View holds.
const Public Group = 0

// ErrView is wrapped by the errors of the view API.
var ErrView = errors.New("statesync: view")

// View is what one client sees of the state: the groups it holds. Entities
// with a view group (SetGroup) are visible to it when it holds their group;
// private fields (`sync:"name,private"`) when it holds their entity's owner
// group (SetOwner). Everything else is public. A View belongs to one Encoder
// and, like it, to the room goroutine.
//
// The encoder also remembers, per View, what its client was last sent (the
// groups, the tick): the frames for a View must be produced every tick, in
// order (AppendViewDelta or AppendViewSnapshot); a View that missed one
// needs a snapshot.
type View struct {
	enc        *Encoder
	cur, sent  []Group // sorted, without duplicates, both holding Public
	curMask    uint64  // bloom filters of cur and sent: bit g%64 (groupBit)
	sentMask   uint64
	curParts   []*viewSink // the encoder's part of each group in cur
	moved      bool        // cur may differ from sent
	tick, base uint32      // tick of the last frame; tick of the last non-empty one
	live       bool        // a frame was produced
	parts      bool        // the encoder's own view for shared parts: nothing grouped or private
}

// NewView returns a View holding groups (and Public). Creating a View turns
// the encoder's views on (ViewsOn).
func (enc *Encoder) NewView(groups ...Group) *View {
	enc.vs.on = true
	v := &View{enc: enc, cur: []Group{Public}, sent: []Group{Public}, sentMask: groupBit(Public)}
	v.Set(groups...)
	return v
}

func groupBit(g Group) uint64 { return 1 << (g & 63) }

func maskOf(gs []Group) uint64 {
	var m uint64
	for _, g := range gs {
		m |= groupBit(g)
	}
	return m
}

// hasCur and hasSent are Has on cur and sent with the bloom filter first.
func (v *View) hasCur(g Group) bool  { return v.curMask&groupBit(g) != 0 && has(v.cur, g) }
func (v *View) hasSent(g Group) bool { return v.sentMask&groupBit(g) != 0 && has(v.sent, g) }

// commitSent records cur as what v's client was sent.
func (v *View) commitSent() {
	if v.moved {
		v.sent = append(v.sent[:0], v.cur...)
		v.sentMask = v.curMask
		v.moved = false
	}
}

// Set replaces the view's groups with groups (and Public).
func (v *View) Set(groups ...Group) {
	v.cur = append(v.cur[:0], Public)
	v.cur = append(v.cur, groups...)
	slices.Sort(v.cur)
	v.cur = slices.Compact(v.cur)
	v.changed()
}

// changed updates what is derived from cur.
func (v *View) changed() {
	v.moved = true
	v.curMask = maskOf(v.cur)
	v.curParts = v.curParts[:0]
	for _, g := range v.cur {
		v.curParts = append(v.curParts, v.enc.part(g))
	}
}

// Add adds g to the view.
func (v *View) Add(g Group) {
	if i, found := slices.BinarySearch(v.cur, g); !found {
		v.cur = slices.Insert(v.cur, i, g)
		v.changed()
	}
}

// Remove removes g from the view (Public stays).
func (v *View) Remove(g Group) {
	if i, found := slices.BinarySearch(v.cur, g); found && g != Public {
		v.cur = slices.Delete(v.cur, i, i+1)
		v.changed()
	}
}

// Has reports whether the view holds g.
func (v *View) Has(g Group) bool { return has(v.cur, g) }

// Groups returns the view's groups, sorted (do not modify).
func (v *View) Groups() []Group { return v.cur }

// Base returns the tick of the last frame with changes produced for the
// view: the base of an ack-only delta (AppendEmptyDelta) sent to it.
func (v *View) Base() uint32 { return v.base }

func has(gs []Group, g Group) bool {
	if len(gs) <= 16 {
		for _, x := range gs {
			if x == g {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(gs, g)
	return found
}

// seesElem reports whether view v (nil: everything) sees map element e.
func (v *View) seesElem(e *Entity) bool {
	if v == nil || !e.grouped {
		return true
	}
	return !v.parts && has(v.cur, e.group)
}

// seesPrivate reports whether view v (nil: everything) sees e's private fields.
func (v *View) seesPrivate(e *Entity) bool {
	if v == nil {
		return true
	}
	return !v.parts && e.owner != 0 && has(v.cur, Group(e.owner-1))
}

// viewEntry is an entity with a view group while it is a map element: it
// reaches a client as a map set when it enters the client's view and as a
// map delete when it leaves.
type viewEntry struct {
	e        *Entity
	op       []byte // [owner, field, key (4-element op header and 3 values)
	group    Group
	in       bool // attached
	sentIn   bool // as of the last EncodeViews
	sentGrp  Group
	touched  bool // group or presence changed since the last EncodeViews
	pos      int  // index in members[group] while in
	sink     viewSink
	addTick  uint32 // addBuf holds the add op at this tick (no private fields)
	addValid bool
	addBuf   []byte
}

// before and after report whether view v saw the entry at the last frame
// and sees it now.
func (t *viewEntry) before(v *View) bool { return t.sentIn && v.hasSent(t.sentGrp) }
func (t *viewEntry) after(v *View) bool  { return t.in && v.hasCur(t.group) }

// viewSink collects the tokens of one part of a tick: patches and
// container ops, each part starting with its own mask.
type viewSink struct {
	buf    []byte
	tokens int
	mask   uint64
}

func (s *viewSink) reset() { s.buf, s.tokens, s.mask = s.buf[:0], 0, 0 }

// patch appends a patch of e's fields in mask; whole entities (ref fields)
// as vw sees them.
func (s *viewSink) patch(e *Entity, mask uint64, vw *View) {
	if s.mask != mask {
		s.mask = mask
		s.buf = mpack.AppendInt(s.buf, -int64(mask))
		s.tokens++
	}
	s.buf = mpack.AppendUint(s.buf, uint64(e.ref))
	fs := e.typ.fields
	for m := mask; m != 0; m &= m - 1 {
		s.buf = appendField(s.buf, e, &fs[trailingZeros(m)], vw)
	}
	s.tokens += 1 + bits.OnesCount64(mask)
}

// privSeg is one entity's private patch: seen by views holding the owner
// group and seeing the entity (vis nil: a public entity).
type privSeg struct {
	start, end, tokens int
	vis                *viewEntry
}

type privPart struct {
	owner uint32
	buf   []byte
	segs  []privSeg
}

type ownerMove struct {
	e    *Entity
	prev uint32 // owner as of the last EncodeViews
}

// viewState is the Encoder's view bookkeeping.
type viewState struct {
	on         bool
	anyPrivate bool
	curVis     *viewEntry
	bornPriv   []*Entity
	touched    []*viewEntry
	members    map[Group][]*viewEntry
	owned      map[uint32]map[*Entity]struct{}
	moves      []ownerMove
	parts      map[Group]*viewSink
	used       []*viewSink
	priv       map[uint32]*privPart
	usedPriv   []*privPart
	pub        viewSink
	partView   View
	tick, prev uint32
	seq        uint64 // enc.seq during the last EncodeViews
	scratch    []byte
	cls        []uint8 // per touched entry: wasSeen, isSeen (AppendViewDelta)
	fixes      []ownerFix
}

// ownerFix is a private-field patch for an entity whose private fields a
// view started or stopped seeing.
type ownerFix struct {
	e    *Entity
	sees bool
}

const (
	wasSeen uint8 = 1 << iota
	isSeen
)

// ViewsOn reports whether the state uses views: a type declares private
// fields, or SetGroup, SetOwner or NewView was called. Then frames must be
// made per View (EncodeViews, AppendViewDelta, AppendViewSnapshot) and
// EncodeDelta refuses to run.
func (enc *Encoder) ViewsOn() bool { return enc.vs.on }

// SetGroup gives entity e the view group g: e (with everything below it)
// is visible only to views holding g. e must be a Map element; call it
// before adding e to its map, and again whenever its group changes (a cell
// change: e leaves the views that lose it and enters, whole, those that
// gain it). Entities with a group cannot be nested below one another.
func (enc *Encoder) SetGroup(e interface{ syncEntity() *Entity }, g Group) error {
	ent := e.syncEntity()
	enc.vs.on = true
	switch {
	case ent.enc == nil:
		ent.grouped, ent.group = true, g
	case ent.enc != enc:
		return fmt.Errorf("%w: SetGroup of an entity of another encoder", ErrView)
	case ent.entry == nil:
		return fmt.Errorf("%w: SetGroup of an attached %s without a group: set the group before adding it to its map", ErrView, ent.typ.name)
	case ent.group != g:
		t := ent.entry
		enc.removeMember(t)
		ent.group, t.group = g, g
		enc.addMember(t)
		enc.touch(t)
	}
	return nil
}

// SetOwner makes g the group whose views see e's private fields
// (`sync:"name,private"`); without an owner nobody sees them (they read as
// zero values).
func (enc *Encoder) SetOwner(e interface{ syncEntity() *Entity }, g Group) {
	ent := e.syncEntity()
	enc.vs.on = true
	next := uint32(g) + 1
	if ent.owner == next {
		return
	}
	prev := ent.owner
	ent.owner = next
	if ent.enc == enc && ent.typ.privMask != 0 {
		if prev != 0 {
			enc.disown(ent, prev)
		}
		enc.own(ent, next)
		if ent.born != enc.seq && !slices.ContainsFunc(enc.vs.moves, func(m ownerMove) bool { return m.e == ent }) {
			enc.vs.moves = append(enc.vs.moves, ownerMove{e: ent, prev: prev})
		}
	}
}

func (enc *Encoder) own(e *Entity, owner uint32) {
	vs := &enc.vs
	if vs.owned == nil {
		vs.owned = map[uint32]map[*Entity]struct{}{}
	}
	set := vs.owned[owner]
	if set == nil {
		set = map[*Entity]struct{}{}
		vs.owned[owner] = set
	}
	set[e] = struct{}{}
}

func (enc *Encoder) disown(e *Entity, owner uint32) {
	if set := enc.vs.owned[owner]; set != nil {
		delete(set, e)
	}
}

func (enc *Encoder) newEntry(owner *Entity, fid uint8, keyKind Kind, key unsafe.Pointer, e *Entity) *viewEntry {
	op := mpack.AppendArrayHeader(nil, 4)
	op = mpack.AppendUint(op, uint64(owner.ref))
	op = mpack.AppendUint(op, uint64(fid))
	op = appendScalar(op, keyKind, key)
	t := &viewEntry{e: e, op: op, group: e.group, in: true}
	e.entry = t
	enc.addMember(t)
	enc.touch(t)
	return t
}

func (enc *Encoder) leaveEntry(t *viewEntry) {
	t.in = false
	enc.removeMember(t)
	enc.touch(t)
}

func (enc *Encoder) touch(t *viewEntry) {
	if !t.touched {
		t.touched = true
		enc.vs.touched = append(enc.vs.touched, t)
	}
}

func (enc *Encoder) addMember(t *viewEntry) {
	if enc.vs.members == nil {
		enc.vs.members = map[Group][]*viewEntry{}
	}
	l := enc.vs.members[t.group]
	t.pos = len(l)
	enc.vs.members[t.group] = append(l, t)
}

func (enc *Encoder) removeMember(t *viewEntry) {
	l := enc.vs.members[t.group]
	last := l[len(l)-1]
	l[t.pos] = last
	last.pos = t.pos
	l[len(l)-1] = nil
	enc.vs.members[t.group] = l[:len(l)-1]
}

// sinkOf returns the part that carries the tokens of entity e this tick.
func (enc *Encoder) sinkOf(e *Entity) *viewSink {
	vs := &enc.vs
	t := e.vis
	switch {
	case t == nil:
		return &vs.pub
	case t.touched:
		return &t.sink
	}
	s := enc.part(t.group)
	if s.tokens == 0 && len(s.buf) == 0 {
		vs.used = append(vs.used, s)
	}
	return s
}

// part returns (creating it once) the part of group g.
func (enc *Encoder) part(g Group) *viewSink {
	vs := &enc.vs
	s := vs.parts[g]
	if s == nil {
		if vs.parts == nil {
			vs.parts = map[Group]*viewSink{}
		}
		s = &viewSink{}
		vs.parts[g] = s
	}
	return s
}

// privPatch appends e's private fields in mask to its owner's part.
func (enc *Encoder) privPatch(e *Entity, mask uint64) {
	vs := &enc.vs
	p := vs.priv[e.owner]
	if p == nil {
		if vs.priv == nil {
			vs.priv = map[uint32]*privPart{}
		}
		p = &privPart{owner: e.owner}
		vs.priv[e.owner] = p
	}
	if len(p.segs) == 0 {
		vs.usedPriv = append(vs.usedPriv, p)
	}
	s := viewSink{buf: p.buf}
	start := len(s.buf)
	s.patch(e, mask, nil) // private fields are scalars
	p.buf = s.buf
	p.segs = append(p.segs, privSeg{start: start, end: len(p.buf), tokens: s.tokens, vis: e.vis})
}

// EncodeViews encodes tick's changes once, split into the parts views
// assemble their frames from: the public part, one part per view group,
// one per entity that changed group, one per owner of changed private
// fields. It clears the change set like EncodeDelta. Call it once per tick,
// then AppendViewDelta or AppendViewSnapshot for every View, then
// FinishViews.
func (enc *Encoder) EncodeViews(tick uint32) {
	vs := &enc.vs
	vs.on = true
	vs.prev, vs.tick = vs.tick, tick
	vs.seq = enc.seq
	vs.partView.parts = true
	for _, e := range enc.dirty {
		if e.enc != enc || e.born == enc.seq || e.dirty == 0 {
			continue
		}
		if pub := e.dirty &^ e.typ.privMask; pub != 0 {
			enc.sinkOf(e).patch(e, pub, &vs.partView)
		}
		if priv := e.dirty & e.typ.privMask; priv != 0 && e.owner != 0 {
			enc.privPatch(e, priv)
		}
	}
	for _, e := range vs.bornPriv {
		if e.enc == enc && e.born == enc.seq && e.owner != 0 {
			enc.privPatch(e, e.typ.privMask) // the add carried zeros
		}
	}
	clear(vs.bornPriv)
	vs.bornPriv = vs.bornPriv[:0]
	for _, c := range enc.conts {
		if c.prepare(enc) {
			s := enc.sinkOf(c.ownerEntity())
			s.buf = c.appendOp(s.buf, &vs.partView)
			s.tokens++
		}
	}
	enc.finishTick()
}

// FinishViews ends the tick begun by EncodeViews: entities that changed
// group or presence are now what every view was sent.
func (enc *Encoder) FinishViews() {
	vs := &enc.vs
	for _, t := range vs.touched {
		t.sentIn, t.sentGrp, t.touched = t.in, t.group, false
		t.sink.reset()
	}
	clear(vs.touched)
	vs.touched = vs.touched[:0]
	for _, s := range vs.used {
		s.reset()
	}
	clear(vs.used)
	vs.used = vs.used[:0]
	for _, p := range vs.usedPriv {
		p.buf, p.segs = p.buf[:0], p.segs[:0]
	}
	clear(vs.usedPriv)
	vs.usedPriv = vs.usedPriv[:0]
	vs.pub.reset()
	clear(vs.moves)
	vs.moves = vs.moves[:0]
}

// AppendViewSnapshot appends the state at tick as v sees it, in the
// snapshot format: grouped entities v does not hold are absent, private
// fields v may not see are zero values. Call it after EncodeViews(tick).
func (enc *Encoder) AppendViewSnapshot(dst []byte, v *View, tick uint32) []byte {
	dst = mpack.AppendArrayHeader(dst, 3)
	dst = mpack.AppendUint(dst, uint64(tick))
	dst = append(dst, enc.schemaB...)
	dst = appendEntity(dst, enc.root, v)
	v.commitSent()
	v.tick, v.base, v.live = tick, tick, true
	return dst
}

// ViewChecksum returns the checksum (Checksum) of the state as v sees it
// now: what a mirror fed v's frames holds.
func (enc *Encoder) ViewChecksum(v *View) uint64 {
	enc.canon = enc.AppendViewCanonical(enc.canon[:0], v)
	return fnv1a64(enc.canon)
}

// AppendViewCanonical appends the canonical encoding ViewChecksum hashes.
func (enc *Encoder) AppendViewCanonical(dst []byte, v *View) []byte {
	return appendEntityCanon(dst, enc.root, v)
}

// AppendViewDelta appends v's delta for tick, assembled from the parts
// EncodeViews encoded: the removals of entities that left v, the public
// part, the parts of v's groups, the private patches v may see, then the
// entities that entered v, whole. changed is false (and out == dst) when
// v gets no change. ok is false when v missed a frame since its last one:
// it needs AppendViewSnapshot.
func (enc *Encoder) AppendViewDelta(dst []byte, v *View, tick uint32) (out []byte, changed, ok bool) {
	vs := &enc.vs
	if v.enc != enc || !v.live || v.tick != vs.prev || tick != vs.tick {
		return dst, false, false
	}
	sc := vs.scratch[:0]
	n := 0
	// Where each entity that changed group or presence stands for v.
	cls := vs.cls[:0]
	for _, t := range vs.touched {
		var c uint8
		if t.before(v) {
			c |= wasSeen
		}
		if t.after(v) {
			c |= isSeen
		}
		cls = append(cls, c)
	}
	vs.cls = cls
	// Removals first: their owners are still there.
	for i, t := range vs.touched {
		if cls[i] == wasSeen {
			sc = appendRemove(sc, t)
			n++
		}
	}
	for _, g := range v.sent {
		if !v.moved {
			break // same groups as last frame
		}
		if v.hasCur(g) {
			continue
		}
		for _, t := range vs.members[g] {
			if !t.touched {
				sc = appendRemove(sc, t)
				n++
			}
		}
	}
	// Shared parts.
	sc, n = appendPart(sc, n, &vs.pub)
	for i, g := range v.cur {
		if s := v.curParts[i]; s.tokens > 0 && (!v.moved || v.hasSent(g)) {
			sc, n = appendPart(sc, n, s)
		}
	}
	for i, t := range vs.touched {
		if cls[i] == wasSeen|isSeen && t.sink.tokens > 0 {
			sc, n = appendPart(sc, n, &t.sink)
		}
	}
	for _, g := range v.cur {
		if len(vs.usedPriv) == 0 {
			break
		}
		p := vs.priv[uint32(g)+1]
		if p == nil || len(p.segs) == 0 {
			continue
		}
		for _, s := range p.segs {
			if s.vis == nil || (s.vis.before(v) && s.vis.after(v)) {
				sc = append(sc, p.buf[s.start:s.end]...)
				n += s.tokens
			}
		}
	}
	// Private fields whose visibility changed for v, on entities v keeps.
	sc, n = enc.appendOwnerChanges(sc, n, v)
	// Additions last: whole, as v sees them.
	for i, t := range vs.touched {
		if cls[i] == isSeen {
			sc = enc.appendAdd(sc, t, v)
			n++
		}
	}
	for _, g := range v.cur {
		if !v.moved {
			break
		}
		if v.hasSent(g) {
			continue
		}
		for _, t := range vs.members[g] {
			if !t.touched {
				sc = enc.appendAdd(sc, t, v)
				n++
			}
		}
	}
	vs.scratch = sc
	v.commitSent()
	v.tick = tick
	if n == 0 {
		return dst, false, true
	}
	dst = mpack.AppendArrayHeader(dst, 2+n)
	dst = mpack.AppendUint(dst, uint64(tick))
	dst = mpack.AppendUint(dst, uint64(tick-v.base))
	dst = append(dst, sc...)
	v.base = tick
	return dst, true, true
}

func appendPart(b []byte, n int, s *viewSink) ([]byte, int) {
	return append(b, s.buf...), n + s.tokens
}

func appendRemove(b []byte, t *viewEntry) []byte {
	return append(append(b, t.op...), 0xc0)
}

// appendAdd appends the op that adds t's entity whole, as v sees it. Without
// private fields in the state the bytes are the same for every view and
// encoded once per tick.
func (enc *Encoder) appendAdd(b []byte, t *viewEntry, v *View) []byte {
	b = append(b, t.op...)
	if enc.vs.anyPrivate {
		return appendEntity(b, t.e, v)
	}
	if !t.addValid || t.addTick != enc.vs.tick {
		t.addBuf = appendEntity(t.addBuf[:0], t.e, nil)
		t.addTick, t.addValid = enc.vs.tick, true
	}
	return append(b, t.addBuf...)
}

// appendOwnerChanges appends patches of the private fields of entities v
// kept in view but whose private visibility changed: v gained or lost
// their owner group, or their owner changed.
func (enc *Encoder) appendOwnerChanges(b []byte, n int, v *View) ([]byte, int) {
	vs := &enc.vs
	if !vs.anyPrivate {
		return b, n
	}
	kept := func(e *Entity) bool {
		if e.enc != enc || e.born == vs.seq {
			return false
		}
		return e.vis == nil || (e.vis.before(v) && e.vis.after(v))
	}
	fix := func(e *Entity, sees bool) {
		b = mpack.AppendInt(b, -int64(e.typ.privMask))
		b = mpack.AppendUint(b, uint64(e.ref))
		fs := e.typ.fields
		for m := e.typ.privMask; m != 0; m &= m - 1 {
			fi := &fs[trailingZeros(m)]
			if sees {
				b = appendField(b, e, fi, nil)
			} else {
				b = appendZero(b, fi.kind)
			}
		}
		n += 2 + bits.OnesCount64(e.typ.privMask)
	}
	moved := func(e *Entity) bool {
		for _, m := range vs.moves {
			if m.e == e {
				return true
			}
		}
		return false
	}
	fixes := vs.fixes[:0]
	for owner, set := range vs.owned {
		g := Group(owner - 1)
		was, is := v.hasSent(g), v.hasCur(g)
		if was == is {
			continue
		}
		for e := range set {
			if kept(e) && !moved(e) {
				fixes = append(fixes, ownerFix{e, is})
			}
		}
	}
	for _, m := range vs.moves {
		was := m.prev != 0 && v.hasSent(Group(m.prev-1))
		is := m.e.owner != 0 && v.hasCur(Group(m.e.owner-1))
		if was != is && kept(m.e) {
			fixes = append(fixes, ownerFix{m.e, is})
		}
	}
	slices.SortFunc(fixes, func(a, b ownerFix) int { return int(a.e.ref) - int(b.e.ref) }) // deterministic bytes
	for _, f := range fixes {
		fix(f.e, f.sees)
	}
	clear(fixes)
	vs.fixes = fixes[:0]
	return b, n
}
