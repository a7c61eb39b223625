// Package rooms is where a studio's game code lives: room types registered
// by name, one goroutine per room running a fixed-tick loop, seats with
// single-use reconnection tokens and a grace period, matchmaking
// (joinOrCreate, create, join, joinById, list, with metadata filters), a
// live lobby, and the game protocol of PROTOCOL.md ("Game protocol").
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
// Connections reach rooms through the small Conn interface (rooms/roomsio
// adapts transport/socketio sockets to it: roomsio.Attach(rs, sio.Of("/"))):
// the transport calls Server.Connect for every new connection,
// Session.Handle for every event the client sends and Session.Close when
// the connection is gone. The protocol (events, acks, error codes, state
// frames) is in PROTOCOL.md (Game protocol).
//
// Untrusted input: event arguments arrive already decoded by the
// transport's bounded decoders (codec/socketio, codec/mpack: every length
// checked, depth bounded); rooms further bounds input and message payload
// sizes, input rates and sequence numbers before game code sees them.
//
// Where rooms live: a Registry lists them (memory by default). Seat
// reservation is done by the process that owns a room, under its room
// type's lock, so seats stay exact under any concurrency; a shared
// (Redis) Registry only has to store listings.
//
// # Concurrency
//
// One goroutine owns each room. Every hook of a Game runs on it, one at a
// time, so game code needs no locks; everything else (joins, inputs,
// messages, drops, resumes) reaches the room as a message on its bounded
// inbox, drained in arrival order at the start of each tick. Per tick the
// room runs OnTick with the fixed dt, encodes the state delta once, and
// queues it on every session with that recipient's input ack appended
// (transport/socketio.TailPacket): the seq of its last input handed to
// OnInput, or, for a room type with Settings.ManualInputAck (a game that
// queues inputs), the seq the game last passed to Client.AckInput. State
// frames are droppable: a session whose queue is full misses them, is
// marked "needs snapshot" and gets a snapshot on the next tick it can take
// one; one that stays full past Settings.SlowConsumerTimeout is
// disconnected. A panic in a hook disposes that room (its clients get
// room.left with code room_error) and is logged; other rooms go on.
//
// Lock order: a room type's mutex (seat accounting, matchmaking) may be
// taken before Server.mu, and Server.mu before the random source's mutex
// (both when matchmaking creates a room), never the other way round; the
// token table's mutex, Session.mu, the lobby's and the memory registry's
// mutexes are leaves; Room.sendMu is held only around putting a message into
// the inbox. No lock is held while game code runs or while anything is sent
// to a connection (ARCHITECTURE.md, "Locks and their order").
//
// This package must not import transport packages; it imports tick,
// codec/mpack and sync (statesync, for the resume buffer); its tests also use
// bots.
package rooms
