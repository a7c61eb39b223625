// Package statesync replicates a room's game state to clients as compact
// msgpack snapshots and deltas.
//
// The folder is sync/ but the package is named statesync so that it never
// shadows the standard library's sync package in files that need both.
//
// A game declares its state as Go structs that embed Entity and hold tracked
// fields (Float32, Uint8, String, Fixed, Ref, Map, Array, ...). Field ids are
// assigned by declaration order; reflection runs once per type, when an
// Encoder is created or a new entity type is first attached. Setting a field
// marks it dirty in O(1); an Encoder then encodes only what changed since
// the previous delta (a dirty list, never a scan of the state).
//
// The wire format (PROTOCOL-state.md) is plain msgpack: any stock msgpack
// library can decode it. Mirror applies snapshots and deltas on the client
// side (bots, tests); it treats its input as untrusted and decodes it with
// codec/mpack's bounded Reader. ResumeBuffer keeps recent deltas so that a
// reconnecting client can catch up without a snapshot.
//
// This package may import codec/mpack only; it knows nothing of transport,
// rooms or sockets.
package statesync
