package engineio

import (
	"encoding/base64"
	"sync"
)

// Frame is one Engine.IO packet ready to send: a text or binary message
// (or, inside this package, a control packet). It is immutable, so one
// Frame may be sent to any number of sessions (a broadcast builds it once).
type Frame struct {
	data   []byte
	typ    [1]byte // packet type digit of a text packet ('4': message); 0: binary message
	pooled bool    // a copy made by Conn.SendCopy: one session's, back to framePool once written or dropped
}

// TextFrame returns a text message frame carrying a copy of data.
func TextFrame(data []byte) *Frame { return OwnedTextFrame(append([]byte{}, data...)) }

// BinaryFrame returns a binary message frame carrying a copy of data.
func BinaryFrame(data []byte) *Frame { return OwnedBinaryFrame(append([]byte{}, data...)) }

// OwnedTextFrame returns a text message frame that uses data without
// copying it: the caller gives data up and must never modify it again.
func OwnedTextFrame(data []byte) *Frame { return &Frame{data: data, typ: [1]byte{'4'}} }

// OwnedBinaryFrame returns a binary message frame that uses data without
// copying it: the caller gives data up and must never modify it again.
func OwnedBinaryFrame(data []byte) *Frame { return &Frame{data: data} }

// controlFrame is a non-message packet such as "2" or "3probe".
func controlFrame(packet string) *Frame {
	return &Frame{data: []byte(packet[1:]), typ: [1]byte{packet[0]}}
}

// Payload returns the message data. It must not be modified.
func (f *Frame) Payload() []byte { return f.data }

// IsBinary reports whether f is a binary message.
func (f *Frame) IsBinary() bool { return f.typ[0] == 0 }

// size is what the frame counts against the send queue's byte bound: its
// Engine.IO size (type digit included).
func (f *Frame) size() int {
	if f.IsBinary() {
		return len(f.data)
	}
	return 1 + len(f.data)
}

// pollSize is the frame's size in a polling payload ('b' + base64 for
// binary).
func (f *Frame) pollSize() int {
	if f.IsBinary() {
		return 1 + base64.StdEncoding.EncodedLen(len(f.data))
	}
	return 1 + len(f.data)
}

// appendPoll appends the frame as a polling packet.
func (f *Frame) appendPoll(dst []byte) []byte {
	if f.IsBinary() {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, f.data)
	}
	dst = append(dst, f.typ[0])
	return append(dst, f.data...)
}

// framePool recycles the frames of Conn.SendCopy: such a frame belongs to
// one session's queue, so once it is written (or dropped) nothing refers to
// it and its buffer is reused for the next copy.
type framePool struct{ p sync.Pool }

// framePoolMaxCap bounds the buffers kept for reuse.
const framePoolMaxCap = 16 << 10

func (p *framePool) get(data []byte, binary bool) *Frame {
	f, ok := p.p.Get().(*Frame)
	if !ok {
		f = &Frame{pooled: true, data: make([]byte, 0, max(256, len(data)))}
	}
	f.data = append(f.data[:0], data...)
	f.typ[0] = '4'
	if binary {
		f.typ[0] = 0
	}
	return f
}

func (p *framePool) put(f *Frame) {
	if cap(f.data) <= framePoolMaxCap {
		f.data = f.data[:0]
		p.p.Put(f)
	}
}
