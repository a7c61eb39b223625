package rooms

import (
	"sync"
)

// Conn is a player's connection as rooms sees it. rooms/roomsio adapts a
// transport/socketio socket; tests use in-memory fakes. Every method may be
// called from any goroutine and must not block on the network.
type Conn interface {
	// ID identifies the connection (for logs).
	ID() string
	// SendState queues a state frame: p's event ("snapshot" or "delta")
	// with p.State and this recipient's ack as arguments. It is droppable:
	// when the send queue is full it returns queued=false (and the room
	// sends a snapshot later). An error means the connection is unusable.
	SendState(p *StatePacket, ack uint64) (queued bool, err error)
	// Emit queues a control event (acks of requests are sent through the
	// ack functions given to Session.Handle instead). Not droppable: a
	// transport closes a connection whose queue cannot take it.
	Emit(event string, args ...any) error
	// EmitWithAck queues an event asking for an acknowledgement; cb runs
	// once with the client's reply or an error.
	EmitWithAck(event string, cb func(args []any, err error), args ...any) error
	// Close disconnects the connection (the transport later reports it
	// with Session.Close).
	Close()
}

// State frame events.
const (
	EventSnapshot = "snapshot"
	EventDelta    = "delta"
)

// StatePacket is a state frame shared by every recipient of one tick: the
// room encodes State once, and the transport encodes the packet once per
// wire format (Prepared), appending only each recipient's ack.
type StatePacket struct {
	Event string // EventSnapshot or EventDelta
	Tick  uint64 // the tick the state is at
	State []byte // msgpack-encoded statesync snapshot or delta; immutable

	once     sync.Once
	prepared any
}

// Prepared returns build(p), calling build at most once per packet: a
// transport caches its encoding of the shared part here.
func (p *StatePacket) Prepared(build func(p *StatePacket) any) any {
	p.once.Do(func() { p.prepared = build(p) })
	return p.prepared
}

// ConnInfo describes a connection to Server.Connect.
type ConnInfo struct {
	// Auth is the connection's auth payload (Socket.IO CONNECT data), given
	// to games as Client.Auth.
	Auth any
	// RemoteAddr is the peer address, for logs.
	RemoteAddr string
}
