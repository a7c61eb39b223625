package engineio

import (
	"syscall"

	"github.com/lxzan/gws"
)

// limitSendBuffer applies Config.SocketSendBuffer to a WebSocket's socket,
// if it has one (a TLS connection wrapped by the server has none).
func (s *Server) limitSendBuffer(ws *gws.Conn) {
	if s.cfg.SocketSendBuffer <= 0 {
		return
	}
	sc, ok := ws.NetConn().(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { setSendBuffer(fd, s.cfg.SocketSendBuffer) })
}
