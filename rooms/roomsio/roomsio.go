// Package roomsio serves the rooms game protocol over transport/socketio.
// It is where the Socket.IO model meets the typed rooms API: every socket
// of a namespace becomes a rooms.Session; Dispatch turns each event's
// arguments and ack callback into a typed request (Session.Join, Resume,
// Input, Message, Leave, List, SubscribeLobby) and its typed reply into the
// protocol's {ok, ...} ack object; Conn turns rooms' typed sends into
// events, state frames as socketio.TailPacket (shared part encoded once
// per parser, the recipient's input ack appended, then the optional
// checksum). Inputs skip the generic decoding: their payload bytes go to
// rooms.Session.InputMsgpack (input.go), with either parser.
//
//	sio, _ := socketio.NewServer(socketio.Config{})
//	rs, _ := rooms.NewServer(rooms.Config{})
//	roomsio.Attach(rs, sio.Of("/"))
//	http.Handle("/socket.io/", sio)
//
// This package imports rooms and transport/socketio; rooms itself does not
// import transport. The protocol is in PROTOCOL.md ("Game protocol").
package roomsio

import (
	"context"
	"errors"
	"fmt"

	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Attach makes every connection to ns a rooms session. Events with their
// own socket.On handler are not forwarded; all others go to Dispatch
// (unknown ones are answered with code unknown_event when the client asked
// for an ack).
func Attach(rs *rooms.Server, ns *socketio.Namespace) {
	ns.OnConnection(func(s *socketio.Socket) {
		hs := s.Handshake()
		sess := rs.Connect(NewConn(s), rooms.ConnInfo{Auth: hs.Auth, RemoteAddr: hs.RemoteAddr, ClientKey: hs.Client})
		s.SetData(sess)
		attachInput(s, sess)
		s.OnAny(func(_ *socketio.Socket, event string, args []any, ack func(...any)) {
			Dispatch(sess, event, args, ack)
		})
		s.OnDisconnect(func(*socketio.Socket, string) { sess.Close() })
	})
}

// SessionOf returns the rooms session of a socket attached by Attach.
func SessionOf(s *socketio.Socket) *rooms.Session {
	sess, _ := s.Data().(*rooms.Session)
	return sess
}

// Conn adapts a socket to rooms.Conn.
type Conn struct {
	s       *socketio.Socket
	prepare func(p *rooms.StatePacket, previous any) any // c.prepareState, bound once
}

// NewConn returns s as a rooms.Conn.
func NewConn(s *socketio.Socket) *Conn {
	c := &Conn{s: s}
	c.prepare = c.prepareState
	return c
}

var _ rooms.Conn = (*Conn)(nil)

// ID implements rooms.Conn.
func (c *Conn) ID() string { return c.s.ID() }

// prepared caches the TailPacket (or the error preparing it) of a state
// packet for one namespace.
type prepared struct {
	nsp string
	tp  *socketio.TailPacket
	err error
}

// prepareState makes event(state, TAIL[, checksum]) for p on nsp.
func prepareState(nsp string, p *rooms.StatePacket) (*socketio.TailPacket, error) {
	if !p.HasChecksum {
		return socketio.PrepareTailEvent(nsp, p.Event, p.State)
	}
	return socketio.PrepareTailEventSuffix(nsp, p.Event, []any{p.State}, []any{ChecksumHex(p.Checksum)})
}

// prepareState is the Prepared build of a state packet for c's namespace:
// the TailPacket of the packet's previous use (the room reuses its delta
// packet every tick) is reset in place, so that a tick's frame allocates
// nothing here.
func (c *Conn) prepareState(p *rooms.StatePacket, previous any) any {
	nsp := c.s.Namespace().Name()
	pp, ok := previous.(*prepared)
	if !ok || pp.nsp != nsp || pp.tp == nil {
		tp, err := prepareState(nsp, p)
		return &prepared{nsp: nsp, tp: tp, err: err}
	}
	var suffix []any
	if p.HasChecksum {
		suffix = []any{ChecksumHex(p.Checksum)}
	}
	pp.err = pp.tp.ResetBinary(nsp, p.Event, p.State, suffix)
	return pp
}

// ChecksumHex is a state checksum as state frames carry it: exactly 16
// lowercase hex digits.
func ChecksumHex(sum uint64) string { return fmt.Sprintf("%016x", sum) }

// SendState implements rooms.Conn: event(state, ack) or event(state, ack,
// checksum) as a droppable TailPacket.
func (c *Conn) SendState(p *rooms.StatePacket, ack uint64) (bool, error) {
	nsp := c.s.Namespace().Name()
	pp := p.Prepared(c.prepare).(*prepared)
	tp, err := pp.tp, pp.err
	if err == nil && pp.nsp != nsp {
		tp, err = prepareState(nsp, p)
	}
	if err != nil {
		return false, err
	}
	err = c.s.EmitTail(tp, ack, true)
	if errors.Is(err, socketio.ErrDropped) {
		return false, nil
	}
	return err == nil, err
}

// SendMessage implements rooms.Conn: msg(typ, payload).
func (c *Conn) SendMessage(typ string, payload any) error {
	return c.s.Emit(EventMsg, typ, payload)
}

// SendMessageWithAck implements rooms.Conn (the socket server's AckTimeout
// applies).
func (c *Conn) SendMessageWithAck(typ string, payload any, cb func([]any, error)) error {
	return c.s.EmitWithAck(context.Background(), EventMsg, cb, typ, payload)
}

// SendLeft implements rooms.Conn: room.left {code, reason}.
func (c *Conn) SendLeft(code, reason string) error {
	return c.s.Emit(EventRoomLeft, map[string]any{"code": code, "reason": reason})
}

// SendLobbyRooms implements rooms.Conn: lobby.rooms [listing...].
func (c *Conn) SendLobbyRooms(ls []rooms.Listing) error {
	return c.s.Emit(EventLobbyRooms, listingsWire(ls))
}

// SendLobbyUpdate implements rooms.Conn: lobby.update listing.
func (c *Conn) SendLobbyUpdate(l rooms.Listing) error {
	return c.s.Emit(EventLobbyUpdate, listingWire(l))
}

// SendLobbyRemove implements rooms.Conn: lobby.remove roomId.
func (c *Conn) SendLobbyRemove(roomID string) error {
	return c.s.Emit(EventLobbyRemove, roomID)
}

// Close implements rooms.Conn: the whole Engine.IO session is closed.
func (c *Conn) Close() { c.s.Disconnect(true) }
