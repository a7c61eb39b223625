package engineio

import "encoding/base64"

// Frame is one Engine.IO message ready to send. It is immutable, so one
// Frame may be sent to any number of sessions (a broadcast builds it once).
type Frame struct {
	wire   []byte // text: type digit + data; binary: the data
	binary bool
}

// TextFrame returns a text message frame carrying a copy of data.
func TextFrame(data []byte) *Frame {
	wire := make([]byte, 1+len(data))
	wire[0] = '4'
	copy(wire[1:], data)
	return &Frame{wire: wire}
}

// BinaryFrame returns a binary message frame carrying a copy of data.
func BinaryFrame(data []byte) *Frame {
	return &Frame{wire: append([]byte{}, data...), binary: true}
}

// controlFrame is a non-message packet such as "2" or "3probe".
func controlFrame(packet string) *Frame { return &Frame{wire: []byte(packet)} }

// Payload returns the message data. It must not be modified.
func (f *Frame) Payload() []byte {
	if f.binary {
		return f.wire
	}
	return f.wire[1:]
}

// IsBinary reports whether f is a binary message.
func (f *Frame) IsBinary() bool { return f.binary }

// size is what the frame counts against the send queue's byte bound.
func (f *Frame) size() int { return len(f.wire) }

// pollSize is the frame's size in a polling payload ('b' + base64 for
// binary).
func (f *Frame) pollSize() int {
	if f.binary {
		return 1 + base64.StdEncoding.EncodedLen(len(f.wire))
	}
	return len(f.wire)
}
