// Package gameserver assembles roomcast's production server from its
// parts, so cmd/gameserver's main is a few lines: Socket.IO (package
// transport/socketio on transport/engineio), rooms with the arena room type
// (examples/arena) served over rooms/roomsio, the game page at "/",
// Prometheus metrics at /metrics (a registry of its own, no global
// state), /healthz, /readyz (503 while draining), optional pprof, slog
// logging, and a graceful drain when the Run context is cancelled.
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		os.Exit(gameserver.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
//	}
//
// Main parses flags (each with a ROOMCAST_* environment variable, e.g.
// --addr / ROOMCAST_ADDR, --drain-grace / ROOMCAST_DRAIN_GRACE), validates
// them with errors that name the flag, builds a Server with New and Runs
// it. Run prints exactly one line to stdout, "listening on
// http://HOST:PORT", which scripts and tests parse; logs go to stderr.
//
// Drain (on SIGTERM/SIGINT in main): /readyz turns 503, matchmaking
// refuses new seats (server_shutting_down), every room is disposed and
// its clients get room.left {code: "shutdown"}, the last frames are
// flushed, sessions close, and Run returns nil, all within
// Config.DrainGrace.
//
// With --demo sioecho the server serves the transport demo of
// examples/sioecho instead of the game (the JS interop tests use it).
package gameserver
