package statesync

import "errors"

// Mirror errors; every error a Mirror returns wraps one of them.
var (
	// ErrMalformed: the bytes are not a valid snapshot or delta for the schema.
	ErrMalformed = errors.New("statesync: malformed state")
	// ErrOutOfOrder: the delta does not follow the mirror's tick.
	ErrOutOfOrder = errors.New("statesync: delta out of order")
	// ErrNoSnapshot: a delta arrived before any snapshot (or after an error).
	ErrNoSnapshot = errors.New("statesync: no snapshot applied")
)

// MirrorLimits bounds what a Mirror accepts. Zero fields select defaults.
type MirrorLimits struct {
	// MaxEntities is the most live entities. Default 1 << 20.
	MaxEntities int
	// MaxTypes is the most types in a schema. Default 256.
	MaxTypes int
}

// Mirror rebuilds a state from snapshots and deltas (bots, tests).
type Mirror struct {
	lim MirrorLimits
}

// NewMirror returns an empty mirror.
func NewMirror(lim MirrorLimits) *Mirror { return &Mirror{lim: lim} }

// ApplySnapshot replaces the mirror's state with snapshot b.
func (m *Mirror) ApplySnapshot(b []byte) error { return ErrMalformed }

// ApplyDelta applies delta b.
func (m *Mirror) ApplyDelta(b []byte) error { return ErrNoSnapshot }
