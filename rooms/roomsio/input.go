package roomsio

import (
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/transport/socketio"
)

// attachInput is a placeholder until the raw input path lands: inputs go
// through Dispatch.
func attachInput(s *socketio.Socket, sess *rooms.Session) {}
