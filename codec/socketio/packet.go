package siocodec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Type is a Socket.IO packet type.
type Type uint8

// Packet types, numbered as on the wire.
const (
	Connect      Type = 0
	Disconnect   Type = 1
	Event        Type = 2
	Ack          Type = 3
	ConnectError Type = 4
	BinaryEvent  Type = 5
	BinaryAck    Type = 6
)

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Sentinel errors.
var (
	// ErrInvalidPacket: the bytes are not a valid Socket.IO packet.
	ErrInvalidPacket = errors.New("siocodec: invalid packet")
	// ErrTooManyAttachments: a binary packet announces more attachments than allowed.
	ErrTooManyAttachments = errors.New("siocodec: too many attachments")
	// ErrTooDeep: JSON data nests deeper than allowed.
	ErrTooDeep = errors.New("siocodec: nesting too deep")
	// ErrUnexpectedFrame: a text frame arrived while attachments were awaited,
	// or a binary frame arrived when none was.
	ErrUnexpectedFrame = errors.New("siocodec: unexpected frame")
	// ErrUnsupportedValue: an argument has a type outside the argument model.
	ErrUnsupportedValue = errors.New("siocodec: unsupported value")
)

// Packet is one decoded (or to-be-encoded) Socket.IO packet.
//
// Data depends on Type:
//   - Connect: nil or map[string]any (client auth; server reply {"sid": ...})
//   - Disconnect: nil
//   - Event: []any, first element the event name (a string; a number is
//     accepted on decode, as socket.io-parser does)
//   - Ack: []any, possibly empty
//   - ConnectError: string or map[string]any ({"message": ..., "data": ...})
//
// Decoders always return Event and Ack for BINARY_EVENT and BINARY_ACK (the
// binary values are back in place); encoders choose BINARY_* themselves when
// the default parser needs attachments.
type Packet struct {
	Type  Type
	Nsp   string // namespace; "" is treated as "/"
	HasID bool   // whether ID is set (an ack is requested / this acks ID)
	ID    uint64
	Data  any
}

// Namespace returns p.Nsp, or "/" if empty.
func (p *Packet) Namespace() string {
	if p.Nsp == "" {
		return "/"
	}
	return p.Nsp
}

// EventName returns the event name of an Event packet.
func (p *Packet) EventName() (string, bool) {
	arr, ok := p.Data.([]any)
	if !ok || len(arr) == 0 {
		return "", false
	}
	switch v := arr[0].(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), true
	}
	return "", false
}

// reservedEvents may not be used as event names (socket.io-parser RESERVED_EVENTS).
var reservedEvents = [...]string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

// IsReservedEvent reports whether name is reserved by Socket.IO and can be
// neither sent nor received as an event.
func IsReservedEvent(name string) bool {
	for _, r := range reservedEvents {
		if r == name {
			return true
		}
	}
	return false
}

// validate checks Data against Type like socket.io-parser's isPayloadValid.
func validate(p *Packet) error {
	switch p.Type {
	case Connect:
		if p.Data == nil {
			return nil
		}
		if _, ok := p.Data.(map[string]any); ok {
			return nil
		}
		return fmt.Errorf("%w: CONNECT data must be an object", ErrInvalidPacket)
	case Disconnect:
		if p.Data != nil {
			return fmt.Errorf("%w: DISCONNECT must carry no data", ErrInvalidPacket)
		}
	case Event, BinaryEvent:
		arr, ok := p.Data.([]any)
		if !ok || len(arr) == 0 {
			return fmt.Errorf("%w: EVENT data must be a non-empty array", ErrInvalidPacket)
		}
		switch v := arr[0].(type) {
		case string:
			if IsReservedEvent(v) {
				return fmt.Errorf("%w: reserved event name %q", ErrInvalidPacket, v)
			}
		case int64, uint64:
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return fmt.Errorf("%w: EVENT name must be a finite number", ErrInvalidPacket)
			}
		case float32:
			if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
				return fmt.Errorf("%w: EVENT name must be a finite number", ErrInvalidPacket)
			}
		default:
			return fmt.Errorf("%w: EVENT name must be a string", ErrInvalidPacket)
		}
	case Ack, BinaryAck:
		if _, ok := p.Data.([]any); !ok {
			return fmt.Errorf("%w: ACK data must be an array", ErrInvalidPacket)
		}
		if !p.HasID {
			return fmt.Errorf("%w: ACK without id", ErrInvalidPacket)
		}
	case ConnectError:
		switch p.Data.(type) {
		case string, map[string]any:
		default:
			return fmt.Errorf("%w: CONNECT_ERROR data must be a string or object", ErrInvalidPacket)
		}
	default:
		return fmt.Errorf("%w: unknown packet type %d", ErrInvalidPacket, p.Type)
	}
	return nil
}
