// Package hostile holds the attack clients of roomcast's hostile-client
// suite: one function per resource hole a public server must close (idle
// keep-alive connections, slow-drip POST bodies, room-creation floods,
// rooms.list loops, handshake floods, a client that stops reading,
// invalid UTF-8 in text frames, a foreign or null Origin, the drain under
// fast inputs), a watch on honest players in a room beside the attack,
// and a reader of the server's /metrics.
//
// Each attack talks to a server only over the network (raw net.Conn,
// net/http or the bots client) and returns a Result saying what the server
// did to it: refused it (and with which HTTP status or error code),
// closed it (and with which WebSocket close code), or let it be. The tests
// beside the code run every attack at a small size against an in-process
// server and assert the rule that repels it; cmd/attack runs them at the
// issue's full size against a running server and measures what they cost
// the honest players.
//
// Every attack is bounded: by its count, by its context and by a hold
// time, and it closes everything it opened before it returns. Aim it only
// at a server of your own (the command refuses anything but loopback).
package hostile
