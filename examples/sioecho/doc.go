// Package sioecho is roomcast's transport demo, and an example to copy: one
// http.Handler that serves
//
//   - raw Engine.IO at /engine.io/, echoing every message back exactly as it
//     came (a text message as text, a binary one as binary);
//   - Socket.IO at /socket.io/ with a few events that exercise the whole
//     protocol (acks both ways, binary arguments, rooms, namespaces with an
//     auth middleware, a dynamic namespace hook, server-side disconnects).
//
// It is what `go run ./cmd/gameserver --demo sioecho` serves and what the
// Node tests in clients/js/test drive with the real socket.io-client.
//
// # Namespace "/" (and "/custom", which has the same events)
//
// Right after a client connects, the server emits "auth" with the CONNECT
// payload the client sent (null when none). Events a client may emit:
//
//	echo (args...)            emits "echo" back with the same args, and acks
//	                          with them if the client asked for an ack
//	message (args...)         emits "message-back" with the same args
//	message-with-ack (args...) acks with the same args
//	ackme (args..., ack)      the server emits "ackme" (args...) with an ack
//	                          request to the client and acks the original
//	                          request with whatever the client acked
//	                          (or {"error": "..."} after 5 s)
//	join (room, ack?)         joins room; acks with the room's size
//	leave (room, ack?)        leaves room; acks with the room's size
//	broadcast (room, args...) emits "broadcast" (args...) to everyone in room
//	                          but the sender; acks with true once queued
//	disconnect-me             the server disconnects this socket from its
//	                          namespace ("io server disconnect" on the client)
//	close-session             the server closes the whole Engine.IO session
//	                          (other namespaces of the client see "transport
//	                          close" and reconnect)
//	last-disconnect (id, ack) acks with the reason the server saw when
//	                          socket id of this namespace disconnected ("" if
//	                          not seen); the last 1024 are kept
//
// # Namespace "/admin"
//
// Guarded by a middleware: a client whose auth is not {"token": AdminToken}
// is refused with CONNECT_ERROR {"message": "not authorized", "data":
// {"reason": "bad token"}}, which socket.io-client reports as a
// connect_error with err.message and err.data. Once in, "whoami" acks with
// {"id": socket id, "transport": "polling"|"websocket"}.
//
// # Dynamic namespaces
//
// Any namespace named /dyn-<letters, digits, dashes> is accepted on first
// connect and gets the events of "/"; every other unknown namespace is
// refused with "Invalid namespace".
package sioecho
