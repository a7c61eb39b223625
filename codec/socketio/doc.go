// Package siocodec encodes and decodes Socket.IO v5 packets for both wire
// parsers a stock socket.io-client 4.x can use:
//
//   - the default parser (socket.io-parser): a text frame
//     "<type>[<attachments>-][<nsp>,][<id>][<JSON>]" followed, for
//     BINARY_EVENT and BINARY_ACK, by one binary frame per attachment; binary
//     values inside the JSON are replaced by {"_placeholder":true,"num":N};
//   - socket.io-msgpack-parser 3.x: the whole packet is one msgpack map in a
//     binary frame, keys "type", "data", "nsp" and optionally "id" (the
//     client may add an "options" key, which is ignored).
//
// # Argument model
//
// Packet data is made of these Go values, on the way in and out:
//
//	nil, bool, string, []byte (binary), []any, map[string]any,
//	int64 (integers), float64 (other numbers), and on encode also every
//	other Go integer and float type, json.Number, and mpack.Raw.
//
// Numbers decode the same way with both parsers: a JSON number written
// without fraction or exponent that fits in an int64 becomes int64, every
// other number float64 — which is what socket.io-msgpack-parser (notepack.io)
// produces for the same JavaScript value (integers as msgpack ints, others as
// float64). The msgpack parser may additionally yield float32 and uint64 when
// a non-JavaScript client sends them. JavaScript undefined (notepack's
// d4 00 00) decodes to nil.
//
// mpack.Raw is one pre-encoded msgpack value: the msgpack parser splices it
// verbatim; the default parser sends its bytes as a binary attachment (the
// JavaScript client sees an ArrayBuffer/Buffer it can decode with any msgpack
// library).
//
// # Safety
//
// Every decoder here takes untrusted bytes. JSON is parsed by a small
// bounded parser (depth limit, attachment limit, no reflection), msgpack only
// through mpack.Reader, never msgpack.Unmarshal. Bad input yields an error
// wrapping ErrInvalidPacket (or an mpack sentinel), never a panic, and
// allocation is bounded by a constant factor of the input size.
//
// This package is pure: it must not import any roomcast package other than
// codec/mpack, nor any transport or network package.
package siocodec
