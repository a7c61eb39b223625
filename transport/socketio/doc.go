// Package socketio is roomcast's Socket.IO v5 server on top of
// transport/engineio. An unmodified socket.io-client 4.x connects with its
// default parser or with socket.io-msgpack-parser; the server learns each
// session's parser from its first Socket.IO packet (text frame = default,
// binary frame = msgpack) unless Config.Parser fixes one.
//
// The API reads like Socket.IO's:
//
//	srv, _ := socketio.NewServer(socketio.Config{})
//	http.Handle("/socket.io/", srv)
//	srv.Of("/").Use(func(s *socketio.Socket, auth any) error {
//		if !ok(auth) {
//			return &socketio.ConnectError{Message: "not authorized"}
//		}
//		return nil
//	})
//	srv.OnConnection(func(s *socketio.Socket) {
//		s.Join("lobby")
//		s.On("chat", func(s *socketio.Socket, args []any, ack func(...any)) {
//			s.To("lobby").Emit("chat", args...) // everyone in lobby but s
//			if ack != nil {
//				ack("ok")
//			}
//		})
//		s.OnDisconnect(func(s *socketio.Socket, reason string) {})
//	})
//
// # Concurrency
//
// Everything a socket's client triggers — the namespace's connection
// handlers, event handlers, ack callbacks, disconnect handlers — runs
// sequentially, in arrival order, for one Engine.IO session (all namespaces
// of one client share the order). Ack timeouts and disconnects caused from
// other goroutines are queued into the same sequence. Emit, Join, Leave,
// Disconnect and broadcasts may be called from any goroutine; they never
// block on the network (Engine.IO's bounded send queue; a full queue closes
// the session as a slow consumer, or drops the packet with EmitPrepared's
// droppable flag).
//
// # Arguments
//
// Event arguments follow codec/socketio's argument model: nil, bool,
// numbers (received integers are int64, other numbers float64, with either
// parser), string, []byte (binary), []any, map[string]any, and
// mpack.Raw (pre-encoded msgpack, spliced verbatim by the msgpack parser,
// sent as a binary attachment by the default parser).
//
// # Broadcasting
//
// ns.To(rooms...).Except(rooms...).Emit encodes the packet once per parser
// in use and hands the same immutable engineio.Frame to every recipient.
// PreparedPacket lets a caller (the state layer) prepare a packet once and
// send it many times, to rooms or single sockets.
//
// Build status: until transport/engineio lands, every file carries the
// build tag sio_with_engineio so `go build ./...` skips the package. The
// unit tests pass against the engineio contract (CONTRACTS.md) with
//
//	go test -tags sio_with_engineio -vet=off -overlay overlay.json ./transport/socketio
//
// where overlay.json maps transport/engineio/stub.go to
// testdata/engineio-contract-stub.go.txt. Remove the tag lines once
// engineio exists.
//
// This package must not import rooms, sync, tick or any package above
// transport; it imports codec/socketio, codec/mpack and transport/engineio.
package socketio
