package siocodec

import (
	"fmt"

	"github.com/roomcast/roomcast/codec/mpack"
)

// AppendMsgpack appends p as socket.io-msgpack-parser writes it: one msgpack
// map {"type", "data" (if non-nil), "nsp", "id" (if HasID)}. BinaryEvent and
// BinaryAck are written as Event and Ack (msgpack carries binary natively);
// mpack.Raw values are spliced verbatim.
func AppendMsgpack(dst []byte, p *Packet) ([]byte, error) {
	t := p.Type
	switch t {
	case BinaryEvent:
		t = Event
	case BinaryAck:
		t = Ack
	case Connect, Disconnect, Event, Ack, ConnectError:
	default:
		return dst, fmt.Errorf("%w: unknown packet type %d", ErrInvalidPacket, t)
	}
	n := 2
	if p.Data != nil {
		n++
	}
	if p.HasID {
		n++
	}
	dst = mpack.AppendMapHeader(dst, n)
	dst = mpack.AppendString(dst, "type")
	dst = mpack.AppendUint(dst, uint64(t))
	if p.Data != nil {
		dst = mpack.AppendString(dst, "data")
		var err error
		if dst, err = mpack.AppendValue(dst, p.Data); err != nil {
			return dst, fmt.Errorf("%w: %w", ErrUnsupportedValue, err)
		}
	}
	dst = mpack.AppendString(dst, "nsp")
	dst = mpack.AppendString(dst, p.Namespace())
	if p.HasID {
		dst = mpack.AppendString(dst, "id")
		dst = mpack.AppendUint(dst, p.ID)
	}
	return dst, nil
}

// DecodeMsgpack decodes one socket.io-msgpack-parser packet. Keys other than
// type, data, nsp and id (such as the client's "options") are skipped; a
// missing nsp means "/"; an id that is nil or undefined means none. BINARY_*
// types are accepted and returned as Event/Ack. The result never aliases data.
func DecodeMsgpack(data []byte, lim Limits) (Packet, error) {
	lim = lim.withDefaults()
	r := mpack.NewReader(data, lim.mpack())
	var p Packet
	n, err := r.ReadMapHeader()
	if err != nil {
		return p, fmt.Errorf("%w: msgpack packet is not a map: %w", ErrInvalidPacket, err)
	}
	haveType := false
	p.Nsp = "/"
	for range n {
		key, err := r.ReadStringBytes()
		if err != nil {
			return Packet{}, fmt.Errorf("%w: msgpack packet key: %w", ErrInvalidPacket, err)
		}
		switch string(key) {
		case "type":
			t, err := r.ReadInt()
			if err != nil {
				return Packet{}, fmt.Errorf("%w: type: %w", ErrInvalidPacket, err)
			}
			if t < 0 || t > int64(BinaryAck) {
				return Packet{}, fmt.Errorf("%w: unknown packet type %d", ErrInvalidPacket, t)
			}
			p.Type = Type(t)
			haveType = true
		case "nsp":
			nsp, err := r.ReadStringBytes()
			if err != nil {
				return Packet{}, fmt.Errorf("%w: nsp: %w", ErrInvalidPacket, err)
			}
			if len(nsp) == 0 || string(nsp) == "/" {
				p.Nsp = "/"
			} else {
				p.Nsp = string(nsp)
			}
		case "data":
			if p.Data, err = r.ReadValue(); err != nil {
				return Packet{}, fmt.Errorf("%w: data: %w", ErrInvalidPacket, err)
			}
		case "id":
			k, err := r.PeekKind()
			if err != nil {
				return Packet{}, fmt.Errorf("%w: id: %w", ErrInvalidPacket, err)
			}
			if k == mpack.KindNil || k == mpack.KindExt {
				// nil, or JavaScript undefined (d4 00 00): no id.
				v, err := r.ReadValue()
				if err != nil || v != nil {
					return Packet{}, fmt.Errorf("%w: id: not an integer", ErrInvalidPacket)
				}
				p.HasID = false
				continue
			}
			id, err := r.ReadUint()
			if err != nil {
				return Packet{}, fmt.Errorf("%w: id: %w", ErrInvalidPacket, err)
			}
			p.HasID, p.ID = true, id
		default:
			if err := r.Skip(); err != nil {
				return Packet{}, fmt.Errorf("%w: key %q: %w", ErrInvalidPacket, key, err)
			}
		}
	}
	if r.Len() != 0 {
		return Packet{}, fmt.Errorf("%w: %d trailing bytes after msgpack packet", ErrInvalidPacket, r.Len())
	}
	if !haveType {
		return Packet{}, fmt.Errorf("%w: msgpack packet without type", ErrInvalidPacket)
	}
	switch p.Type {
	case BinaryEvent:
		p.Type = Event
	case BinaryAck:
		p.Type = Ack
	}
	if err := validate(&p); err != nil {
		return Packet{}, err
	}
	return p, nil
}
