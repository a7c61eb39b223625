// Package eiocodec encodes and decodes Engine.IO v4 packets and HTTP
// long-polling payloads.
//
// A packet is a type digit followed by its data:
//
//	0 open    1 close   2 ping    3 pong
//	4 message 5 upgrade 6 noop
//
// On WebSocket every frame is one packet: a text frame carries the digit and
// the data ("4hello", "2", "3probe"); a binary frame is a message whose data
// is the whole frame, without any digit.
//
// On HTTP long-polling a body (a "payload") carries one or more packets
// separated by the record separator 0x1E; a binary message is written as the
// character 'b' followed by the standard base64 of its bytes.
//
// # Safety
//
// Decoders take untrusted bytes: they never panic, reject bodies over the
// caller's limit with ErrTooLarge before looking at them, and allocate at
// most one buffer of 3/4 of the largest base64 packet (text data aliases the
// input). Errors wrap ErrInvalidPacket or ErrTooLarge.
//
// This package imports nothing of roomcast.
package eiocodec
