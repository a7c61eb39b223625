package bots

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roomcast/roomcast/transport/engineio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// testServerURL starts the real Socket.IO server (transport/socketio over
// transport/engineio) with a few test events:
//
//   - any event with an ack: acked with its own arguments
//   - "echo": emitted back with the same arguments
//   - "ask": the server asks "question"("why") with an ack and emits
//     "answered" with the client's ack arguments
//   - "kick": the server disconnects the socket
//
// Auth {"token":"bad"} is refused with CONNECT_ERROR "not authorized".
// Pings every 150 ms (timeout 1 s), so tests see several heartbeats.
func testServerURL(t *testing.T) (string, func()) {
	t.Helper()
	srv, err := socketio.NewServer(socketio.Config{Engine: engineio.Config{
		PingInterval: 150 * time.Millisecond, PingTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Of("/").Use(func(s *socketio.Socket, auth any) error {
		if m, _ := auth.(map[string]any); m["token"] == "bad" {
			return &socketio.ConnectError{Message: "not authorized", Data: map[string]any{"code": 7}}
		}
		return nil
	})
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnAny(func(s *socketio.Socket, event string, args []any, ack func(...any)) {
			switch {
			case ack != nil:
				ack(args...)
			case event == "echo":
				_ = s.Emit("echo", args...)
			case event == "ask":
				_ = s.EmitWithAck(context.Background(), "question", func(res []any, err error) {
					if err == nil {
						_ = s.Emit("answered", res...)
					}
				}, "why")
			case event == "kick":
				s.Disconnect(false)
			}
		})
	})
	ts := httptest.NewServer(srv)
	return ts.URL, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	}
}
