package rooms

import (
	"time"
)

// Game is one room's game code. The room's goroutine calls every hook, one
// at a time; a hook must not block (it delays the room's ticks). Embed
// NopGame to implement only the hooks you need.
type Game interface {
	// OnCreate runs once, before anyone joins, with the creating request's
	// options. Set the room's state (Room.SetState) and metadata here. An
	// error disposes the room; the creator gets code create_failed (or the
	// *Error's code).
	OnCreate(r *Room, opts Options) error
	// OnJoin decides whether c may take its seat. Return Refuse(reason) (or
	// any error) to refuse; the client gets code join_refused. On success the
	// client gets its seat and, right after, a snapshot.
	OnJoin(r *Room, c *Client, opts Options) error
	// OnInput gets the client's inputs in arrival order, at most one call
	// per input, before the tick that follows their arrival. Inputs with a
	// sequence number not above the last one are dropped before this hook.
	OnInput(r *Room, c *Client, in Input)
	// OnMessage gets a client's msg(type, payload). If the client asked for
	// an acknowledgement, m.Reply sends it (else {ok:true} is sent after the
	// hook returns).
	OnMessage(r *Room, c *Client, m *Message)
	// OnTick advances the game by t.DT. State changes made here (and in the
	// other hooks since the last tick) are sent as this tick's delta.
	OnTick(r *Room, t Tick)
	// OnDrop: c's connection is gone; its seat is held for the grace period.
	// The game may keep the player in the world.
	OnDrop(r *Room, c *Client)
	// OnResume: c came back (rooms.resume) within the grace period.
	OnResume(r *Room, c *Client)
	// OnLeave: c left for good (rooms.leave, kicked, grace expired, room
	// disposing). Remove it from the world here.
	OnLeave(r *Room, c *Client, reason LeaveReason)
	// OnDispose runs once when the room goes away.
	OnDispose(r *Room)
}

// NopGame implements every Game hook as a no-op; embed it.
type NopGame struct{}

func (NopGame) OnCreate(*Room, Options) error        { return nil }
func (NopGame) OnJoin(*Room, *Client, Options) error { return nil }
func (NopGame) OnInput(*Room, *Client, Input)        {}
func (NopGame) OnMessage(*Room, *Client, *Message)   {}
func (NopGame) OnTick(*Room, Tick)                   {}
func (NopGame) OnDrop(*Room, *Client)                {}
func (NopGame) OnResume(*Room, *Client)              {}
func (NopGame) OnLeave(*Room, *Client, LeaveReason)  {}
func (NopGame) OnDispose(*Room)                      {}

var _ Game = NopGame{}

// Tick is passed to OnTick.
type Tick struct {
	N    uint64        // the room's tick number: 1, 2, 3, ...
	DT   time.Duration // fixed step, 1 s / TickRate
	Time time.Time     // when the tick was scheduled
}

// Seconds returns DT in seconds, for physics.
func (t Tick) Seconds() float64 { return t.DT.Seconds() }

// Message is a client's msg(type, payload).
type Message struct {
	Type    string
	Payload any
	reply   func(data any, err error) // nil: the client asked for no ack
	replied bool
}

// WantsReply reports whether the client asked for an acknowledgement.
func (m *Message) WantsReply() bool { return m.reply != nil }

// Reply acknowledges the message with {ok:true, data: v}. Only the first
// Reply or Fail counts; without either, {ok:true} is sent when the hook
// returns.
func (m *Message) Reply(v any) {
	if m.reply == nil || m.replied {
		return
	}
	m.replied = true
	m.reply(v, nil)
}

// Fail acknowledges the message with {ok:false, error:{code:"message_refused", message}}.
func (m *Message) Fail(message string) {
	if m.reply == nil || m.replied {
		return
	}
	m.replied = true
	m.reply(nil, &Error{Code: CodeMessageRefused, Message: message})
}

// LeaveReason says why a client left.
type LeaveReason string

// Leave reasons (the same strings are the room.left codes).
const (
	LeaveRequested LeaveReason = LeftCodeLeft
	LeaveKicked    LeaveReason = LeftCodeKicked
	LeaveExpired   LeaveReason = LeftCodeExpired
	LeaveDisposed  LeaveReason = LeftCodeDisposed
	LeaveShutdown  LeaveReason = LeftCodeShutdown
	LeaveSlow      LeaveReason = LeftCodeSlow
)

// Options are the options a client passed to a matchmaking call (a JSON /
// msgpack object), with typed getters.
type Options map[string]any

// String returns o[key] if it is a string, else def.
func (o Options) String(key, def string) string {
	if s, ok := o[key].(string); ok {
		return s
	}
	return def
}

// Int returns o[key] if it is an integral number, else def.
func (o Options) Int(key string, def int64) int64 {
	switch v := o[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
	case uint64:
		if v <= 1<<63-1 {
			return int64(v)
		}
	}
	return def
}

// Float returns o[key] if it is a number, else def.
func (o Options) Float(key string, def float64) float64 {
	switch v := o[key].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case float32:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return def
}

// Bool returns o[key] if it is a bool, else def.
func (o Options) Bool(key string, def bool) bool {
	if b, ok := o[key].(bool); ok {
		return b
	}
	return def
}
