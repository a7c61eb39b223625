package socketio

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// TailPacket is an event packet event(args..., tail) whose last argument is
// an unsigned integer that differs per recipient (a game server's "last
// processed input seq"), while everything before it is shared. The shared
// part is encoded at most once per parser; each EmitTail only appends the
// tail:
//
//   - msgpack parser: the packet map is written with its keys in the order
//     type, nsp, data, so the data array's last element (the tail) is the
//     last bytes of the frame. Per recipient: copy the shared prefix and
//     append one msgpack uint.
//   - default parser: the text header (e.g.
//     `51-["delta",{"_placeholder":true,"num":0},TAIL]`) is the shared text
//     prefix plus the decimal tail and "]"; the binary attachments are shared
//     frames sent to every recipient.
//
// A packet may also end with shared arguments after the tail,
// event(args..., tail, suffix...) (PrepareTailEventSuffix): they are
// encoded once per parser too and appended after each recipient's tail.
//
// Safe for concurrent use; args must not be modified after PrepareTailEvent.
type TailPacket struct {
	nsp    string
	event  string
	args   []any
	bin    []byte // ResetBinary's only argument (args is then nil)
	hasBin bool
	suffix []any
	enc    [2]tailEncoding // [0] default, [1] msgpack
}

type tailEncoding struct {
	once        sync.Once
	prefix      []byte            // shared bytes before the tail
	suffix      []byte            // shared bytes after the tail (default parser: ends with "]")
	attachments []*engineio.Frame // default parser: shared binary frames
	err         error
}

// PrepareTailEvent returns a TailPacket for event(args..., tail) on
// namespace nsp. It checks the event name and argument types at once;
// encoding happens on first use per parser.
func PrepareTailEvent(nsp, event string, args ...any) (*TailPacket, error) {
	if siocodec.IsReservedEvent(event) {
		return nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	for i, a := range args {
		if err := checkArg(a, 0); err != nil {
			return nil, fmt.Errorf("socketio: argument %d: %w", i, err)
		}
	}
	return &TailPacket{nsp: normalizeNsp(nsp), event: event, args: args}, nil
}

// PrepareTailEventSuffix returns a TailPacket for event(args..., tail,
// suffix...): suffix values come after the per-recipient tail and are
// shared like args. They must not hold binary ([]byte, mpack.Raw): the
// default parser's attachments are numbered from the args alone.
func PrepareTailEventSuffix(nsp, event string, args, suffix []any) (*TailPacket, error) {
	p, err := PrepareTailEvent(nsp, event, args...)
	if err != nil {
		return nil, err
	}
	for i, a := range suffix {
		if err := checkArg(a, 0); err != nil {
			return nil, fmt.Errorf("socketio: suffix argument %d: %w", i, err)
		}
		if hasBinary(a, 0) {
			return nil, fmt.Errorf("socketio: suffix argument %d: binary values are not allowed after the tail", i)
		}
	}
	p.suffix = suffix
	return p, nil
}

// hasBinary reports whether v holds a []byte or mpack.Raw (checkArg has
// bounded its depth).
func hasBinary(v any, depth int) bool {
	switch v := v.(type) {
	case []byte, mpack.Raw:
		return true
	case []any:
		for _, e := range v {
			if hasBinary(e, depth+1) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasBinary(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// ResetBinary makes p the packet event(data, tail, suffix...) on nsp, as
// PrepareTailEventSuffix(nsp, event, []any{data}, suffix) would, reusing
// p's encoding buffers: a sender of one such packet per tick (a room's
// state frame) then allocates nothing for it. No EmitTail or AppendTail of
// p may run during the call, and data must not be modified while p is in
// use. On error p is unusable until the next successful ResetBinary.
func (p *TailPacket) ResetBinary(nsp, event string, data []byte, suffix []any) error {
	if siocodec.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	for i, a := range suffix {
		if err := checkArg(a, 0); err != nil {
			return fmt.Errorf("socketio: suffix argument %d: %w", i, err)
		}
		if hasBinary(a, 0) {
			return fmt.Errorf("socketio: suffix argument %d: binary values are not allowed after the tail", i)
		}
	}
	p.nsp, p.event, p.args, p.bin, p.hasBin, p.suffix = normalizeNsp(nsp), event, nil, data, true, suffix
	for i := range p.enc {
		e := &p.enc[i]
		p.enc[i] = tailEncoding{prefix: e.prefix[:0], suffix: e.suffix[:0]}
	}
	return nil
}

// argCount is the number of arguments before the tail.
func (p *TailPacket) argCount() int {
	if p.hasBin {
		return 1
	}
	return len(p.args)
}

// Namespace returns the namespace the packet is for.
func (p *TailPacket) Namespace() string { return p.nsp }

func (p *TailPacket) encoding(parser Parser) (*tailEncoding, error) {
	i := 0
	if parser == ParserMsgpack {
		i = 1
	}
	e := &p.enc[i]
	e.once.Do(func() {
		if i == 1 {
			e.prefix, e.err = p.msgpackPrefix(e.prefix[:0])
			if e.err == nil {
				e.suffix, e.err = p.msgpackSuffix(e.suffix[:0])
			}
		} else {
			e.prefix, e.attachments, e.err = p.defaultPrefix()
			if e.err == nil {
				e.suffix, e.err = p.defaultSuffix()
			}
		}
	})
	return e, e.err
}

// msgpackPrefix appends {"type":2,"nsp":nsp,"data":[event,args...,  (the
// tail is appended per recipient) to b (a reused buffer, or nil).
func (p *TailPacket) msgpackPrefix(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 64+len(p.bin))
	}
	b = mpack.AppendMapHeader(b, 3)
	b = mpack.AppendString(b, "type")
	b = mpack.AppendUint(b, uint64(siocodec.Event))
	b = mpack.AppendString(b, "nsp")
	b = mpack.AppendString(b, p.nsp)
	b = mpack.AppendString(b, "data")
	b = mpack.AppendArrayHeader(b, p.argCount()+2+len(p.suffix))
	b = mpack.AppendString(b, p.event)
	if p.hasBin {
		b = mpack.AppendBytes(b, p.bin)
	}
	for i, a := range p.args {
		var err error
		if b, err = mpack.AppendValue(b, a); err != nil {
			return nil, fmt.Errorf("socketio: tail event %q argument %d: %w", p.event, i, err)
		}
	}
	return b, nil
}

// msgpackSuffix appends the suffix values (nothing without a suffix) to b.
func (p *TailPacket) msgpackSuffix(b []byte) ([]byte, error) {
	for i, a := range p.suffix {
		var err error
		if b, err = mpack.AppendValue(b, a); err != nil {
			return nil, fmt.Errorf("socketio: tail event %q suffix argument %d: %w", p.event, i, err)
		}
	}
	return b, nil
}

// defaultSuffix returns the text after the tail: ",v1,v2]" (or "]"). It
// encodes the suffix values as the data of a plain packet, "2[v1,v2]", and
// keeps what is between the brackets.
func (p *TailPacket) defaultSuffix() ([]byte, error) {
	if len(p.suffix) == 0 {
		return []byte{']'}, nil
	}
	pkt := siocodec.Packet{Type: siocodec.Event, Nsp: "/", Data: p.suffix}
	text, atts, err := siocodec.AppendDefault(nil, &pkt)
	if err != nil {
		return nil, fmt.Errorf("socketio: tail event %q suffix: %w", p.event, err)
	}
	n := len(text)
	if len(atts) != 0 || n < 4 || string(text[:2]) != "2[" || text[n-1] != ']' {
		return nil, fmt.Errorf("socketio: tail event %q suffix: unexpected encoding %q", p.event, text)
	}
	out := make([]byte, 0, n-1)
	out = append(out, ',')
	return append(out, text[2:]...), nil
}

// defaultPrefix encodes the packet with a zero tail and cuts "0]" off the
// text, which is what appendJSON writes for a trailing uint64(0).
func (p *TailPacket) defaultPrefix() ([]byte, []*engineio.Frame, error) {
	data := make([]any, 0, p.argCount()+2)
	data = append(data, p.event)
	if p.hasBin {
		data = append(data, p.bin)
	}
	data = append(data, p.args...)
	data = append(data, uint64(0))
	pkt := siocodec.Packet{Type: siocodec.Event, Nsp: p.nsp, Data: data}
	text, atts, err := siocodec.AppendDefault(nil, &pkt)
	if err != nil {
		return nil, nil, fmt.Errorf("socketio: tail event %q: %w", p.event, err)
	}
	n := len(text)
	if n < 2 || text[n-2] != '0' || text[n-1] != ']' {
		return nil, nil, fmt.Errorf("socketio: tail event %q: unexpected encoding %q", p.event, text)
	}
	frames := make([]*engineio.Frame, len(atts))
	for i, a := range atts {
		frames[i] = engineio.BinaryFrame(a)
	}
	return text[:n-2], frames, nil
}

// AppendTail appends the frame payload of p with tail for parser to dst:
// the whole msgpack packet, or the default parser's text header (whose
// attachments TailAttachments returns). For tests, benchmarks and
// transports that frame on their own.
func (p *TailPacket) AppendTail(dst []byte, parser Parser, tail uint64) ([]byte, error) {
	e, err := p.encoding(parser)
	if err != nil {
		return dst, err
	}
	dst = append(dst, e.prefix...)
	if parser == ParserMsgpack {
		dst = mpack.AppendUint(dst, tail)
	} else {
		dst = strconv.AppendUint(dst, tail, 10)
	}
	return append(dst, e.suffix...), nil
}

// TailAttachments returns the shared binary attachment frames the default
// parser sends after each text header (nil for msgpack).
func (p *TailPacket) TailAttachments(parser Parser) ([]*engineio.Frame, error) {
	if parser == ParserMsgpack {
		return nil, nil
	}
	e, err := p.encoding(ParserDefault)
	return e.attachments, err
}

// tailScratch holds per-recipient encoding scratch: the packet's bytes,
// which Conn.SendCopy copies into a frame the engine reuses once written.
var tailScratch = sync.Pool{New: func() any { return &tailBuf{buf: make([]byte, 0, 256)} }}

type tailBuf struct{ buf []byte }

// EmitTail sends p with tail to this socket. With droppable, a full send
// queue drops the packet (ErrDropped) instead of closing the session.
func (s *Socket) EmitTail(p *TailPacket, tail uint64, droppable bool) error {
	if p.nsp != s.ns.name {
		return ErrNamespaceMismatch
	}
	if !s.Connected() {
		return ErrDisconnected
	}
	parser := s.cl.effectiveParser()
	e, err := p.encoding(parser)
	if err != nil {
		return err
	}
	tb := tailScratch.Get().(*tailBuf)
	b := append(tb.buf[:0], e.prefix...)
	if parser == ParserMsgpack {
		b = mpack.AppendUint(b, tail)
	} else {
		b = strconv.AppendUint(b, tail, 10)
	}
	b = append(b, e.suffix...)
	err = s.cl.sendCopy(b, parser == ParserMsgpack, droppable, e.attachments)
	tb.buf = b[:0]
	if cap(b) <= 64<<10 {
		tailScratch.Put(tb)
	}
	return err
}
