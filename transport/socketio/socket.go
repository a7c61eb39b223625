package socketio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// Handshake is what a socket knows about its connection.
type Handshake struct {
	engineio.Handshake        // RemoteAddr, Header, Query, Time of the Engine.IO handshake
	Auth               any    // the CONNECT payload, a map[string]any (empty if the CONNECT had none)
	Transport          string // "polling" or "websocket" at connect time
	EngineID           string // the Engine.IO session id (shared by the client's namespaces)
}

type pendingAck struct {
	cb   func(args []any, err error)
	stop func() // stops the timeout; idempotent
}

// Socket is one client's connection to one namespace.
type Socket struct {
	id     string
	ns     *Namespace
	cl     *client
	hs     Handshake
	ctx    context.Context
	cancel context.CancelFunc

	// connected is written under mu (read there where it must agree with
	// the fields below); Connected reads it without the lock.
	connected atomic.Bool
	// rawHandlers is replaced (copy on write, under mu) by OnRawEvent and
	// read without a lock per packet (rawevent.go).
	rawHandlers atomic.Pointer[[]rawRoute]

	mu           sync.Mutex // guards everything below; never held while calling user code
	handlers     map[string]func(*Socket, []any, func(...any))
	anyHandler   func(*Socket, string, []any, func(...any))
	onDisconnect []func(*Socket, string)
	rooms        map[string]struct{}
	acks         map[uint64]*pendingAck
	nextAckID    uint64
	data         any
}

func newSocket(ns *Namespace, c *client, auth any) *Socket {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Socket{
		id: newID(), ns: ns, cl: c, ctx: ctx, cancel: cancel,
		handlers: map[string]func(*Socket, []any, func(...any)){},
		rooms:    map[string]struct{}{},
	}
	s.connected.Store(true)
	s.hs = Handshake{Handshake: c.conn.Handshake(), Auth: auth, Transport: c.conn.Transport(), EngineID: c.conn.ID()}
	return s
}

// ID is the socket's id (random, per namespace connection; also the name of
// a room the socket is always in).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.ns }

// Handshake returns the connection details and the CONNECT auth payload.
func (s *Socket) Handshake() Handshake { return s.hs }

// Parser returns the session's wire parser (never ParserAuto once connected).
func (s *Socket) Parser() Parser { return s.cl.effectiveParser() }

// Context is cancelled when the socket disconnects.
func (s *Socket) Context() context.Context { return s.ctx }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { return s.connected.Load() }

// SetData attaches an arbitrary value to the socket (e.g. the session of a
// higher layer); Data returns it.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Data returns the value set with SetData.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// On registers the handler of event (replacing any previous one). ack is nil
// when the client did not ask for an acknowledgement; calling it more than
// once sends only the first. args and everything in them belong to the
// handler.
func (s *Socket) On(event string, handler func(s *Socket, args []any, ack func(args ...any))) {
	s.mu.Lock()
	s.handlers[event] = handler
	s.mu.Unlock()
}

// OnAny registers a handler for events that have no On handler.
func (s *Socket) OnAny(handler func(s *Socket, event string, args []any, ack func(args ...any))) {
	s.mu.Lock()
	s.anyHandler = handler
	s.mu.Unlock()
}

// OnDisconnect registers fn to run once when the socket disconnects, with
// the reason (see the Reason constants).
func (s *Socket) OnDisconnect(fn func(s *Socket, reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// Emit sends an event to this socket.
func (s *Socket) Emit(event string, args ...any) error {
	if siocodec.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	if !s.Connected() {
		return ErrDisconnected
	}
	p := siocodec.Packet{Type: siocodec.Event, Nsp: s.ns.name, Data: eventData(event, args)}
	return s.cl.sendPacket(&p, false)
}

// EmitPrepared sends a prepared packet to this socket. With droppable, a
// full send queue drops it (ErrDropped) instead of closing the session.
func (s *Socket) EmitPrepared(p *PreparedPacket, droppable bool) error {
	if p.nsp != s.ns.name {
		return ErrNamespaceMismatch
	}
	if !s.Connected() {
		return ErrDisconnected
	}
	frames, err := p.Frames(s.cl.effectiveParser())
	if err != nil {
		return err
	}
	return s.cl.sendFrames(frames, droppable)
}

// EmitWithAck sends an event asking the client to acknowledge it. cb runs
// exactly once, in the socket's handler sequence: with the client's ack
// arguments, or with an error — ctx's error (ErrAckTimeout wraps
// context.DeadlineExceeded when Config.AckTimeout or ctx's deadline passes),
// ErrDisconnected, or the send error. If ctx has no deadline,
// Config.AckTimeout applies.
func (s *Socket) EmitWithAck(ctx context.Context, event string, cb func(args []any, err error), args ...any) error {
	if siocodec.IsReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	s.mu.Lock()
	if !s.connected.Load() {
		s.mu.Unlock()
		return ErrDisconnected
	}
	if len(s.acks) >= s.cl.srv.cfg.MaxPendingAcks {
		s.mu.Unlock()
		return ErrTooManyPendingAcks
	}
	id := s.nextAckID
	s.nextAckID++
	pa := &pendingAck{cb: cb}
	if s.acks == nil {
		s.acks = map[uint64]*pendingAck{}
	}
	s.acks[id] = pa
	ctx, cancel := s.cl.ackContext(ctx)
	stopAfter := context.AfterFunc(ctx, func() {
		cancel()
		if s.takeAck(id) == nil {
			return
		}
		err := ctx.Err()
		if err == context.DeadlineExceeded {
			err = fmt.Errorf("%w: %w", ErrAckTimeout, err)
		}
		s.cl.exec.submit(func() { s.cl.safeCall(func() { cb(nil, err) }) })
	})
	pa.stop = func() { stopAfter(); cancel() }
	s.mu.Unlock()

	p := siocodec.Packet{Type: siocodec.Event, Nsp: s.ns.name, HasID: true, ID: id, Data: eventData(event, args)}
	if err := s.cl.sendPacket(&p, false); err != nil {
		if s.takeAck(id) != nil {
			pa.stop()
		}
		return err
	}
	return nil
}

// EmitWithAckTimeout is EmitWithAck with a timeout instead of a context.
func (s *Socket) EmitWithAckTimeout(timeout time.Duration, event string, cb func(args []any, err error), args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	wrapped := func(args []any, err error) { cancel(); cb(args, err) }
	if err := s.EmitWithAck(ctx, event, wrapped, args...); err != nil {
		cancel()
		return err
	}
	return nil
}

func (s *Socket) takeAck(id uint64) *pendingAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	pa := s.acks[id]
	if pa != nil {
		delete(s.acks, id)
	}
	return pa
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) {
	s.mu.Lock()
	if !s.connected.Load() {
		s.mu.Unlock()
		return
	}
	for _, r := range rooms {
		s.rooms[r] = struct{}{}
	}
	s.mu.Unlock()
	s.ns.join(s, rooms)
}

// Leave removes the socket from room.
func (s *Socket) Leave(room string) {
	s.mu.Lock()
	delete(s.rooms, room)
	s.mu.Unlock()
	s.ns.leave(s, room)
}

// Rooms returns the rooms the socket is in (including its own id).
func (s *Socket) Rooms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.rooms))
	for r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// To returns a broadcast to rooms that excludes this socket (like
// socket.to(room).emit in Socket.IO).
func (s *Socket) To(rooms ...string) BroadcastOperator {
	return s.ns.To(rooms...).Except(s.id)
}

// Disconnect disconnects the socket from its namespace: the client gets a
// DISCONNECT packet and OnDisconnect handlers run with "server namespace
// disconnect". With close, the whole Engine.IO session is closed too (its
// other namespaces' sockets see "forced server close").
func (s *Socket) Disconnect(close bool) {
	s.closeLocal(ReasonServerNamespaceDisconnect, true)
	if close {
		s.cl.closeWith(ReasonForcedServerClose, engineio.ReasonForcedClose)
	}
}

// closeLocal marks the socket disconnected, leaves all rooms, fails pending
// acks and queues the OnDisconnect handlers. notify sends DISCONNECT.
func (s *Socket) closeLocal(reason string, notify bool) {
	s.mu.Lock()
	if !s.connected.Load() {
		s.mu.Unlock()
		return
	}
	s.connected.Store(false)
	acks := s.acks
	s.acks = nil
	handlers := s.onDisconnect
	s.onDisconnect = nil
	rooms := s.rooms
	s.rooms = map[string]struct{}{}
	s.mu.Unlock()

	s.ns.remove(s, rooms)
	s.cl.removeSocket(s)
	s.cancel()
	if notify {
		p := siocodec.Packet{Type: siocodec.Disconnect, Nsp: s.ns.name}
		_ = s.cl.sendPacket(&p, false)
	}
	s.cl.exec.submit(func() {
		for _, pa := range acks {
			pa.stop()
			cb := pa.cb
			s.cl.safeCall(func() { cb(nil, ErrDisconnected) })
		}
		for _, fn := range handlers {
			s.cl.safeCall(func() { fn(s, reason) })
		}
	})
}

// onEvent runs inside the executor.
func (s *Socket) onEvent(p *siocodec.Packet) {
	name, _ := p.EventName()
	data := p.Data.([]any)
	args := data[1:]
	s.mu.Lock()
	h := s.handlers[name]
	anyH := s.anyHandler
	connected := s.connected.Load()
	s.mu.Unlock()
	if !connected || (h == nil && anyH == nil) {
		return
	}
	var ack func(args ...any)
	if p.HasID {
		id := p.ID
		var once sync.Once
		ack = func(args ...any) {
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
	if h != nil {
		s.cl.safeCall(func() { h(s, args, ack) })
	} else {
		s.cl.safeCall(func() { anyH(s, name, args, ack) })
	}
}

// onAck runs inside the executor.
func (s *Socket) onAck(p *siocodec.Packet) {
	if !p.HasID {
		return
	}
	pa := s.takeAck(p.ID)
	if pa == nil {
		return // late or unknown ack
	}
	pa.stop()
	args, _ := p.Data.([]any)
	s.cl.safeCall(func() { pa.cb(args, nil) })
}

func eventData(event string, args []any) []any {
	data := make([]any, 0, 1+len(args))
	data = append(data, event)
	return append(data, args...)
}
