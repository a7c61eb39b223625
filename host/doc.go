// Package host turns room types into a production game server: what a
// studio's main calls. A Server serves Socket.IO (package
// transport/socketio on transport/engineio) at /socket.io/, the rooms of
// the types given to Define over it (package rooms through rooms/roomsio),
// an optional page at "/", the studio's own handlers, Prometheus metrics
// at /metrics (a registry of its own, no global state; the studio adds
// its collectors), /healthz, /readyz (503 while draining), optional pprof
// and slog logging, and drains gracefully when its Run context ends.
//
// A studio's whole main:
//
//	func main() {
//		host.Main(func(srv *host.Server) error {
//			srv.Page(clicker.Web()) // optional static page at "/"
//			return srv.Define(clicker.RoomType, clicker.NewGame, clicker.Settings())
//		})
//	}
//
// Main reads flags, each with a ROOMCAST_* environment variable
// (--addr / ROOMCAST_ADDR, --drain-grace / ROOMCAST_DRAIN_GRACE, …; a flag
// on the command line wins), validates them with errors that name the
// flag, builds the Server, runs setup, and serves until SIGINT or SIGTERM.
// The Flags option adds the program's own flags (with variables too),
// Description the first line of --help. Execute is Main for tests: it
// takes the arguments, environment and output writers and returns the exit
// code. Without flags, New and Run do the same from a Config.
//
// Once listening, Run prints exactly one line to stdout,
// "listening on http://HOST:PORT", which scripts and tests parse; logs go
// to stderr.
//
// The defaults suit a public server: per-IP bounds on connections (256),
// sessions (128) and handshakes (20/s, bursts of 40), answered 429 with
// the Engine.IO error JSON; an idle keep-alive timeout (30 s) and a
// deadline on long-polling POST bodies (10 s); browsers only from the
// server's own origin or Config.AllowedOrigins (DevAnyOrigin for
// development). X-Forwarded-For is read only from Config.TrustedProxies.
//
// Drain (on SIGTERM/SIGINT in Main): /readyz turns 503, matchmaking
// refuses new seats (server_shutting_down), rooms play on for up to
// Config.DrainWait, every room is disposed and its clients get room.left
// {code: "shutdown"}, the OnDrain functions run, the last frames are
// flushed, sessions close, and Run returns nil, all within
// Config.DrainGrace; Main then exits 0.
//
// With --redis (Config.Redis) the server is one node of several that act
// as one (package cluster): it registers its --public-url (default: the
// listen address) under --node-id, joins reserve their seats in Redis and
// are redirected to the node holding the room, rooms.list and the lobby
// show every node's rooms; the drain marks the node draining, then
// deregisters it. /metrics adds roomcast_redis_commands_total and
// roomcast_cluster_up.
//
// Nothing here is specific to one game, and host imports no game
// (nothing under examples/): cmd/gameserver is this package with the arena
// of examples/arena (and its flags) and the transport demo of
// examples/sioecho.
package host
