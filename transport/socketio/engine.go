package socketio

import (
	"github.com/roomcast/roomcast/transport/engineio"
)

// engineConn is what this package needs from an Engine.IO session;
// *engineio.Conn satisfies it, tests use a fake.
type engineConn interface {
	ID() string
	Transport() string
	Handshake() engineio.Handshake
	Send(frames ...*engineio.Frame) error
	SendDroppable(frames ...*engineio.Frame) (queued bool, err error)
	SendCopy(data []byte, binary, droppable bool, attachments ...*engineio.Frame) (queued bool, err error)
	Close(reason engineio.CloseReason)
}

var _ engineConn = (*engineio.Conn)(nil)

// engineHandler adapts a client to engineio.Handler.
type engineHandler struct{ c *client }

func (h engineHandler) OnMessage(_ *engineio.Conn, data []byte, binary bool) {
	h.c.onMessage(data, binary)
}

func (h engineHandler) OnClose(_ *engineio.Conn, reason engineio.CloseReason, _ error) {
	h.c.onClose(string(reason))
}
