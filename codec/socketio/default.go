package siocodec

import (
	"fmt"
	"strconv"

	"github.com/roomcast/roomcast/codec/mpack"
)

// AppendDefault appends the default parser's text encoding of p to dst (without
// Engine.IO's leading "4") and returns it together with the binary
// attachments, which must be sent as binary frames right after the text, in
// order. []byte and mpack.Raw values inside Data become
// {"_placeholder":true,"num":N} and their bytes (not copied) the attachments;
// an Event or Ack packet that has any is written as BINARY_EVENT / BINARY_ACK.
// attachments is nil when there are none.
func AppendDefault(dst []byte, p *Packet) (text []byte, attachments [][]byte, err error) {
	t := p.Type
	nbin := 0
	switch t {
	case Event, Ack, BinaryEvent, BinaryAck:
		nbin, err = countBinary(p.Data, 0)
		if err != nil {
			return dst, nil, err
		}
		switch {
		case nbin > 0 && t == Event:
			t = BinaryEvent
		case nbin > 0 && t == Ack:
			t = BinaryAck
		case nbin == 0 && t == BinaryEvent:
			t = Event
		case nbin == 0 && t == BinaryAck:
			t = Ack
		}
	case Connect, Disconnect, ConnectError:
	default:
		return dst, nil, fmt.Errorf("%w: unknown packet type %d", ErrInvalidPacket, t)
	}
	dst = append(dst, '0'+byte(t))
	if nbin > 0 {
		dst = strconv.AppendInt(dst, int64(nbin), 10)
		dst = append(dst, '-')
	}
	if p.Nsp != "" && p.Nsp != "/" {
		dst = append(dst, p.Nsp...)
		dst = append(dst, ',')
	}
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	if p.Data != nil {
		if nbin > 0 {
			attachments = make([][]byte, 0, nbin)
			dst, err = appendJSON(dst, p.Data, &attachments, 0)
		} else {
			dst, err = appendJSON(dst, p.Data, nil, 0)
		}
		if err != nil {
			return dst, nil, err
		}
	}
	return dst, attachments, nil
}

// countBinary counts []byte and mpack.Raw values in v.
func countBinary(v any, depth int) (int, error) {
	if depth > maxEncodeDepth {
		return 0, fmt.Errorf("%w: nesting deeper than %d", ErrTooDeep, maxEncodeDepth)
	}
	switch v := v.(type) {
	case []byte, mpack.Raw:
		return 1, nil
	case []any:
		n := 0
		for _, e := range v {
			c, err := countBinary(e, depth+1)
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	case map[string]any:
		n := 0
		for _, e := range v {
			c, err := countBinary(e, depth+1)
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	}
	return 0, nil
}

// Decoder decodes the default parser's frames of one session. A binary
// packet spans several Engine.IO messages (its text, then each attachment),
// so the Decoder keeps the packet in progress. Not safe for concurrent use.
type Decoder struct {
	lim         Limits
	pending     bool
	pendingPkt  Packet
	pendingText []byte // JSON part, copied
	want        int
	attachments [][]byte
}

// NewDecoder returns a Decoder with the given limits.
func NewDecoder(lim Limits) *Decoder {
	return &Decoder{lim: lim.withDefaults()}
}

// Pending reports whether the Decoder is waiting for binary attachments.
func (d *Decoder) Pending() bool { return d.pending }

// Reset drops any packet in progress.
func (d *Decoder) Reset() {
	d.pending = false
	d.pendingPkt = Packet{}
	d.pendingText = nil
	d.want = 0
	d.attachments = nil
}

// Decode feeds one Engine.IO message (text or binary) to the Decoder. It
// returns done=true with the packet once a packet is complete; done=false
// with a nil error while attachments are still awaited. data is not retained
// (attachments are copied). After an error the Decoder is reset.
func (d *Decoder) Decode(data []byte, binary bool) (p Packet, done bool, err error) {
	if binary {
		if !d.pending {
			return Packet{}, false, fmt.Errorf("%w: binary frame when no attachment is awaited", ErrUnexpectedFrame)
		}
		d.attachments = append(d.attachments, append(make([]byte, 0, len(data)), data...))
		if len(d.attachments) < d.want {
			return Packet{}, false, nil
		}
		p = d.pendingPkt
		if p.Type == BinaryEvent {
			p.Type = Event
		} else {
			p.Type = Ack
		}
		text, atts := d.pendingText, d.attachments
		d.Reset()
		if p.Data, err = parseJSONData(text, atts, d.lim.MaxDepth); err != nil {
			return Packet{}, false, err
		}
		if err := validate(&p); err != nil {
			return Packet{}, false, err
		}
		return p, true, nil
	}
	if d.pending {
		d.Reset()
		return Packet{}, false, fmt.Errorf("%w: text frame while %d attachment(s) are awaited", ErrUnexpectedFrame, d.want)
	}
	p, json, nAtt, err := decodeHeader(data, d.lim)
	if err != nil {
		return Packet{}, false, err
	}
	if (p.Type == BinaryEvent || p.Type == BinaryAck) && nAtt > 0 {
		if len(json) == 0 {
			return Packet{}, false, fmt.Errorf("%w: binary packet without data", ErrInvalidPacket)
		}
		d.pending = true
		d.pendingPkt = p
		d.pendingText = append([]byte(nil), json...)
		d.want = nAtt
		d.attachments = make([][]byte, 0, nAtt)
		return Packet{}, false, nil
	}
	if len(json) > 0 {
		if p.Data, err = parseJSONData(json, nil, d.lim.MaxDepth); err != nil {
			return Packet{}, false, err
		}
	}
	if err := validate(&p); err != nil {
		return Packet{}, false, err
	}
	return p, true, nil
}

func parseJSONData(text []byte, attachments [][]byte, maxDepth int) (any, error) {
	jp := jsonParser{sc: NewJSONScanner(text, maxDepth), attachments: attachments, binary: attachments != nil}
	return jp.parseDocument()
}

// decodeHeader parses "<type>[<n>-][<nsp>,][<id>]" and returns the rest (the
// JSON). A binary type with attachments keeps its BinaryEvent/BinaryAck type
// (the caller normalises it once the attachments are in); with "0-" it is
// normalised here.
func decodeHeader(data []byte, lim Limits) (p Packet, rest []byte, nAtt int, err error) {
	if len(data) == 0 {
		return p, nil, 0, fmt.Errorf("%w: empty packet", ErrInvalidPacket)
	}
	c := data[0]
	if c < '0' || c > '6' {
		return p, nil, 0, fmt.Errorf("%w: unknown packet type %q", ErrInvalidPacket, c)
	}
	p.Type = Type(c - '0')
	i := 1
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		start := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		if i == start || i >= len(data) || data[i] != '-' {
			return p, nil, 0, fmt.Errorf("%w: illegal attachments count", ErrInvalidPacket)
		}
		if i-start > 4 {
			return p, nil, 0, fmt.Errorf("%w: %s announced (limit %d)", ErrTooManyAttachments, data[start:i], lim.MaxAttachments)
		}
		n, _ := strconv.Atoi(string(data[start:i]))
		if n > lim.MaxAttachments {
			return p, nil, 0, fmt.Errorf("%w: %d announced (limit %d)", ErrTooManyAttachments, n, lim.MaxAttachments)
		}
		nAtt = n
		i++ // '-'
	}
	p.Nsp = "/"
	if i < len(data) && data[i] == '/' {
		start := i
		for i < len(data) && data[i] != ',' {
			i++
		}
		if i-start > 1 {
			p.Nsp = string(data[start:i])
		}
		if i < len(data) {
			i++ // ','
		}
	}
	if i < len(data) && isDigit(data[i]) {
		start := i
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		id, perr := strconv.ParseUint(string(data[start:i]), 10, 64)
		if perr != nil {
			return p, nil, 0, fmt.Errorf("%w: ack id out of range", ErrInvalidPacket)
		}
		p.HasID = true
		p.ID = id
	}
	rest = data[i:]
	if (p.Type == BinaryEvent || p.Type == BinaryAck) && nAtt == 0 {
		// labelled binary but no attachments: a plain packet.
		if p.Type == BinaryEvent {
			p.Type = Event
		} else {
			p.Type = Ack
		}
	}
	return p, rest, nAtt, nil
}
