// Package mpack is roomcast's msgpack codec: an append-style writer and a
// bounded reader for untrusted bytes.
//
// The writer functions (AppendInt, AppendString, AppendMapHeader, ...) append
// one msgpack item to a byte slice and return the extended slice, like
// strconv.AppendInt. They never allocate when the slice has enough capacity,
// always pick the smallest encoding for integers, lengths and headers, and keep
// float32 as float32. AppendValue encodes a small set of generic Go values
// (the shapes Socket.IO arguments take) and splices Raw values verbatim.
//
// Reader decodes bytes that came off the network. Every length prefix is
// checked against the bytes that remain and against Limits before anything is
// allocated, nesting depth is bounded, and bad input yields an error wrapping
// one of ErrTruncated, ErrTooLarge, ErrTooDeep or ErrType - never a panic. A
// container header claiming more elements than there are bytes left (for
// example "dd ff ff ff ff", an array of 4 G elements in 5 bytes) is rejected
// at once, so ReadValue allocates at most a constant factor times the input
// size.
//
// Why not github.com/vmihailenco/msgpack/v5 for everything: its generic
// decoder trusts length prefixes (the five bytes dd ff ff ff ff make it
// allocate an array of 4 G elements), and its encoder reflects. The tests use
// it only as an oracle.
//
// This package must not import any other roomcast package nor any third-party
// module; it is a leaf used by transport, sync, rooms and bots.
package mpack
