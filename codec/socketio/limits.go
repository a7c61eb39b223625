package siocodec

import "github.com/roomcast/roomcast/codec/mpack"

// Default limits.
const (
	DefaultMaxDepth       = 32
	DefaultMaxAttachments = 10 // socket.io-parser's default maxAttachments
)

// Limits bound what the decoders accept. A field <= 0 selects its default.
// Sizes are bounded by the caller (Engine.IO maxPayload).
type Limits struct {
	// MaxDepth is how deeply arrays and objects may nest inside a packet's
	// data (the data array itself is depth 1). Default 32.
	MaxDepth int
	// MaxAttachments is the most binary attachments one default-parser
	// packet may announce. Default 10.
	MaxAttachments int
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	return l
}

func (l Limits) mpack() mpack.Limits {
	// +1: the packet envelope map.
	return mpack.Limits{MaxDepth: l.MaxDepth + 1}
}
