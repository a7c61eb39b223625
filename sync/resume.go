package statesync

// ResumeOptions bounds a ResumeBuffer. Zero fields select the defaults.
type ResumeOptions struct {
	// MaxDeltas is how many recent deltas are kept. Default 64.
	MaxDeltas int
	// MaxBytes bounds the bytes kept; the oldest deltas are dropped first.
	// Default 1 MiB.
	MaxBytes int
}

// ResumeBuffer keeps the most recent non-empty deltas so that a client that
// reconnects can be sent what it missed instead of a snapshot.
type ResumeBuffer struct {
	opts ResumeOptions
}

// NewResumeBuffer returns an empty buffer.
func NewResumeBuffer(opts ResumeOptions) *ResumeBuffer {
	return &ResumeBuffer{opts: opts}
}

// Push records the delta encoded for tick (the bytes EncodeDelta appended,
// copied). Push only deltas that changed something, in tick order.
func (rb *ResumeBuffer) Push(tick uint32, delta []byte) {}

// Resume returns what a client whose state is at tick lastSeen needs: the
// deltas to replay, in order (aliasing the buffer, valid until the next
// Push), or useSnapshot when they are not all in the buffer or their total
// size is at least snapshotSize. No deltas and !useSnapshot means the client
// is up to date.
func (rb *ResumeBuffer) Resume(lastSeen uint32, snapshotSize int) (deltas [][]byte, useSnapshot bool) {
	return nil, true
}
