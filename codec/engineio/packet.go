package eiocodec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// PacketType is the Engine.IO packet type.
type PacketType byte

// Engine.IO v4 packet types.
const (
	Open PacketType = iota
	Close
	Ping
	Pong
	Message
	Upgrade
	Noop
)

var typeNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Separator joins the packets of a polling payload.
const Separator = 0x1e

// Sentinel errors; decode errors wrap one of them.
var (
	ErrInvalidPacket = errors.New("eiocodec: invalid packet")
	ErrTooLarge      = errors.New("eiocodec: payload too large")
)

// Packet is one Engine.IO packet. Binary is meaningful only for Message.
// Data returned by a decoder aliases the decoder's input or scratch buffer:
// copy it to keep it.
type Packet struct {
	Type   PacketType
	Data   []byte
	Binary bool
}

// AppendText appends p as a text-encoded packet: the type digit and the data
// for text packets, 'b' and base64 for a binary message (the polling form).
func AppendText(dst []byte, p Packet) []byte {
	if p.Binary && p.Type == Message {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// AppendPayload appends packets as one polling payload.
func AppendPayload(dst []byte, packets ...Packet) []byte {
	for i, p := range packets {
		if i > 0 {
			dst = append(dst, Separator)
		}
		dst = AppendText(dst, p)
	}
	return dst
}

// DecodeFrame decodes one WebSocket frame. A binary frame is a binary
// message whose Data is the whole frame. Data aliases frame.
func DecodeFrame(frame []byte, binary bool) (Packet, error) {
	if binary {
		return Packet{Type: Message, Data: frame, Binary: true}, nil
	}
	return decodeText(frame)
}

func decodeText(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, fmt.Errorf("%w: empty packet", ErrInvalidPacket)
	}
	t := b[0] - '0'
	if t > byte(Noop) {
		return Packet{}, fmt.Errorf("%w: unknown packet type %q", ErrInvalidPacket, b[0])
	}
	return Packet{Type: PacketType(t), Data: b[1:]}, nil
}

// PayloadDecoder decodes polling payloads, reusing one scratch buffer for
// base64 packets. The zero value is ready; it is not safe for concurrent use.
type PayloadDecoder struct {
	scratch []byte
}

// Decode calls fn for each packet of payload in order, stopping at the
// first error (from decoding or from fn). A payload longer than max bytes
// (max > 0) is rejected with ErrTooLarge before any packet is decoded.
// Packet.Data is valid only during fn.
func (d *PayloadDecoder) Decode(payload []byte, max int, fn func(Packet) error) error {
	if max > 0 && len(payload) > max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), max)
	}
	if len(payload) == 0 {
		return fmt.Errorf("%w: empty payload", ErrInvalidPacket)
	}
	for i := 0; ; i++ {
		part, rest, more := bytes.Cut(payload, []byte{Separator})
		if more && len(rest) == 0 {
			return fmt.Errorf("%w: payload ends with a separator", ErrInvalidPacket)
		}
		p, err := d.decodePart(part)
		if err != nil {
			return fmt.Errorf("packet %d: %w", i, err)
		}
		if err := fn(p); err != nil {
			return err
		}
		if !more {
			return nil
		}
		payload = rest
	}
}

func (d *PayloadDecoder) decodePart(part []byte) (Packet, error) {
	if len(part) == 0 || part[0] != 'b' {
		return decodeText(part)
	}
	n := base64.StdEncoding.DecodedLen(len(part) - 1)
	if cap(d.scratch) < n {
		d.scratch = make([]byte, n)
	}
	m, err := base64.StdEncoding.Decode(d.scratch[:n], part[1:])
	if err != nil {
		return Packet{}, fmt.Errorf("%w: base64: %v", ErrInvalidPacket, err)
	}
	return Packet{Type: Message, Data: d.scratch[:m], Binary: true}, nil
}
