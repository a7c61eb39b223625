package rooms

// State is a room's replicated state as the room loop needs it; a
// *statesync.Encoder (package sync) satisfies it as is:
//
//	enc, err := statesync.NewEncoder(&world, statesync.EncoderOptions{})
//	r.SetState(enc)
//
// A room without State sends no state frames (messages only). A State may
// also implement Checksum() uint64 (for Settings.ChecksumEvery) and
// EmptyDeltaEncoder; *statesync.Encoder implements both.
type State interface {
	// EncodeDelta appends to dst the changes since the previous
	// EncodeDelta as tick's delta and clears them. changed is false (and
	// out == dst) when nothing changed.
	EncodeDelta(dst []byte, tick uint32) (out []byte, changed bool)
	// EncodeSnapshot appends the full state at tick.
	EncodeSnapshot(dst []byte, tick uint32) []byte
}
