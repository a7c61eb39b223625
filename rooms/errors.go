package rooms

import (
	"errors"
	"fmt"
)

// Error codes sent to clients in {ok:false, error:{code, message}} acks.
// They are stable: clients switch on them.
const (
	CodeBadRequest      = "bad_request"       // malformed arguments
	CodeUnknownRoomType = "unknown_room_type" // no room type with that name
	CodeRoomNotFound    = "room_not_found"    // no such room (or it was disposed)
	CodeRoomFull        = "room_full"         // no free seat
	CodeRoomLocked      = "room_locked"       // the room is locked (or private, for join)
	CodeJoinRefused     = "join_refused"      // the game's OnJoin refused; message says why
	CodeCreateFailed    = "create_failed"     // the game's OnCreate failed
	CodeAlreadyInRoom   = "already_in_room"   // a connection holds at most one seat
	CodeNotInRoom       = "not_in_room"       // leave/msg without a seat
	CodeTokenUnknown    = "token_unknown"     // resume token never issued (or long forgotten)
	CodeTokenUsed       = "token_used"        // resume token already used (each works once)
	CodeTokenExpired    = "token_expired"     // the seat's grace period ended or its room is gone
	CodeRoomBusy        = "room_busy"         // the room's inbox stayed full
	CodeRateLimited     = "rate_limited"      // too many requests of this kind (rooms.create, rooms.list); retry later
	CodeShuttingDown    = "server_shutting_down"
	CodeInternal        = "internal"
	CodeUnknownEvent    = "unknown_event"
	CodeMessageRefused  = "message_refused" // the game refused a msg
	CodeNoSuchMessage   = "unknown_message" // reserved for games
	// Several nodes (Config.Directory).
	CodeRedirect     = "redirect"      // the seat is on another node: Error.Redirect says where
	CodeClaimInvalid = "claim_invalid" // rooms.claim: unknown, used, expired, or for another node
	CodeUnavailable  = "unavailable"   // the cluster directory (Redis) is unreachable; retry later
	CodeNodeGone     = "node_gone"     // resume: the node holding the seat is dead
)

// room.left codes (server → client, {code, reason}).
const (
	LeftCodeLeft      = "left"       // the client asked (rooms.leave)
	LeftCodeKicked    = "kicked"     // the game removed the client
	LeftCodeDisposed  = "disposed"   // the room was disposed by the game
	LeftCodeRoomError = "room_error" // the game code failed; the room is gone
	LeftCodeExpired   = "seat_expired"
	LeftCodeShutdown  = "shutdown" // the server is shutting down
	LeftCodeReplaced  = "replaced" // the seat was resumed on another connection
	LeftCodeSlow      = "slow_consumer"
)

// Error is a request failure as sent to clients. It implements error.
type Error struct {
	Code    string
	Message string
	// Redirect is set with code redirect: the node to go to.
	Redirect *Redirect
	// Disconnect asks the transport to close the connection once it has
	// sent this answer: the client kept asking after its refusals
	// (Config.ListAbuse). rooms/roomsio does so.
	Disconnect bool
}

func (e *Error) Error() string { return "rooms: " + e.Code + ": " + e.Message }

// Is matches another *Error with the same Code, so errors.Is(err,
// rooms.ErrRoomFull) works on wrapped errors.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

var _ error = (*Error)(nil)

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Predefined errors (compare with errors.Is).
var (
	ErrRoomNotFound    = &Error{Code: CodeRoomNotFound, Message: "room not found"}
	ErrRoomFull        = &Error{Code: CodeRoomFull, Message: "room full"}
	ErrRoomLocked      = &Error{Code: CodeRoomLocked, Message: "room locked"}
	ErrUnknownRoomType = &Error{Code: CodeUnknownRoomType, Message: "unknown room type"}
	ErrTokenUnknown    = &Error{Code: CodeTokenUnknown, Message: "unknown reconnection token"}
	ErrTokenUsed       = &Error{Code: CodeTokenUsed, Message: "reconnection token already used"}
	ErrTokenExpired    = &Error{Code: CodeTokenExpired, Message: "reconnection token expired"}
	ErrShuttingDown    = &Error{Code: CodeShuttingDown, Message: "server shutting down"}
	ErrRoomBusy        = &Error{Code: CodeRoomBusy, Message: "room busy, try again"}
	ErrAlreadyInRoom   = &Error{Code: CodeAlreadyInRoom, Message: "this connection already holds a seat; leave first"}
	ErrNotInRoom       = &Error{Code: CodeNotInRoom, Message: "not in a room"}
)

// Refuse returns the error a game's OnJoin returns to refuse a client with
// a reason the client sees (code join_refused).
func Refuse(reason string) error { return &Error{Code: CodeJoinRefused, Message: reason} }

// asError converts any error to a wire *Error (unknown errors become code
// fallback with their text).
func asError(err error, fallback string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: fallback, Message: err.Error()}
}

// ErrDropped is returned by Conn.SendState implementations (or reported with
// queued=false) when a droppable frame did not fit the send queue.
var ErrDropped = errors.New("rooms: frame dropped, send queue full")
