package roomsio_test

import (
	"log"
	"net/http"

	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Serving a room type on the main namespace next to a plain Socket.IO
// event (events with their own handler are not forwarded to rooms).
func ExampleAttach() {
	sio, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		log.Fatal(err)
	}
	rs, err := rooms.NewServer(rooms.Config{})
	if err != nil {
		log.Fatal(err)
	}
	if err := rs.Define("arena", func() rooms.Game { return &moveGame{} }, rooms.Settings{TickRate: 20, MaxClients: 8}); err != nil {
		log.Fatal(err)
	}
	roomsio.Attach(rs, sio.Of("/"))
	sio.OnConnection(func(s *socketio.Socket) {
		s.On("ping", func(s *socketio.Socket, args []any, ack func(...any)) {
			if ack != nil {
				ack("pong")
			}
		})
	})
	http.Handle("/socket.io/", sio)
	// http.ListenAndServe("127.0.0.1:2567", nil); on SIGTERM: rs.Drain(),
	// wait, rs.Shutdown(ctx), sio.Shutdown(ctx).
}
