// Package rooms is where a studio's game code lives: room types registered
// by name, one goroutine per room running a fixed-tick loop, seats with
// single-use reconnection tokens and a grace period, matchmaking
// (joinOrCreate, create, join, joinById, list, with metadata filters), a
// live lobby: the server side of the game protocol (PROTOCOL.md, "Game
// protocol"), spoken as typed requests and replies.
//
// A game implements Game (embed NopGame and override the hooks it needs)
// and registers it:
//
//	srv, _ := rooms.NewServer(rooms.Config{})
//	srv.Define("arena", func() rooms.Game { return &Arena{} }, rooms.Settings{TickRate: 20, MaxClients: 8})
//
// A Game sets its replicated state with Room.SetState (a
// *statesync.Encoder from package sync fits as is), reacts to OnJoin,
// OnInput, OnMessage, OnTick, OnDrop, OnResume, OnLeave, and talks to
// clients with Client.Send / SendWithAck, Room.Broadcast / BroadcastExcept
// and Client.Kick. Room.Lock, SetPrivate, SetMetadata and Dispose steer
// matchmaking and the lobby. See Example.
//
// Connections reach rooms through a transport adapter (rooms/roomsio for
// transport/socketio: roomsio.Attach(rs, sio.Of("/"))). The adapter calls
// Server.Connect for every new connection, then the typed Session methods
// for the client's requests (Join with a JoinRequest, Resume, Input or
// InputMsgpack, Message, Leave, List, SubscribeLobby), and Session.Close
// when the connection is gone; rooms answers with Seat values and *Error
// (stable codes) and reaches the client through the typed sends of the
// small Conn interface (state frames, messages, room.left, lobby events).
// Event names, argument arrays and {ok, error} ack objects live in the
// adapter. The wire protocol is in PROTOCOL.md ("Game protocol").
//
// Untrusted input: requests arrive from the transport's bounded decoders
// (codec/socketio, codec/mpack: every length checked, depth bounded);
// rooms further bounds input and message payload sizes, input rates and
// sequence numbers before game code sees them. A room type may decode its
// inputs into its own Go type (Settings.Input): the decoder reads the
// payload with a bounded reader, straight from the wire bytes when the
// adapter has them (Session.InputMsgpack).
//
// Where rooms live: a Registry lists them (memory by default). In one
// process, seat reservation is done under the room type's lock, so seats
// stay exact under any concurrency. Several processes act as one server
// through a Directory (Config.Directory; package cluster implements it on
// Redis): it counts the seats and lists the rooms of every node, a join
// whose seat is on another node answers code redirect with that node's
// URL and a one-time claim (Session.Claim takes the seat there), and
// reconnection tokens name their node.
//
// # Concurrency
//
// One goroutine owns each room. Every hook of a Game runs on it, one at a
// time, so game code needs no locks; everything else (joins, inputs,
// messages, drops, resumes) reaches the room as a message on its bounded
// inbox, drained in arrival order at the start of each tick. Per tick the
// room runs OnTick with the fixed dt, and its fanout encodes the state
// delta once and queues it on every session with that recipient's input
// ack appended (roomsio sends it as a transport/socketio.TailPacket): the
// seq of its last input handed to OnInput, or, for a room type with
// Settings.ManualInputAck (a game that queues inputs), the seq the game
// last passed to Client.AckInput. With Settings.ChecksumEvery the fanout
// adds the state checksum to snapshots and every Nth tick's frames. State
// frames are droppable: a session whose queue is full misses them, is
// marked "needs snapshot" and gets a snapshot on the next tick it can take
// one; one that stays full past Settings.SlowConsumerTimeout is
// disconnected. A panic in a hook disposes that room (its clients get
// room.left with code room_error) and is logged; other rooms go on.
//
// Locks: a room type's mutex (roomType.mu: every room's matchEntry, the
// seat accounting matchmaking reserves under) may be taken before
// Server.mu, and Server.mu before Server.randMu (the random source), never
// the other way round; the room's inbox lock (senders vs. the room
// stopping), the token table's mutex, Session.mu, the lobby's and the
// memory registry's mutexes are leaves. No lock is held while game code
// runs (ARCHITECTURE.md, "Locks and their order").
//
// Files: room.go (the Room API of game code), inbox.go, lifecycle.go (the
// tick loop and disposal), seats.go (join, resume, drop, leave),
// matchmaking.go (room types, matchEntry, listings), fanout.go (state
// frames and checksums), views.go (per-client views: Room.SetView, a
// frame per client assembled from parts encoded once per view group), session.go and input.go (a connection's
// requests), lobby.go, registry.go, tokens.go.
//
// This package must not import transport packages; it imports tick, sync
// and codec.
package rooms
