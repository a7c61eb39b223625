package rooms

// State is a room's replicated state as the room loop needs it; a
// *statesync.Encoder (package sync) satisfies it as is:
//
//	enc, err := statesync.NewEncoder(&world, statesync.EncoderOptions{})
//	r.SetState(enc)
//
// A room without State sends no state frames (messages only).
type State interface {
	// EncodeDelta appends to dst the changes since the previous
	// EncodeDelta as tick's delta and clears them. changed is false (and
	// out == dst) when nothing changed.
	EncodeDelta(dst []byte, tick uint32) (out []byte, changed bool)
	// EncodeSnapshot appends the full state at tick.
	EncodeSnapshot(dst []byte, tick uint32) []byte
}

// resumeBuffer keeps the last deltas (changed ticks only) to replay to a
// resuming client. Owned by the room goroutine.
type resumeBuffer struct {
	max      int // entries
	maxBytes int
	bytes    int
	entries  []resumeEntry // ring, oldest at head
	head     int
	n        int
	// since is the oldest tick T such that every changed tick > T is in
	// the buffer: a client that saw tick >= since can be caught up.
	since uint64
}

type resumeEntry struct {
	tick  uint64
	delta []byte
}

func newResumeBuffer(max, maxBytes int) *resumeBuffer {
	return &resumeBuffer{max: max, maxBytes: maxBytes, entries: make([]resumeEntry, max)}
}

// evict forgets the oldest entry.
func (b *resumeBuffer) evict() {
	old := b.entries[b.head]
	b.since = old.tick
	b.bytes -= len(old.delta)
	b.entries[b.head] = resumeEntry{}
	b.head = (b.head + 1) % b.max
	b.n--
}

// push records tick's delta.
func (b *resumeBuffer) push(tick uint64, delta []byte) {
	if b.max == 0 {
		b.since = tick
		return
	}
	if len(delta) > b.maxBytes {
		for b.n > 0 {
			b.evict()
		}
		b.since = tick
		return
	}
	for b.n == b.max || (b.n > 0 && b.bytes+len(delta) > b.maxBytes) {
		b.evict()
	}
	b.entries[(b.head+b.n)%b.max] = resumeEntry{tick: tick, delta: delta}
	b.n++
	b.bytes += len(delta)
}

// replay returns the deltas after tick lastSeen if the buffer covers them
// and their total size is below limit; ok=false means "send a snapshot".
func (b *resumeBuffer) replay(lastSeen uint64, limit int) (out []resumeEntry, ok bool) {
	if lastSeen < b.since {
		return nil, false
	}
	size := 0
	for i := range b.n {
		e := b.entries[(b.head+i)%b.max]
		if e.tick <= lastSeen {
			continue
		}
		size += len(e.delta)
		if size >= limit {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}
