package statesync

// ResumeOptions bounds a ResumeBuffer. Zero fields select the defaults.
type ResumeOptions struct {
	// MaxDeltas is how many recent deltas are kept. Default 64.
	MaxDeltas int
	// MaxBytes bounds the bytes kept; the oldest deltas are dropped first.
	// Default 1 MiB.
	MaxBytes int
}

type resumeEntry struct {
	tick, base uint32
	b          []byte
}

// ResumeBuffer keeps the most recent non-empty deltas so that a client that
// reconnects can be sent what it missed instead of a snapshot. It is owned
// by the room goroutine.
type ResumeBuffer struct {
	max, maxBytes int
	ring          []resumeEntry // ring[(head+i)%len] for i < n, oldest first
	head, n       int
	bytes         int
	newest        uint32
	pushed        bool // something was ever pushed
	spare         [][]byte
}

// NewResumeBuffer returns an empty buffer.
func NewResumeBuffer(opts ResumeOptions) *ResumeBuffer {
	if opts.MaxDeltas <= 0 {
		opts.MaxDeltas = 64
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 20
	}
	return &ResumeBuffer{max: opts.MaxDeltas, maxBytes: opts.MaxBytes, ring: make([]resumeEntry, opts.MaxDeltas)}
}

// Len returns how many deltas are kept.
func (rb *ResumeBuffer) Len() int { return rb.n }

// Bytes returns the total size of the kept deltas.
func (rb *ResumeBuffer) Bytes() int { return rb.bytes }

// Newest returns the tick of the last pushed delta.
func (rb *ResumeBuffer) Newest() (tick uint32, ok bool) { return rb.newest, rb.pushed }

func (rb *ResumeBuffer) at(i int) *resumeEntry { return &rb.ring[(rb.head+i)%len(rb.ring)] }

func (rb *ResumeBuffer) dropOldest() {
	e := rb.at(0)
	rb.bytes -= len(e.b)
	rb.spare = append(rb.spare, e.b[:0])
	*e = resumeEntry{}
	rb.head = (rb.head + 1) % len(rb.ring)
	rb.n--
}

// Push records delta, the bytes EncodeDelta appended for tick (Push copies
// them). Push only deltas that changed something, in tick order; a delta
// whose tick does not increase, or that cannot be parsed, empties the buffer
// (every resume then needs a snapshot).
func (rb *ResumeBuffer) Push(tick uint32, delta []byte) {
	t, base, err := DeltaTick(delta)
	if err != nil || t != tick {
		rb.reset(tick)
		return
	}
	rb.PushChained(tick, base, delta)
}

// PushChained is Push for a caller that already knows the delta's base (the
// tick of the previous non-empty delta, as EncodeDelta wrote it); it does not
// parse delta, so it also serves encodings other than this package's that
// chain their deltas the same way. A delta that does not continue the chain
// (tick not increasing, or base not the previous tick pushed) empties the
// buffer first.
func (rb *ResumeBuffer) PushChained(tick, base uint32, delta []byte) {
	if rb.pushed && (tick <= rb.newest || base != rb.newest) {
		rb.reset(tick) // not a continuation: older clients need a snapshot
	}
	if rb.n == rb.max {
		rb.dropOldest()
	}
	for rb.n > 0 && rb.bytes+len(delta) > rb.maxBytes {
		rb.dropOldest()
	}
	rb.newest, rb.pushed = tick, true
	if len(delta) > rb.maxBytes {
		return // an empty buffer with newest set: older clients need a snapshot
	}
	var b []byte
	if k := len(rb.spare); k > 0 {
		b, rb.spare = rb.spare[k-1], rb.spare[:k-1]
	}
	e := rb.at(rb.n)
	*e = resumeEntry{tick: tick, base: base, b: append(b, delta...)}
	rb.n++
	rb.bytes += len(delta)
}

// reset forgets every delta and makes tick the newest.
func (rb *ResumeBuffer) reset(tick uint32) {
	for rb.n > 0 {
		rb.dropOldest()
	}
	rb.newest, rb.pushed = tick, true
}

// Resume returns what a client whose state is at tick lastSeen needs: the
// deltas to replay, in order (aliasing the buffer: valid until the next
// Push), or useSnapshot when they are not all in the buffer or their total
// size is at least snapshotSize. No deltas and !useSnapshot means the
// client is up to date.
func (rb *ResumeBuffer) Resume(lastSeen uint32, snapshotSize int) (deltas [][]byte, useSnapshot bool) {
	useSnapshot = rb.Replay(lastSeen, snapshotSize, func(_ uint32, delta []byte) bool {
		deltas = append(deltas, delta)
		return true
	})
	return deltas, useSnapshot
}

// Replay is Resume without building a slice: unless it answers useSnapshot,
// it calls send with each delta a client at lastSeen needs, in tick order,
// and stops early when send returns false. delta aliases the buffer and is
// valid until the next Push.
func (rb *ResumeBuffer) Replay(lastSeen uint32, snapshotSize int, send func(tick uint32, delta []byte) bool) (useSnapshot bool) {
	if !rb.pushed || lastSeen >= rb.newest {
		return false
	}
	i := 0
	for i < rb.n && rb.at(i).tick <= lastSeen {
		i++
	}
	if i == rb.n || rb.at(i).base > lastSeen {
		return true
	}
	size := 0
	for j := i; j < rb.n; j++ {
		size += len(rb.at(j).b)
	}
	if size >= snapshotSize {
		return true
	}
	for j := i; j < rb.n; j++ {
		if e := rb.at(j); !send(e.tick, e.b) {
			break
		}
	}
	return false
}
