package rooms

import (
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// Client is a seat in a room: a player, connected or (within its grace
// period) dropped. Its methods must only be called from the room's hooks.
type Client struct {
	// Data is free for the game (e.g. its player entity).
	Data any

	id       string
	room     *Room
	opts     Options
	auth     any
	joinedAt time.Time
	token    string

	sess *Session // nil while dropped
	conn Conn     // sess.conn, cached

	lastSeq       uint64 // last received input seq (handed to OnInput)
	anyInput      bool
	acked         uint64 // the ack state frames carry: lastSeq, or AckInput's seq with ManualInputAck
	sentAck       uint64 // ack carried by the last frame queued
	needsSnapshot bool
	resumeFrom    uint64 // > 0: resumed, catch up from this tick
	dropSince     time.Time
	dropped       bool
	graceEnd      time.Time
	gone          bool
	view          *statesync.View // what the client sees of a state with views (views.go)
}

// ID returns the client's session id (stable across resumes; sent to the
// client as sessionId).
func (c *Client) ID() string { return c.id }

// Room returns the client's room.
func (c *Client) Room() *Room { return c.room }

// Options returns the options of the client's join request.
func (c *Client) Options() Options { return c.opts }

// Auth returns the connection's auth payload (Socket.IO CONNECT data) at
// join time.
func (c *Client) Auth() any { return c.auth }

// JoinedAt returns when the client joined.
func (c *Client) JoinedAt() time.Time { return c.joinedAt }

// Connected reports whether the client has a connection (false while it
// is dropped and its seat is held).
func (c *Client) Connected() bool { return c.conn != nil }

// LastInputSeq returns the seq of the client's last input handed to
// OnInput (0 if none). Unless the room type sets Settings.ManualInputAck,
// it is the ack its state frames carry.
func (c *Client) LastInputSeq() uint64 { return c.lastSeq }

// AckedInputSeq returns the ack the client's state frames carry: its
// LastInputSeq, or with Settings.ManualInputAck the seq last passed to
// AckInput (0 until then).
func (c *Client) AckedInputSeq() uint64 { return c.acked }

// AckInput acknowledges the client's inputs up to seq (room goroutine
// only): the next state frames carry ack = seq. It matters only when the
// room type sets Settings.ManualInputAck (a game that queues inputs acks
// each when it applies it). The ack only moves forward, and never past
// LastInputSeq: a smaller seq than the current ack is ignored, a larger one
// than the last input received acks that input.
func (c *Client) AckInput(seq uint64) {
	seq = min(seq, c.lastSeq)
	if seq > c.acked {
		c.acked = seq
	}
}

// Send sends msg(type, payload) to the client. It returns ErrNotInRoom
// while the client is dropped.
func (c *Client) Send(typ string, payload any) error {
	if c.conn == nil {
		return ErrNotInRoom
	}
	return c.conn.SendMessage(typ, payload)
}

// SendWithAck sends msg(type, payload) asking the client to acknowledge;
// cb runs on the room goroutine (in a later tick's drain) with the
// client's reply arguments or an error (no reply before the connection
// closed, or the transport's ack timeout).
func (c *Client) SendWithAck(typ string, payload any, cb func(reply []any, err error)) error {
	if c.conn == nil {
		return ErrNotInRoom
	}
	r := c.room
	return c.conn.SendMessageWithAck(typ, payload, func(args []any, err error) {
		r.inbox.send(inboxMsg{kind: msgCall, payload: func() { cb(args, err) }}) //nolint:errcheck // room gone: nobody to tell
	})
}

// Kick removes the client after the current hook: it gets room.left
// {code:"kicked", reason}, the game gets OnLeave with LeaveKicked, the seat
// and its token are gone.
func (c *Client) Kick(reason string) {
	if c.gone {
		return
	}
	c.room.pendingKicks = append(c.room.pendingKicks, kick{c: c, reason: LeaveKicked, msg: reason})
}

func (c *Client) attach(s *Session) {
	c.sess, c.conn = s, s.conn
	c.dropSince = time.Time{}
}

func (c *Client) detach() {
	c.sess, c.conn = nil, nil
}
