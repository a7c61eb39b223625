package rooms

import (
	"github.com/roomcast/roomcast/codec/mpack"
)

// Input is one input(seq, payload) from a client.
type Input struct {
	// Seq is the client's sequence number; it increases per client. The
	// state frames each client receives carry the Seq of its last input the
	// room processed.
	Seq uint64
	// Payload is the decoded payload: what the room type's Settings.Input
	// returned (the game's own type), or without one the payload in the
	// Socket.IO argument model: nil, bool, int64, float64, string, []byte,
	// []any, map[string]any (bounded by the transport's decoder and
	// Settings.MaxInputBytes).
	Payload any
}

// Float returns Payload[key] as a float64 when Payload is a map and the
// value is a number, else def.
func (in Input) Float(key string, def float64) float64 {
	return Options(asMap(in.Payload)).Float(key, def)
}

// Int returns Payload[key] as an int64 when Payload is a map and the value
// is an integral number, else def.
func (in Input) Int(key string, def int64) int64 { return Options(asMap(in.Payload)).Int(key, def) }

// Bool returns Payload[key] when it is a bool, else def.
func (in Input) Bool(key string, def bool) bool { return Options(asMap(in.Payload)).Bool(key, def) }

// String returns Payload[key] when it is a string, else def.
func (in Input) String(key, def string) string { return Options(asMap(in.Payload)).String(key, def) }

// Reader returns a bounded msgpack reader over a binary payload (a client
// that packs its input itself, e.g. msgpack bytes), or nil when Payload is
// not binary. Every length is checked before anything is allocated.
func (in Input) Reader(lim mpack.Limits) *mpack.Reader {
	b, ok := in.Payload.([]byte)
	if !ok {
		return nil
	}
	return mpack.NewReader(b, lim)
}

// InputAs returns in.Payload as a T: the type a room type's Settings.Input
// decodes to.
func InputAs[T any](in Input) (T, bool) {
	v, ok := in.Payload.(T)
	return v, ok
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// ValueReader reads one encoded value piece by piece, checking every length
// against the bytes left and its limits before allocating. *mpack.Reader
// implements it. Typed reads fail (and consume nothing) when the next value
// has another type; numbers convert as mpack.Reader documents.
type ValueReader interface {
	PeekKind() (mpack.Kind, error)
	ReadNil() error
	ReadBool() (bool, error)
	ReadInt() (int64, error)
	ReadUint() (uint64, error)
	ReadFloat64() (float64, error)
	ReadFloat32() (float32, error)
	// ReadStringBytes returns the bytes of a string without copying them;
	// they are valid only during the decoder call.
	ReadStringBytes() ([]byte, error)
	ReadString() (string, error)
	ReadArrayHeader() (int, error)
	ReadMapHeader() (int, error)
	// Skip consumes one whole value.
	Skip() error
}

var _ ValueReader = (*mpack.Reader)(nil)

// InputDecoder decodes one input payload into the game's own type, read
// piece by piece from r (Settings.Input). It runs on the transport's
// goroutine, before the input is queued for the room; an error drops the
// input (counted as malformed). It must read exactly one value and keep
// nothing of r. Returning a struct value boxes it into the any (one small
// allocation per input); a decoder that returns values boxed in advance
// (a small table of them, as examples/arena's DecodeMove does with its
// nine directions) or pointer-shaped values makes the input path
// allocation-free.
type InputDecoder func(r ValueReader) (any, error)

// Input hands input(seq, payload) to the seated room, payload in the
// argument model (nil, bool, numbers, string, []byte, []any,
// map[string]any), as a transport's generic decoder produced it. Inputs
// are never answered: they are dropped (and counted) without a seat, over
// Settings.MaxInputBytes or MaxInputsPerSecond, or when the room's inbox
// is full; a client whose drops in one second exceed the rate is
// disconnected. With Settings.Input the payload is re-encoded and decoded
// by it (InputMsgpack avoids that).
func (s *Session) Input(seq uint64, payload any) {
	c, r := s.seat()
	if c == nil {
		s.srv.stats.inputsDropped.Add(1)
		return
	}
	if approxSize(payload, r.settings.MaxInputBytes) > r.settings.MaxInputBytes {
		s.dropInput(r)
		return
	}
	if dec := r.settings.Input; dec != nil {
		b, err := mpack.AppendValue(s.scratch[:0], payload)
		s.scratch = b[:0]
		if err != nil {
			s.dropInput(r)
			return
		}
		s.inputMsgpack(c, r, seq, b, dec)
		return
	}
	s.queueInput(c, r, seq, payload)
}

// InputMsgpack is Input for a payload still encoded: payload holds exactly
// one msgpack value (valid only during the call). With Settings.Input the
// game's decoder reads it directly (no generic value is built); otherwise
// it is decoded to the argument model with bounded reads.
func (s *Session) InputMsgpack(seq uint64, payload []byte) {
	c, r := s.seat()
	if c == nil {
		s.srv.stats.inputsDropped.Add(1)
		return
	}
	if len(payload) > r.settings.MaxInputBytes {
		s.dropInput(r)
		return
	}
	s.inputMsgpack(c, r, seq, payload, r.settings.Input)
}

func (s *Session) inputMsgpack(c *Client, r *Room, seq uint64, payload []byte, dec InputDecoder) {
	if s.reader == nil {
		s.reader = mpack.NewReader(nil, mpack.Limits{}) // the transport's default depth (32)
	}
	rd := s.reader
	rd.Reset(payload)
	var (
		v   any
		err error
	)
	if dec != nil {
		v, err = dec(rd)
	} else {
		v, err = rd.ReadValue()
	}
	trailing := rd.Len()
	rd.Reset(nil)
	if err != nil || trailing != 0 {
		s.dropInput(r)
		return
	}
	s.queueInput(c, r, seq, v)
}

// RejectInput counts an input the transport could not read (e.g. its seq
// is not an unsigned integer) like an input dropped for its size: it adds
// to the abuse count that disconnects a flooding client.
func (s *Session) RejectInput() {
	c, r := s.seat()
	if c == nil {
		s.srv.stats.inputsDropped.Add(1)
		return
	}
	s.dropInput(r)
}

// queueInput applies the rate limit and queues the input on r.
func (s *Session) queueInput(c *Client, r *Room, seq uint64, payload any) {
	if !s.limiter.take(s.srv.inputNow(), float64(r.settings.MaxInputsPerSecond)) {
		s.dropInput(r)
		return
	}
	if !r.inbox.trySend(inboxMsg{kind: msgInput, sess: s, client: c, seq: seq, payload: payload}) {
		s.srv.stats.inputsDropped.Add(1)
	}
}

// dropInput counts a dropped input; more drops in one second than the
// rate allows disconnects the client.
func (s *Session) dropInput(r *Room) {
	s.srv.stats.inputsDropped.Add(1)
	if s.limiter.abused(s.srv.inputNow(), r.settings.MaxInputsPerSecond) {
		s.srv.stats.abuseDisconnects.Add(1)
		s.srv.log.Warn("rooms: disconnecting client flooding inputs", "conn", s.conn.ID(), "room", r.id)
		s.conn.Close()
	}
}
