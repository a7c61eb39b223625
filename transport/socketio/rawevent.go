package socketio

import (
	"fmt"
	"sync"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// RawArgs are an event's arguments not decoded into Go values: Len
// msgpack values one after another (the packet's data array without its
// header and the event name), checked to be well formed within the
// server's Limits — as the msgpack parser received them, or transcoded
// from the default parser's JSON. They alias a buffer valid only during
// the handler.
type RawArgs struct {
	b     []byte
	n     int
	depth int // Limits.MaxDepth + 1, as the generic decoder applies it
}

// Len returns the number of arguments.
func (a RawArgs) Len() int { return a.n }

// Bytes returns the encoded arguments.
func (a RawArgs) Bytes() []byte { return a.b }

// Limits returns the limits the arguments were checked with, for a reader
// over Bytes.
func (a RawArgs) Limits() mpack.Limits { return mpack.Limits{MaxDepth: a.depth} }

// RawEventHandler handles an event whose arguments are still encoded. ack
// is nil when the client asked for no acknowledgement.
type RawEventHandler func(s *Socket, args RawArgs, ack func(args ...any))

// OnRawEvent registers h for event (replacing any previous raw handler):
// when the session uses the msgpack parser, such events skip the generic
// decoding into []any / map[string]any and h gets their encoded arguments
// (a game server decodes its hot inputs straight into its own types).
// With the default parser the same holds for text packets without binary
// attachments: their JSON arguments are transcoded to msgpack (no generic
// values). Packets the raw path does not take (with attachments, or
// malformed: the generic decoder then reports them) go to the On / OnAny
// handlers as usual, so register both. h runs in the
// socket's handler sequence, like On handlers.
func (s *Socket) OnRawEvent(event string, h RawEventHandler) error {
	if siocodec.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var routes []rawRoute
	if old := s.rawHandlers.Load(); old != nil {
		routes = append(routes, *old...) // a new slice: readers hold the old one
	}
	for i := range routes {
		if routes[i].event == event {
			routes[i].h = h
			s.rawHandlers.Store(&routes)
			return nil
		}
	}
	routes = append(routes, rawRoute{event: event, h: h})
	s.rawHandlers.Store(&routes)
	return nil
}

// rawRoute is one OnRawEvent registration. A socket has a few (a game's
// hot events), so a linear scan comparing bytes beats hashing the name.
type rawRoute struct {
	event string
	h     RawEventHandler
}

// rawHandler returns the raw handler of event, or nil; no lock.
func (s *Socket) rawHandler(event []byte) RawEventHandler {
	routes := s.rawHandlers.Load()
	if routes == nil {
		return nil
	}
	for _, r := range *routes {
		if r.event == string(event) {
			return r.h
		}
	}
	return nil
}

// rawEvent is an EVENT packet found by peekRawEvent.
type rawEvent struct {
	nsp   []byte
	name  []byte
	args  []byte
	nargs int
	hasID bool
	id    uint64
}

// peekRawEvent reads the envelope of a msgpack-parser packet: ok is true
// for a well-formed EVENT whose name is a string and whose arguments the
// generic decoder would accept too (keys in any order, unknown keys
// skipped, every length, the nesting depth, map keys and ext types checked
// as siocodec.DecodeMsgpack does with this maxDepth), without building a
// value. Anything else is left to the generic decoder, which reports
// errors.
func peekRawEvent(data []byte, maxDepth int) (ev rawEvent, ok bool) {
	r := mpack.NewReader(data, mpack.Limits{MaxDepth: maxDepth})
	n, err := r.ReadMapHeader()
	if err != nil {
		return ev, false
	}
	isEvent, haveData := false, false
	for range n {
		key, err := r.ReadStringBytes()
		if err != nil {
			return ev, false
		}
		switch string(key) {
		case "type":
			t, err := r.ReadInt()
			if err != nil || (t != int64(siocodec.Event) && t != int64(siocodec.BinaryEvent)) {
				return ev, false
			}
			isEvent = true
		case "nsp":
			if ev.nsp, err = r.ReadStringBytes(); err != nil {
				return ev, false
			}
		case "data":
			// [name, args...] at depth 1 (the envelope is depth 0).
			an, err := r.ReadArrayHeader()
			if err != nil || an < 1 || maxDepth <= 1 {
				return ev, false
			}
			if ev.name, err = r.ReadStringBytes(); err != nil || siocodec.IsReservedEvent(string(ev.name)) {
				return ev, false
			}
			start := r.Offset()
			for range an - 1 {
				if !checkArgValue(r, 2, maxDepth) {
					return ev, false
				}
			}
			ev.args, ev.nargs = data[start:r.Offset()], an-1
			haveData = true
		case "id":
			k, err := r.PeekKind()
			if err != nil {
				return ev, false
			}
			if k == mpack.KindNil || k == mpack.KindExt {
				// nil or JavaScript undefined: no id (anything else: let
				// the generic decoder refuse it).
				if v, err := r.ReadValue(); err != nil || v != nil {
					return ev, false
				}
				ev.hasID = false
				continue
			}
			if ev.id, err = r.ReadUint(); err != nil {
				return ev, false
			}
			ev.hasID = true
		default:
			if err := r.Skip(); err != nil {
				return ev, false
			}
		}
	}
	return ev, isEvent && haveData && r.Len() == 0
}

// checkArgValue consumes one value at depth if mpack.Reader.ReadValue
// would accept it there: containers below maxDepth, string map keys, ext
// only as JavaScript undefined or binary (ext type 0).
func checkArgValue(r *mpack.Reader, depth, maxDepth int) bool {
	k, err := r.PeekKind()
	if err != nil {
		return false
	}
	switch k {
	case mpack.KindArray:
		n, err := r.ReadArrayHeader()
		if err != nil || depth >= maxDepth {
			return false
		}
		for range n {
			if !checkArgValue(r, depth+1, maxDepth) {
				return false
			}
		}
		return true
	case mpack.KindMap:
		n, err := r.ReadMapHeader()
		if err != nil || depth >= maxDepth {
			return false
		}
		for range n {
			if _, err := r.ReadStringBytes(); err != nil {
				return false
			}
			if !checkArgValue(r, depth+1, maxDepth) {
				return false
			}
		}
		return true
	case mpack.KindExt:
		_, err := r.ReadValue() // undefined (no allocation) or a copied binary
		return err == nil
	}
	return r.Skip() == nil
}

// dispatchRaw hands a msgpack-parser EVENT to its socket's raw handler, if
// it has one for the event; false means the generic path takes the packet.
// Called by onMessage, sequentially; data is valid during the call, and
// runInline returns after the handler ran.
func (c *client) dispatchRaw(data []byte) bool {
	depth := c.srv.cfg.Limits.MaxDepth
	if depth <= 0 {
		depth = siocodec.DefaultMaxDepth
	}
	depth++ // the packet envelope map, as siocodec applies it
	ev, ok := peekRawEvent(data, depth)
	if !ok {
		return false
	}
	return c.runRaw(ev, depth)
}

// runRaw runs the raw handler of ev's socket and event, if there is one,
// in the handler sequence (runInline returns after it ran, so ev's bytes
// stay valid); false means there is none.
func (c *client) runRaw(ev rawEvent, depth int) bool {
	var s *Socket
	if len(ev.nsp) > 1 {
		c.mu.Lock()
		s = c.sockets[string(ev.nsp)]
		c.mu.Unlock()
	} else {
		s = c.root.Load()
	}
	if s == nil {
		return false
	}
	h := s.rawHandler(ev.name)
	if h == nil {
		return false
	}
	if c.exec.lockIdle() { // the usual case: no closure to allocate
		s.onRawEvent(h, ev, depth)
	} else {
		c.exec.push(func() { s.onRawEvent(h, ev, depth) }) // ev copied into the closure
	}
	c.exec.drainAndUnlock()
	return true
}

// onRawEvent runs inside the executor.
func (s *Socket) onRawEvent(h RawEventHandler, ev rawEvent, depth int) {
	if !s.Connected() {
		return
	}
	var ack func(args ...any)
	if ev.hasID {
		ack = s.ackFunc(ev.id)
	}
	args := RawArgs{b: ev.args, n: ev.nargs, depth: depth}
	s.cl.safeCall(func() { h(s, args, ack) })
}

// ackFunc returns the ack callback of a client event with id: the first
// call sends ACK id with its arguments, later calls do nothing.
func (s *Socket) ackFunc(id uint64) func(args ...any) {
	var once sync.Once
	return func(args ...any) {
		once.Do(func() {
			if args == nil {
				args = []any{}
			}
			reply := siocodec.Packet{Type: siocodec.Ack, Nsp: s.ns.name, HasID: true, ID: id, Data: args}
			if err := s.cl.sendPacket(&reply, false); err != nil {
				s.cl.srv.log.Debug("socketio: ack not sent", "sid", s.id, "err", err)
			}
		})
	}
}
