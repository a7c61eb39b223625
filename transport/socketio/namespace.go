package socketio

import (
	"slices"
	"sync"
)

// Namespace is a Socket.IO namespace: its middleware, connection handlers,
// sockets and rooms.
type Namespace struct {
	srv      *Server
	name     string
	dynamic  bool      // created by DynamicNamespaces
	initOnce sync.Once // runs the dynamic init

	hmu         sync.RWMutex // guards middlewares, onConnection
	middlewares []func(s *Socket, auth any) error
	onConn      []func(s *Socket)

	mu      sync.RWMutex // guards sockets, rooms; never held while sending or calling user code
	sockets map[string]*Socket
	rooms   map[string]map[*Socket]struct{}
}

func newNamespace(srv *Server, name string) *Namespace {
	return &Namespace{srv: srv, name: name, sockets: map[string]*Socket{}, rooms: map[string]map[*Socket]struct{}{}}
}

// Name returns the namespace name, e.g. "/" or "/admin".
func (ns *Namespace) Name() string { return ns.name }

// Use adds a middleware run, in order, for every CONNECT to this namespace
// before the socket is connected. auth is the client's CONNECT payload, a
// map[string]any (empty if the CONNECT had none). Returning an error refuses the connection with
// CONNECT_ERROR (see ConnectError). The socket's handlers may already be
// registered here; Emit is not possible until connected.
func (ns *Namespace) Use(middleware func(s *Socket, auth any) error) {
	ns.hmu.Lock()
	ns.middlewares = append(ns.middlewares, middleware)
	ns.hmu.Unlock()
}

// OnConnection registers fn to run for each socket that connected (after
// the CONNECT reply was queued). Register the socket's handlers there.
func (ns *Namespace) OnConnection(fn func(s *Socket)) {
	ns.hmu.Lock()
	ns.onConn = append(ns.onConn, fn)
	ns.hmu.Unlock()
}

func (ns *Namespace) middlewareSnapshot() []func(*Socket, any) error {
	ns.hmu.RLock()
	defer ns.hmu.RUnlock()
	return ns.middlewares
}

func (ns *Namespace) connectionHandlers() []func(*Socket) {
	ns.hmu.RLock()
	defer ns.hmu.RUnlock()
	return ns.onConn
}

// Socket returns the connected socket with id, or nil.
func (ns *Namespace) Socket(id string) *Socket {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.sockets[id]
}

// Len returns how many sockets are connected to the namespace.
func (ns *Namespace) Len() int {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return len(ns.sockets)
}

// RoomLen returns how many sockets are in room.
func (ns *Namespace) RoomLen(room string) int {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return len(ns.rooms[room])
}

func (ns *Namespace) add(s *Socket) {
	ns.mu.Lock()
	ns.sockets[s.id] = s
	ns.joinLocked(s, s.id)
	ns.mu.Unlock()
	s.mu.Lock()
	s.rooms[s.id] = struct{}{}
	s.mu.Unlock()
}

// remove takes s out of the namespace and of rooms (the socket's own set,
// so the cost is per room of the socket, not per room of the namespace).
func (ns *Namespace) remove(s *Socket, rooms map[string]struct{}) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.sockets[s.id] == s {
		delete(ns.sockets, s.id)
	}
	rooms[s.id] = struct{}{}
	for room := range rooms {
		if members := ns.rooms[room]; members != nil {
			delete(members, s)
			if len(members) == 0 {
				delete(ns.rooms, room)
			}
		}
	}
}

func (ns *Namespace) join(s *Socket, rooms []string) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.sockets[s.id] != s {
		return // not (or no longer) connected
	}
	for _, r := range rooms {
		ns.joinLocked(s, r)
	}
}

func (ns *Namespace) joinLocked(s *Socket, room string) {
	members := ns.rooms[room]
	if members == nil {
		members = map[*Socket]struct{}{}
		ns.rooms[room] = members
	}
	members[s] = struct{}{}
}

func (ns *Namespace) leave(s *Socket, room string) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if members := ns.rooms[room]; members != nil {
		delete(members, s)
		if len(members) == 0 {
			delete(ns.rooms, room)
		}
	}
}

// To returns a broadcast to the sockets in any of rooms (with no rooms: the
// whole namespace).
func (ns *Namespace) To(rooms ...string) BroadcastOperator {
	return BroadcastOperator{ns: ns, rooms: rooms}
}

// Except returns a broadcast to every socket of the namespace except those
// in rooms (a socket id is a room).
func (ns *Namespace) Except(rooms ...string) BroadcastOperator {
	return BroadcastOperator{ns: ns, except: rooms}
}

// Emit sends an event to every socket of the namespace.
func (ns *Namespace) Emit(event string, args ...any) error {
	return BroadcastOperator{ns: ns}.Emit(event, args...)
}

// Prepare returns a packet for event on this namespace, encoded lazily,
// once per parser, however many times and to whomever it is emitted.
func (ns *Namespace) Prepare(event string, args ...any) (*PreparedPacket, error) {
	return PrepareEvent(ns.name, event, args...)
}

// BroadcastOperator selects recipients in a namespace: To adds rooms
// (union), Except removes sockets in rooms. The zero rooms set means the
// whole namespace. It is a small value; build it per broadcast.
type BroadcastOperator struct {
	ns     *Namespace
	rooms  []string
	except []string
}

// To adds rooms to the recipients.
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b.rooms = append(slices.Clip(b.rooms), rooms...)
	return b
}

// Except excludes the sockets in rooms (socket ids are rooms).
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b.except = append(slices.Clip(b.except), rooms...)
	return b
}

// Emit encodes event once per parser in use and queues it for every
// recipient. A recipient whose queue is full is closed as a slow consumer
// (see Engine.IO); that is not an error of the broadcast.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	p, err := PrepareEvent(b.ns.name, event, args...)
	if err != nil {
		return err
	}
	_, err = b.emitPrepared(p, false)
	return err
}

// EmitPrepared queues p for every recipient; with droppable a full queue
// drops the packet for that recipient instead of closing it. It returns how
// many recipients queued it.
func (b BroadcastOperator) EmitPrepared(p *PreparedPacket, droppable bool) (queued int, err error) {
	if p.nsp != b.ns.name {
		return 0, ErrNamespaceMismatch
	}
	return b.emitPrepared(p, droppable)
}

// Sockets returns the recipients.
func (b BroadcastOperator) Sockets() []*Socket {
	rp := b.recipients()
	out := slices.Clone(*rp)
	putRecipients(rp)
	return out
}

// DisconnectSockets disconnects every recipient (see Socket.Disconnect).
func (b BroadcastOperator) DisconnectSockets(close bool) {
	for _, s := range b.Sockets() {
		s.Disconnect(close)
	}
}

func (b BroadcastOperator) emitPrepared(p *PreparedPacket, droppable bool) (int, error) {
	rp := b.recipients()
	defer putRecipients(rp)
	queued := 0
	for _, s := range *rp {
		frames, err := p.Frames(s.cl.effectiveParser())
		if err != nil {
			return queued, err
		}
		if err := s.cl.sendFrames(frames, droppable); err == nil {
			queued++
		}
	}
	return queued, nil
}

var recipientsPool = sync.Pool{New: func() any { s := make([]*Socket, 0, 64); return &s }}

func putRecipients(rp *[]*Socket) {
	clear(*rp)
	*rp = (*rp)[:0]
	recipientsPool.Put(rp)
}

// recipients snapshots the selected sockets (pooled slice).
func (b BroadcastOperator) recipients() *[]*Socket {
	rp := recipientsPool.Get().(*[]*Socket)
	out := (*rp)[:0]
	ns := b.ns
	ns.mu.RLock()
	excluded := func(s *Socket) bool {
		for _, r := range b.except {
			if _, ok := ns.rooms[r][s]; ok {
				return true
			}
		}
		return false
	}
	switch len(b.rooms) {
	case 0:
		for _, s := range ns.sockets {
			if !excluded(s) {
				out = append(out, s)
			}
		}
	case 1:
		for s := range ns.rooms[b.rooms[0]] {
			if !excluded(s) {
				out = append(out, s)
			}
		}
	default:
		seen := map[*Socket]struct{}{}
		for _, r := range b.rooms {
			for s := range ns.rooms[r] {
				if _, dup := seen[s]; dup || excluded(s) {
					continue
				}
				seen[s] = struct{}{}
				out = append(out, s)
			}
		}
	}
	ns.mu.RUnlock()
	*rp = out
	return rp
}
