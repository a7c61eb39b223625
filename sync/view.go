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
// order (AppendViewDelta, ShareViewDelta or AppendViewSnapshot); a View
// that missed one needs a snapshot.
type View struct {
	enc        *Encoder
	cur, sent  []Group // sorted, without duplicates, both holding Public
	curMask    uint64  // bloom filters of cur and sent: bit g%64 (groupBit)
	sentMask   uint64
	curGS      []*groupState // the encoder's state of each group in cur
	sentGS     []*groupState // and in sent
	moved      bool          // cur may differ from sent
	tick, base uint32        // tick of the last frame; tick of the last non-empty one
	live       bool          // a frame was produced
	key        uint64        // hash of cur and sent (frameKey), valid while keyOK
	keyOK      bool
	parts      bool // the encoder's own view for shared parts: nothing grouped or private
}

// NewView returns a View holding groups (and Public). Creating a View turns
// the encoder's views on (ViewsOn).
func (enc *Encoder) NewView(groups ...Group) *View {
	enc.vs.on = true
	v := &View{enc: enc, cur: []Group{Public}, sent: []Group{Public}, sentMask: groupBit(Public),
		sentGS: []*groupState{enc.group(Public)}}
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
		v.sentGS = append(v.sentGS[:0], v.curGS...)
		v.keyOK = false
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
	v.keyOK = false
	v.curMask = maskOf(v.cur)
	v.curGS = v.curGS[:0]
	for _, g := range v.cur {
		v.curGS = append(v.curGS, v.enc.group(g))
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
	gs       *groupState // the state of group
	in       bool        // attached
	sentIn   bool        // as of the last EncodeViews
	sentGrp  Group
	sentGS   *groupState
	touched  bool // group or presence changed since the last EncodeViews
	pos      int  // index in gs.members while in
	sink     viewSink
	addTick  uint32 // addBuf holds the add op at this tick (no private fields)
	addValid bool
	addBuf   []byte
}

// before and after report whether view v saw the entry at the last frame
// and sees it now.
func (t *viewEntry) before(v *View) bool { return t.sentIn && v.hasSent(t.sentGrp) }
func (t *viewEntry) after(v *View) bool  { return t.in && v.hasCur(t.group) }

// groupState is the encoder's bookkeeping of one view group: its entries,
// and this tick's part of it (the patches and container ops of its
// entries, the entries that arrived in it or departed from it, the
// private patches its views see as their owner).
type groupState struct {
	members []*viewEntry
	sink    viewSink
	arrive  []*viewEntry // touched entries now in the group
	depart  []*viewEntry // touched entries that were in it at the last frame
	owned   map[*Entity]struct{}
	priv    privPart
	used    bool // listed in viewState.used
}

// viewSink collects the tokens of one part of a tick: patches and
// container ops. A part that starts with a mask records it (first, lead:
// the mask and its token's length) so that a frame in which the same mask
// is already in force leaves it out.
type viewSink struct {
	buf    []byte
	tokens int
	mask   uint64 // the mask in force at the end of buf (0: none)
	first  uint64
	lead   int
}

func (s *viewSink) reset() { *s = viewSink{buf: s.buf[:0]} }

// patch appends a patch of e's fields in mask; whole entities (ref fields)
// as vw sees them.
func (s *viewSink) patch(e *Entity, mask uint64, vw *View) {
	if s.mask != mask {
		s.mask = mask
		start := len(s.buf)
		s.buf = mpack.AppendInt(s.buf, -int64(mask))
		if s.tokens == 0 {
			s.first, s.lead = mask, len(s.buf)-start
		}
		s.tokens++
	}
	s.buf = mpack.AppendUint(s.buf, uint64(e.ref))
	fs := e.typ.fields
	for m := mask; m != 0; m &= m - 1 {
		s.buf = appendField(s.buf, e, &fs[trailingZeros(m)], vw)
	}
	s.tokens += 1 + bits.OnesCount64(mask)
}

// privSeg is one entity's private patch (a mask, then the patch): seen by
// views holding the owner group and seeing the entity (vis nil: a public
// entity).
type privSeg struct {
	start, end, tokens int
	mask               uint64
	lead               int
	vis                *viewEntry
}

type privPart struct {
	buf  []byte
	segs []privSeg
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
	groups     map[Group]*groupState
	used       []*groupState // groups with something this tick
	moves      []ownerMove
	pub        viewSink
	partView   View
	tick, prev uint32
	seq        uint64 // enc.seq during the last EncodeViews
	fixes      []ownerFix
	frames     map[uint64]int32 // this tick's deltas by frame key: index in recs
	recs       []frameRec
	arena      []Group // the groups of recs
}

// frameRec is a delta AppendViewDelta made this tick: what it depended on
// besides the state (ShareViewDelta).
type frameRec struct {
	next               int32 // another rec with the same key, or -1
	base               uint32
	cur0, sent0, sent1 int // cur = arena[cur0:sent0], sent = arena[sent0:sent1]
	changed            bool
}

// ownerFix is a private-field patch for an entity whose private fields a
// view started or stopped seeing.
type ownerFix struct {
	e    *Entity
	sees bool
}

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

// ownerGroup is the group of owner (an Entity.owner: group + 1, > 0).
func ownerGroup(owner uint32) Group { return Group(owner - 1) }

func (enc *Encoder) own(e *Entity, owner uint32) {
	gs := enc.group(ownerGroup(owner))
	if gs.owned == nil {
		gs.owned = map[*Entity]struct{}{}
	}
	gs.owned[e] = struct{}{}
}

func (enc *Encoder) disown(e *Entity, owner uint32) {
	if gs := enc.vs.groups[ownerGroup(owner)]; gs != nil {
		delete(gs.owned, e)
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
	t.gs = enc.group(t.group)
	t.pos = len(t.gs.members)
	t.gs.members = append(t.gs.members, t)
}

func (enc *Encoder) removeMember(t *viewEntry) {
	l := t.gs.members
	last := l[len(l)-1]
	l[t.pos] = last
	last.pos = t.pos
	l[len(l)-1] = nil
	t.gs.members = l[:len(l)-1]
}

// group returns (creating it once) the state of group g.
func (enc *Encoder) group(g Group) *groupState {
	vs := &enc.vs
	gs := vs.groups[g]
	if gs == nil {
		if vs.groups == nil {
			vs.groups = map[Group]*groupState{}
		}
		gs = &groupState{}
		vs.groups[g] = gs
	}
	return gs
}

// use lists gs among the groups FinishViews resets.
func (vs *viewState) use(gs *groupState) {
	if !gs.used {
		gs.used = true
		vs.used = append(vs.used, gs)
	}
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
	vs.use(t.gs)
	return &t.gs.sink
}

// privPatch appends e's private fields in mask to its owner group's part.
func (enc *Encoder) privPatch(e *Entity, mask uint64) {
	gs := enc.group(ownerGroup(e.owner))
	enc.vs.use(gs)
	p := &gs.priv
	start := len(p.buf)
	s := viewSink{buf: p.buf}
	s.patch(e, mask, nil) // private fields are scalars
	p.buf = s.buf
	p.segs = append(p.segs, privSeg{start: start, end: len(p.buf), tokens: s.tokens, mask: mask, lead: s.lead, vis: e.vis})
}

// EncodeViews encodes tick's changes once, split into the parts views
// assemble their frames from: the public part, one part per view group,
// one per entity that changed group, one per owner of changed private
// fields. It clears the change set like EncodeDelta. Call it once per tick,
// then ShareViewDelta, AppendViewDelta or AppendViewSnapshot for every
// View, then FinishViews.
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
	// Index the entries that changed group or presence by the groups they
	// left and entered: a view looks only at its own groups' lists.
	for _, t := range vs.touched {
		if t.sentIn {
			vs.use(t.sentGS)
			t.sentGS.depart = append(t.sentGS.depart, t)
		}
		if t.in {
			vs.use(t.gs)
			t.gs.arrive = append(t.gs.arrive, t)
		}
	}
	enc.finishTick()
}

// FinishViews ends the tick begun by EncodeViews: entities that changed
// group or presence are now what every view was sent.
func (enc *Encoder) FinishViews() {
	vs := &enc.vs
	for _, t := range vs.touched {
		t.sentIn, t.sentGrp, t.sentGS, t.touched = t.in, t.group, t.gs, false
		t.sink.reset()
	}
	clear(vs.touched)
	vs.touched = vs.touched[:0]
	for _, gs := range vs.used {
		gs.sink.reset()
		clear(gs.arrive)
		clear(gs.depart)
		gs.arrive, gs.depart = gs.arrive[:0], gs.depart[:0]
		gs.priv.buf, gs.priv.segs = gs.priv.buf[:0], gs.priv.segs[:0]
		gs.used = false
	}
	clear(vs.used)
	vs.used = vs.used[:0]
	vs.pub.reset()
	clear(vs.moves)
	vs.moves = vs.moves[:0]
	clear(vs.frames)
	vs.recs, vs.arena = vs.recs[:0], vs.arena[:0]
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

// frame assembles the tokens of one view's delta, keeping track of the
// mask in force so that a part starting with that same mask leaves it out.
type frame struct {
	buf  []byte
	n    int    // tokens
	mask uint64 // 0: none yet
}

func (f *frame) part(s *viewSink) {
	if s.tokens > 0 {
		f.tokens(s.buf, s.tokens, s.first, s.lead)
		if s.mask != 0 {
			f.mask = s.mask
		}
	}
}

// tokens appends n tokens in b, whose leading mask token (lead bytes, 0:
// none) sets mask.
func (f *frame) tokens(b []byte, n int, mask uint64, lead int) {
	if lead > 0 && mask == f.mask {
		b, n = b[lead:], n-1
	}
	f.buf = append(f.buf, b...)
	f.n += n
}

func (f *frame) setMask(mask uint64) {
	if f.mask != mask {
		f.mask = mask
		f.buf = mpack.AppendInt(f.buf, -int64(mask))
		f.n++
	}
}

func (f *frame) remove(t *viewEntry) {
	f.buf = append(append(f.buf, t.op...), 0xc0)
	f.n++
}

// AppendViewDelta appends v's delta for tick, assembled from the parts
// EncodeViews encoded: the removals of entities that left v, the public
// part, the parts of v's groups, the private patches v may see, then the
// entities that entered v, whole. Its cost follows the size of v (its
// groups and what entered or left them), not the size of the state.
// changed is false (and out == dst) when v gets no change. ok is false
// when v missed a frame since its last one: it needs AppendViewSnapshot.
func (enc *Encoder) AppendViewDelta(dst []byte, v *View, tick uint32) (out []byte, changed, ok bool) {
	vs := &enc.vs
	if v.enc != enc || !v.live || v.tick != vs.prev || tick != vs.tick {
		return dst, false, false
	}
	// The frame is assembled in place, after a 3-byte array header (array
	// 16) fixed up once the tokens are counted.
	start := len(dst)
	f := frame{buf: append(dst, 0, 0, 0)}
	f.buf = mpack.AppendUint(f.buf, uint64(tick))
	f.buf = mpack.AppendUint(f.buf, uint64(tick-v.base))
	moved := v.moved
	// Removals first: their owners are still there.
	for i, g := range v.sent {
		gs := v.sentGS[i]
		for _, t := range gs.depart {
			if !t.after(v) {
				f.remove(t)
			}
		}
		if moved && !v.hasCur(g) {
			for _, t := range gs.members {
				if !t.touched {
					f.remove(t)
				}
			}
		}
	}
	// Shared parts: the public one, then per group its part (when v held
	// the group already) and the patches of the entries that moved into it
	// from a group v held.
	f.part(&vs.pub)
	for i, g := range v.cur {
		gs := v.curGS[i]
		if !moved || v.hasSent(g) {
			f.part(&gs.sink)
		}
		for _, t := range gs.arrive {
			if t.sink.tokens > 0 && t.before(v) {
				f.part(&t.sink)
			}
		}
	}
	if vs.anyPrivate {
		for _, gs := range v.curGS {
			p := &gs.priv
			for _, s := range p.segs {
				if s.vis == nil || (s.vis.before(v) && s.vis.after(v)) {
					f.tokens(p.buf[s.start:s.end], s.tokens, s.mask, s.lead)
					f.mask = s.mask
				}
			}
		}
		// Private fields whose visibility changed for v, on entities v keeps.
		enc.appendOwnerChanges(&f, v)
	}
	// Additions last: whole, as v sees them.
	for i, g := range v.cur {
		gs := v.curGS[i]
		for _, t := range gs.arrive {
			if !t.before(v) {
				f.buf = enc.appendAdd(f.buf, t, v)
				f.n++
			}
		}
		if moved && !v.hasSent(g) {
			for _, t := range gs.members {
				if !t.touched {
					f.buf = enc.appendAdd(f.buf, t, v)
					f.n++
				}
			}
		}
	}
	vs.record(v, f.n > 0)
	v.commitSent()
	v.tick = tick
	if f.n == 0 {
		return dst, false, true
	}
	v.base = tick
	return fixArrayHeader(f.buf, start, 2+f.n), true, true
}

// frameKey hashes what v's delta this tick depends on besides the state:
// its base, the groups it holds and those it held at its last frame (their
// hash is kept until they change).
func (v *View) frameKey() uint64 {
	const prime = 0x100000001b3
	if !v.keyOK {
		h := uint64(0xcbf29ce484222325)
		h = (h ^ uint64(len(v.cur))) * prime
		for _, g := range v.cur {
			h = (h ^ uint64(g)) * prime
		}
		for _, g := range v.sent {
			h = (h ^ uint64(g)) * prime
		}
		v.key, v.keyOK = h, true
	}
	return (v.key ^ uint64(v.base)) * prime
}

// record notes the delta just made for v (before v moves on), for views
// that share it.
func (vs *viewState) record(v *View, changed bool) {
	if vs.frames == nil {
		vs.frames = map[uint64]int32{}
	}
	key := v.frameKey()
	next, found := vs.frames[key]
	if !found {
		next = -1
	}
	r := frameRec{next: next, base: v.base, cur0: len(vs.arena), changed: changed}
	vs.arena = append(vs.arena, v.cur...)
	r.sent0 = len(vs.arena)
	vs.arena = append(vs.arena, v.sent...)
	r.sent1 = len(vs.arena)
	vs.frames[key] = int32(len(vs.recs))
	vs.recs = append(vs.recs, r)
}

// ShareViewDelta looks among the deltas AppendViewDelta made since
// EncodeViews for one that v would get byte for byte: a view with the same
// base that holds the same groups now and held the same at its last frame
// (clients in the same cell, say). If there is one, v moves on as if
// AppendViewDelta had made it for v, and index is its place among this
// tick's AppendViewDelta calls that returned ok (0 first); changed is what
// that call returned. Sharing a delta saves assembling it; the caller can
// send the very same frame. ok is false when there is none (or v needs a
// snapshot): then call AppendViewDelta.
func (enc *Encoder) ShareViewDelta(v *View, tick uint32) (index int, changed, ok bool) {
	vs := &enc.vs
	if v.enc != enc || !v.live || v.tick != vs.prev || tick != vs.tick || len(vs.recs) == 0 {
		return 0, false, false
	}
	i, found := vs.frames[v.frameKey()]
	for ; found && i >= 0; i = vs.recs[i].next {
		r := &vs.recs[i]
		if r.base == v.base && slices.Equal(vs.arena[r.cur0:r.sent0], v.cur) && slices.Equal(vs.arena[r.sent0:r.sent1], v.sent) {
			v.commitSent()
			v.tick = tick
			if r.changed {
				v.base = tick
			}
			return int(i), r.changed, true
		}
	}
	return 0, false, false
}

// fixArrayHeader writes the header of an array of n elements at b[at:],
// where 3 bytes were left for it, moving what follows when the header is
// shorter (fixarray) or longer (array 32).
func fixArrayHeader(b []byte, at, n int) []byte {
	var h [5]byte
	hdr := mpack.AppendArrayHeader(h[:0], n)
	switch len(hdr) {
	case 1:
		b[at] = hdr[0]
		return append(b[:at+1], b[at+3:]...)
	case 5:
		b = append(b, 0, 0)
		copy(b[at+5:], b[at+3:len(b)-2])
	}
	copy(b[at:], hdr)
	return b
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
// their owner group, or their owner changed. It looks only at the groups
// v gained or lost and at this tick's owner changes.
func (enc *Encoder) appendOwnerChanges(f *frame, v *View) {
	vs := &enc.vs
	if !v.moved && len(vs.moves) == 0 {
		return
	}
	kept := func(e *Entity) bool {
		if e.enc != enc || e.born == vs.seq {
			return false
		}
		return e.vis == nil || (e.vis.before(v) && e.vis.after(v))
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
	if v.moved {
		for i, g := range v.sent {
			if !v.hasCur(g) {
				for e := range v.sentGS[i].owned {
					if kept(e) && !moved(e) {
						fixes = append(fixes, ownerFix{e, false})
					}
				}
			}
		}
		for i, g := range v.cur {
			if !v.hasSent(g) {
				for e := range v.curGS[i].owned {
					if kept(e) && !moved(e) {
						fixes = append(fixes, ownerFix{e, true})
					}
				}
			}
		}
	}
	for _, m := range vs.moves {
		was := m.prev != 0 && v.hasSent(ownerGroup(m.prev))
		is := m.e.owner != 0 && v.hasCur(ownerGroup(m.e.owner))
		if was != is && kept(m.e) {
			fixes = append(fixes, ownerFix{m.e, is})
		}
	}
	slices.SortFunc(fixes, func(a, b ownerFix) int { return int(a.e.ref) - int(b.e.ref) }) // deterministic bytes
	for _, fx := range fixes {
		e := fx.e
		f.setMask(e.typ.privMask)
		f.buf = mpack.AppendUint(f.buf, uint64(e.ref))
		fs := e.typ.fields
		for m := e.typ.privMask; m != 0; m &= m - 1 {
			fi := &fs[trailingZeros(m)]
			if fx.sees {
				f.buf = appendField(f.buf, e, fi, nil)
			} else {
				f.buf = appendZero(f.buf, fi.kind)
			}
		}
		f.n += 1 + bits.OnesCount64(e.typ.privMask)
	}
	clear(fixes)
	vs.fixes = fixes[:0]
}
