package rooms

import (
	"sync"
)

// Conn is a player's connection as rooms sees it: typed sends of the game
// protocol's server → client events. rooms/roomsio adapts a
// transport/socketio socket; tests use in-memory fakes. Every method may be
// called from any goroutine and must not block on the network. Sends other
// than SendState are not droppable: a transport closes a connection whose
// queue cannot take them, and an error means the connection is unusable.
type Conn interface {
	// ID identifies the connection (for logs).
	ID() string
	// SendState queues a state frame (p's event with p.State, this
	// recipient's input ack and, if p has one, the checksum). It is
	// droppable: when the send queue is full it returns queued=false (and
	// the room sends a snapshot later). It must not keep p or p.State
	// after it returns (copy what it queues): the room reuses both for a
	// later tick.
	SendState(p *StatePacket, ack uint64) (queued bool, err error)
	// SendMessage queues msg(typ, payload).
	SendMessage(typ string, payload any) error
	// SendMessageWithAck queues msg(typ, payload) asking for an
	// acknowledgement; cb runs once with the client's reply arguments or an
	// error.
	SendMessageWithAck(typ string, payload any, cb func(reply []any, err error)) error
	// SendLeft tells the client it no longer holds a seat (room.left
	// {code, reason}; code is one of the LeftCode constants).
	SendLeft(code, reason string) error
	// SendLobbyRooms sends a lobby subscriber the full list (lobby.rooms).
	SendLobbyRooms(ls []Listing) error
	// SendLobbyUpdate sends a lobby subscriber one room's new listing
	// (lobby.update).
	SendLobbyUpdate(l Listing) error
	// SendLobbyRemove tells a lobby subscriber a room is gone or no longer
	// matches (lobby.remove).
	SendLobbyRemove(roomID string) error
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
// room encodes State once (and its checksum, if any), and the transport
// encodes the packet once per wire format (Prepared), appending only each
// recipient's ack. The room reuses a packet, and its State buffer, from
// one tick to the next once every SendState of it has returned.
type StatePacket struct {
	Event string // EventSnapshot or EventDelta
	Tick  uint64 // the tick the state is at
	State []byte // msgpack-encoded statesync snapshot or delta; immutable
	// HasChecksum says the frame carries Checksum: the state checksum
	// (statesync's Encoder.Checksum) after applying this frame
	// (Settings.ChecksumEvery).
	HasChecksum bool
	Checksum    uint64

	once     sync.Once
	prepared any
	previous any // what build returned for the packet's previous use
}

// Prepared returns build(p, previous), calling build at most once per use
// of the packet: a transport caches its encoding of the shared part here.
// previous is what build returned for the packet's previous use (nil the
// first time), which build may recycle: nothing of it is used any more.
func (p *StatePacket) Prepared(build func(p *StatePacket, previous any) any) any {
	p.once.Do(func() { p.prepared = build(p, p.previous) })
	return p.prepared
}

// reuse makes p the packet of another frame (room goroutine; every
// SendState of its previous use has returned), keeping what the transport
// built for it so far for Prepared's build to recycle.
func (p *StatePacket) reuse(event string, tick uint64, state []byte) {
	previous := p.prepared
	if previous == nil {
		previous = p.previous
	}
	*p = StatePacket{Event: event, Tick: tick, State: state, previous: previous}
}

// ConnInfo describes a connection to Server.Connect.
type ConnInfo struct {
	// Auth is the connection's auth payload (Socket.IO CONNECT data), given
	// to games as Client.Auth.
	Auth any
	// RemoteAddr is the peer address, for logs.
	RemoteAddr string
	// ClientKey names the client for the per-address limits
	// (Config.IPCreateRate): the address the transport resolved for its own
	// per-address limits (an IP address, or an IPv6 /64 prefix; through
	// trusted proxies' X-Forwarded-For in package host), so that every
	// per-address limit counts the same client. "" means RemoteAddr's
	// host.
	ClientKey string
}

// clientKey is the key of the per-address limits (ConnInfo.ClientKey).
func (i ConnInfo) clientKey() string {
	if i.ClientKey != "" {
		return i.ClientKey
	}
	return hostOf(i.RemoteAddr)
}
