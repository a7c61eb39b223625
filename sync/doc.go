// Package statesync replicates a room's game state to clients as compact
// msgpack snapshots and deltas.
//
// The folder is sync/ but the package is named statesync so that it never
// shadows the standard library's sync package in files that need both.
//
// # Declaring state
//
// A game declares its state as Go structs that embed Entity and hold
// tracked fields:
//
//	type Player struct {
//		statesync.Entity
//		X, Y  statesync.Float32
//		HP    statesync.Uint8
//		Name  statesync.String
//		input [2]float32 // other fields are server-only
//	}
//
//	type Arena struct {
//		statesync.Entity
//		Players statesync.Map[string, *Player]
//	}
//
// Field ids follow declaration order. A `sync:"name"` tag renames a field on
// the wire, `sync:"-"` hides it; Fixed and Fixed2 declare their range in the
// tag (`sync:"x,min=0,max=1024,step=1/32"`). Reflection runs once per type,
// in NewEncoder; from then on a Set costs a comparison and, when the value
// changes, a bit in the entity's change mask (plus one append to the
// Encoder's dirty list for the first change of that entity in a tick).
// Setting a field to its current value is not a change.
//
// # Encoding
//
// The room goroutine owns the Encoder and the state. Each tick it mutates
// the state, then calls EncodeDelta once (the bytes are shared by every
// recipient) and, for clients that need one, EncodeSnapshot. A delta holds
// only what changed: patches of changed fields addressed by entity reference
// id and field id, and one op per changed Map or Array. The cost is
// proportional to the changes, not to the state.
//
// The wire format (PROTOCOL.md (State replication)) is plain msgpack that any stock
// msgpack library decodes. Mirror applies snapshots and deltas on the client
// side (bots, tests); it treats its input as untrusted and decodes it with
// codec/mpack's bounded Reader. ResumeBuffer keeps recent deltas so that a
// reconnecting client can catch up without a snapshot. Encoder.Checksum and
// Mirror.Checksum hash the same canonical encoding, so a client can detect a
// desync.
//
// # Views
//
// A state may show each client only part of itself (view.go). An entity
// held in a Map gets a view group with Encoder.SetGroup (a grid cell, a
// team; Grid numbers cells and adds hysteresis); a scalar field tagged
// `sync:"hand,private"` is seen only by the views holding its entity's
// owner group (Encoder.SetOwner). A View (Encoder.NewView) is the set of
// groups one client sees. Per tick, EncodeViews encodes the changes once
// per group (plus one part per entity that changed group and one per owner
// of changed private fields); AppendViewDelta assembles a client's delta
// from the parts its View sees, adds the entities that entered it (whole)
// and removes those that left it, all in the ordinary delta format, so a
// Mirror applies it unchanged. AppendViewSnapshot and ViewChecksum are the
// snapshot and checksum of one view. A state without views encodes exactly
// as before.
//
// This package may import codec/mpack only; it knows nothing of transport,
// rooms or sockets.
package statesync
