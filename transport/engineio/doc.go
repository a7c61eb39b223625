// Package engineio is an Engine.IO v4 server (the transport under
// Socket.IO v5) over net/http and github.com/lxzan/gws: HTTP long-polling,
// WebSocket, and the upgrade from the first to the second.
//
// The Server is an http.Handler. Each session is a Conn; the application
// sets its Handler in OnConnection and sends immutable Frames, which may be
// shared by any number of sessions (a broadcast builds one Frame).
//
// # Goroutines per session
//
//   - WebSocket: one reader (gws's ReadLoop, started after the upgrade; it
//     calls Handler.OnMessage). Frames of a plain-TCP WebSocket are written
//     by the server's shared writers (writers.go): a few long-lived
//     goroutines (Config.WriteWorkers, GOMAXPROCS by default) that take
//     sessions with frames queued from a ready list and write each one's
//     frames with one non-blocking write(2); no goroutine is created per
//     frame and an idle session holds none. When Send finds nothing queued
//     and no write in flight, the sender may instead write the frames itself
//     the same way (inline.go; Config.DisableInlineWrites turns this off).
//     What a socket does not take at once goes to a writer goroutine of the
//     session's own, which blocks with the write deadline until its queue is
//     empty, so neither a sender nor a shared writer ever waits for the
//     network. That goroutine also writes pongs, the close frame, frames
//     over 16 KiB and everything of a TLS WebSocket. An idle WebSocket
//     session therefore has one goroutine. gws's WriteAsync is not used: its
//     queue is unbounded.
//   - Polling: none of its own; the pending GET (net/http's goroutine) waits
//     on a channel for frames and writes them as one payload of at most
//     MaxPayload bytes; a POST handles its packets in the request goroutine.
//     With Config.ParkIdlePolls a waiting GET is hijacked instead, so an
//     idle polling session holds only its connection; a short-lived
//     goroutine writes the answer and hands the connection to an internal
//     http.Server (park.go).
//   - One time.AfterFunc timer for pings (and one during an upgrade, and
//     one while a closed polling session drains: PollDrainWait), which
//     runs no goroutine while waiting.
//
// Handler.OnMessage calls of one session are sequential (recvMu), and
// OnClose is called once, never during an OnMessage: if the session closes
// while a message is being handled, OnClose runs when that call returns.
//
// # Send queue
//
// Each session has one FIFO queue shared by its transports, bounded by
// Config.SendQueueFrames and SendQueueBytes (frames being written still
// count). Send on a full queue closes the session with ReasonSlowConsumer;
// SendDroppable drops the frames and counts them. WebSocket writes have a
// deadline (between WriteTimeout/2 and WriteTimeout: it is renewed only when
// half of it has passed, not per frame), and the socket's send buffer is
// kept small (SocketSendBuffer), so a peer that stops reading is closed
// with ReasonSlowConsumer a few seconds after the buffers fill, either way.
// Pings bypass the bound. Close(ReasonForcedClose) and Shutdown flush the
// queue before the WebSocket close frame; on polling, the queued frames go
// in one or more responses and the close packet in the next (the session
// stays reachable until then, as long as the client's next GET comes within
// PollDrainWait each time; Shutdown waits within its context). Other
// reasons drop the connection at once. A polling response carries at most
// MaxPollPackets packets.
//
// Frames: TextFrame/BinaryFrame copy their input once; OwnedTextFrame and
// OwnedBinaryFrame take the caller's buffer (one allocation: the Frame).
// Conn.SendCopy copies one message into a frame of the server's pool that
// is reused once written or dropped: per-session messages (a state frame
// with the recipient's ack) then allocate nothing.
//
// # Locks
//
// Order: Conn.recvMu (held while delivering messages), then Conn.mu (the
// session's state and queue), then Server.mu (the session table). Conn.mu
// is never held while calling the Handler or writing to the network;
// closing a connection under it is allowed.
//
// # Security
//
// The Origin allowlist and AllowRequest are checked before gws upgrades a
// connection; gws runs with ParallelEnabled off (ordering), Recovery set,
// and ReadMaxPayloadSize = MaxPayload; gws message buffers are returned to
// its pool when OnMessage returns.
//
// # Memory per session
//
// A WebSocket holds gws's read buffer (Config.ReadBufferSize, 1 KiB by
// default) for its lifetime. The handshake request is not retained:
// Handshake keeps copies of the headers named in Config.HandshakeHeaders
// and of the application's query parameters only. POST bodies are bounded by MaxPayload
// (413 and close).
//
// This package imports codec/engineio and gws; it knows nothing of
// Socket.IO.
package engineio
