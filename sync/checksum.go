package statesync

// FNV-1a 64 parameters.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv1a64 hashes b with FNV-1a 64.
func fnv1a64(b []byte) uint64 {
	h := uint64(fnvOffset64)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// Checksum returns the FNV-1a 64 hash of the state's canonical encoding
// (PROTOCOL.md (State replication), "Checksum"): entities as arrays of their field values
// without reference ids, maps sorted by key. A Mirror holding the same state
// returns the same value. It costs a full encoding: call it every N ticks.
func (enc *Encoder) Checksum() uint64 {
	enc.canon = enc.AppendCanonical(enc.canon[:0])
	return fnv1a64(enc.canon)
}

// AppendCanonical appends the canonical encoding Checksum hashes.
func (enc *Encoder) AppendCanonical(dst []byte) []byte {
	return appendEntityCanon(dst, enc.root, nil)
}
