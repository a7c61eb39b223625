package roomsio

import (
	"errors"
	"fmt"
	"math"

	"github.com/roomcast/roomcast/rooms"
)

// Game protocol events (client → server).
const (
	EventJoinOrCreate     = "rooms.joinOrCreate"
	EventCreate           = "rooms.create"
	EventJoin             = "rooms.join"
	EventJoinByID         = "rooms.joinById"
	EventList             = "rooms.list"
	EventLeave            = "rooms.leave"
	EventResume           = "rooms.resume"
	EventClaim            = "rooms.claim"
	EventInput            = "input"
	EventMsg              = "msg"
	EventLobbySubscribe   = "lobby.subscribe"
	EventLobbyUnsubscribe = "lobby.unsubscribe"
)

// Server → client events (besides the state frames rooms.EventSnapshot and
// rooms.EventDelta).
const (
	EventRoomLeft    = "room.left"
	EventLobbyRooms  = "lobby.rooms"
	EventLobbyUpdate = "lobby.update"
	EventLobbyRemove = "lobby.remove"
)

// Dispatch runs one client event on sess: it checks the arguments (the
// Socket.IO argument model: int64, uint64, float64, string, bool, nil,
// []byte, []any, map[string]any), makes the typed request, and answers
// through ack (nil when the client asked for none) with the protocol's
// {ok, ...} object. Events of one connection must be dispatched
// sequentially. Unknown events are answered with code unknown_event.
func Dispatch(sess *rooms.Session, event string, args []any, ack func(args ...any)) {
	reply := func(v map[string]any) {
		if ack != nil {
			ack(v)
		}
	}
	seatReply := func(seat rooms.Seat, err error) {
		if err != nil {
			reply(errorAck(err))
			return
		}
		reply(seatAck(seat))
	}
	switch event {
	case EventInput:
		seq, ok := argUint(argAt(args, 0))
		if !ok {
			sess.RejectInput()
			return
		}
		sess.Input(seq, argAt(args, 1))
	case EventJoinOrCreate, EventCreate, EventJoin, EventJoinByID:
		target, ok := argString(args, 0)
		if !ok {
			reply(badRequest("%s(%s, options): %s must be a non-empty string", event, argName(event), argName(event)))
			return
		}
		opts, ok := argOptions(args, 1)
		if !ok {
			reply(badRequest("%s(%s, options): options must be an object", event, argName(event)))
			return
		}
		req := rooms.JoinRequest{Name: target, Options: opts}
		switch event {
		case EventCreate:
			req.Mode = rooms.Create
		case EventJoin:
			req.Mode = rooms.JoinExisting
		case EventJoinByID:
			req.Mode, req.Name, req.RoomID = rooms.JoinByID, "", target
		}
		sess.Join(req, seatReply)
	case EventResume:
		m, _ := argAt(args, 0).(map[string]any)
		token, _ := m["token"].(string)
		if token == "" {
			reply(badRequest("rooms.resume({token, tick?}): token must be a non-empty string"))
			return
		}
		req := rooms.ResumeRequest{Token: token}
		if v, ok := m["tick"]; ok && v != nil {
			t, ok := argUint(v)
			if !ok {
				reply(badRequest("rooms.resume({token, tick?}): tick must be a non-negative integer"))
				return
			}
			req.Tick = t
		}
		sess.Resume(req, seatReply)
	case EventClaim:
		m, _ := argAt(args, 0).(map[string]any)
		claim, _ := m["claim"].(string)
		if claim == "" {
			reply(badRequest("rooms.claim({claim}): claim must be a non-empty string"))
			return
		}
		sess.Claim(claim, seatReply)
	case EventLeave:
		sess.Leave(func(err error) {
			if err != nil {
				reply(errorAck(err))
				return
			}
			reply(okAck(nil))
		})
	case EventMsg:
		typ, ok := argString(args, 0)
		if !ok {
			reply(badRequest("msg(type, payload): type must be a string"))
			return
		}
		var answer func(any, error)
		if ack != nil {
			answer = func(data any, err error) {
				if err != nil {
					reply(errorAck(err))
					return
				}
				if data == nil {
					reply(okAck(nil))
					return
				}
				reply(okAck(map[string]any{"data": data}))
			}
		}
		sess.Message(typ, argAt(args, 1), answer)
	case EventList:
		req, ok := argListRequest(args, 0)
		if !ok {
			reply(badRequest("rooms.list({name?, filter?, limit?, cursor?}): bad argument"))
			return
		}
		page, err := sess.List(req)
		if err != nil {
			replyRefusal(sess, reply, err)
			return
		}
		fields := map[string]any{"rooms": page.Wire(listingWireOf)}
		if page.Next != "" {
			fields["next"] = page.Next
		}
		reply(okAck(fields))
	case EventLobbySubscribe:
		q, ok := argQuery(args, 0)
		if !ok {
			reply(badRequest("lobby.subscribe({name?, filter?}): bad argument"))
			return
		}
		if err := sess.SubscribeLobby(q); err != nil {
			replyRefusal(sess, reply, err)
			return
		}
		reply(okAck(nil))
	case EventLobbyUnsubscribe:
		sess.UnsubscribeLobby()
		reply(okAck(nil))
	default:
		reply(errorAck(&rooms.Error{Code: rooms.CodeUnknownEvent, Message: fmt.Sprintf("unknown event %q", event)}))
	}
}

func argName(event string) string {
	if event == EventJoinByID {
		return "roomId"
	}
	return "name"
}

func badRequest(format string, args ...any) map[string]any {
	return errorAck(&rooms.Error{Code: rooms.CodeBadRequest, Message: fmt.Sprintf(format, args...)})
}

func okAck(fields map[string]any) map[string]any {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return fields
}

// errorAck is {ok:false, error:{code, message}}, with redirect:{url,
// claim?, roomId?} for code redirect; an error that is not a *rooms.Error
// is code internal.
func errorAck(err error) map[string]any {
	var e *rooms.Error
	if !errors.As(err, &e) {
		e = &rooms.Error{Code: rooms.CodeInternal, Message: err.Error()}
	}
	ack := map[string]any{"ok": false, "error": map[string]any{"code": e.Code, "message": e.Message}}
	if r := e.Redirect; r != nil {
		to := map[string]any{"url": r.URL}
		if r.Claim != "" {
			to["claim"] = r.Claim
		}
		if r.RoomID != "" {
			to["roomId"] = r.RoomID
		}
		ack["redirect"] = to
	}
	return ack
}

// replyRefusal answers err and then, if err asks for it (a client that
// kept asking after its refusals: rooms.Error.Disconnect), closes the
// connection; the answer is queued first, and the close flushes it.
func replyRefusal(sess *rooms.Session, reply func(map[string]any), err error) {
	reply(errorAck(err))
	var e *rooms.Error
	if errors.As(err, &e) && e.Disconnect {
		sess.Conn().Close()
	}
}

func seatAck(s rooms.Seat) map[string]any {
	return okAck(map[string]any{
		"roomId": s.RoomID, "sessionId": s.SessionID, "token": s.Token,
		"tickRate": int64(s.TickRate), "name": s.Name,
	})
}

// listingWire is a listing as sent to clients.
func listingWire(l rooms.Listing) map[string]any {
	meta := l.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return map[string]any{
		"roomId":     l.ID,
		"name":       l.Name,
		"clients":    int64(l.Clients),
		"maxClients": int64(l.MaxClients),
		"locked":     l.Locked,
		"metadata":   meta,
	}
}

// listingWireOf is listingWire for rooms.ListPage.Wire.
func listingWireOf(l *rooms.Listing) any { return listingWire(*l) }

func listingsWire(ls []rooms.Listing) []any {
	out := make([]any, len(ls))
	for i := range ls {
		out[i] = listingWire(ls[i])
	}
	return out
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func argString(args []any, i int) (string, bool) {
	s, ok := argAt(args, i).(string)
	return s, ok && s != ""
}

func argOptions(args []any, i int) (rooms.Options, bool) {
	switch v := argAt(args, i).(type) {
	case nil:
		return rooms.Options{}, true
	case map[string]any:
		return rooms.Options(v), true
	}
	return nil, false
}

func argQuery(args []any, i int) (rooms.Query, bool) {
	switch v := argAt(args, i).(type) {
	case nil:
		return rooms.Query{}, true
	case string:
		return rooms.Query{Name: v}, true
	case map[string]any:
		q := rooms.Query{}
		if n, ok := v["name"]; ok && n != nil {
			s, ok := n.(string)
			if !ok {
				return q, false
			}
			q.Name = s
		}
		if f, ok := v["filter"]; ok && f != nil {
			m, ok := f.(map[string]any)
			if !ok {
				return q, false
			}
			q.Filter = m
		}
		return q, true
	}
	return rooms.Query{}, false
}

// argListRequest reads rooms.list's {name?, filter?, limit?, cursor?}.
func argListRequest(args []any, i int) (rooms.ListRequest, bool) {
	q, ok := argQuery(args, i)
	if !ok {
		return rooms.ListRequest{}, false
	}
	req := rooms.ListRequest{Query: q}
	m, _ := argAt(args, i).(map[string]any)
	if v, ok := m["limit"]; ok && v != nil {
		n, ok := argUint(v)
		if !ok || n < 1 {
			return req, false
		}
		req.Limit = int(min(n, math.MaxInt32))
	}
	if v, ok := m["cursor"]; ok && v != nil {
		if req.Cursor, ok = v.(string); !ok {
			return req, false
		}
	}
	return req, true
}

func argUint(v any) (uint64, bool) {
	switch v := v.(type) {
	case int64:
		if v >= 0 {
			return uint64(v), true
		}
	case uint64:
		return v, true
	case int:
		if v >= 0 {
			return uint64(v), true
		}
	case float64:
		if v >= 0 && v <= 1<<53 && v == math.Trunc(v) {
			return uint64(v), true
		}
	}
	return 0, false
}
