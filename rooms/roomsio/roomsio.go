// Package roomsio serves the rooms game protocol over transport/socketio:
// every socket of a namespace becomes a rooms.Session, its events go to
// Session.Handle, its disconnect to Session.Close, and state frames are
// sent as socketio.TailPacket (shared part encoded once per parser, the
// recipient's input ack appended).
//
//	sio, _ := socketio.NewServer(socketio.Config{})
//	rs, _ := rooms.NewServer(rooms.Config{})
//	roomsio.Attach(rs, sio.Of("/"))
//	http.Handle("/socket.io/", sio)
//
// This package imports rooms and transport/socketio; rooms itself does not
// import transport.
package roomsio

import (
	"context"
	"errors"

	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Attach makes every connection to ns a rooms session. Events with their
// own socket.On handler are not forwarded; all others are (unknown ones are
// answered with code unknown_event when the client asked for an ack).
func Attach(rs *rooms.Server, ns *socketio.Namespace) {
	ns.OnConnection(func(s *socketio.Socket) {
		hs := s.Handshake()
		sess := rs.Connect(NewConn(s), rooms.ConnInfo{Auth: hs.Auth, RemoteAddr: hs.RemoteAddr})
		s.SetData(sess)
		s.OnAny(func(_ *socketio.Socket, event string, args []any, ack func(...any)) {
			sess.Handle(event, args, ack)
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
type Conn struct{ s *socketio.Socket }

// NewConn returns s as a rooms.Conn.
func NewConn(s *socketio.Socket) *Conn { return &Conn{s: s} }

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

// SendState implements rooms.Conn: event(state, ack) as a droppable
// TailPacket.
func (c *Conn) SendState(p *rooms.StatePacket, ack uint64) (bool, error) {
	nsp := c.s.Namespace().Name()
	pp := p.Prepared(func(p *rooms.StatePacket) any {
		tp, err := socketio.PrepareTailEvent(nsp, p.Event, p.State)
		return &prepared{nsp: nsp, tp: tp, err: err}
	}).(*prepared)
	tp, err := pp.tp, pp.err
	if err == nil && pp.nsp != nsp {
		tp, err = socketio.PrepareTailEvent(nsp, p.Event, p.State)
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

// Emit implements rooms.Conn.
func (c *Conn) Emit(event string, args ...any) error { return c.s.Emit(event, args...) }

// EmitWithAck implements rooms.Conn (the socket server's AckTimeout
// applies).
func (c *Conn) EmitWithAck(event string, cb func([]any, error), args ...any) error {
	return c.s.EmitWithAck(context.Background(), event, cb, args...)
}

// Close implements rooms.Conn: the whole Engine.IO session is closed.
func (c *Conn) Close() { c.s.Disconnect(true) }
