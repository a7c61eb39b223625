// Command gameserver is roomcast's server binary: the arena game (package
// examples/arena) with its page, on package host (metrics, health checks,
// flags and ROOMCAST_* variables, graceful drain); or, with --demo
// sioecho, the transport demo of examples/sioecho that the JS interop
// tests drive. Beside the arena it serves the room type "bigworld"
// (examples/bigworld: 256 players, each client sees the players around
// its own): open /?room=bigworld, drive it with cmd/bots --room bigworld;
// and "cards" (examples/cards: each seat's hand reaches its own player
// only).
//
//	go run ./cmd/gameserver                        # 127.0.0.1:2567, the arena
//	go run ./cmd/gameserver --addr 127.0.0.1:0     # any free port
//	go run ./cmd/gameserver --arena-mode bench     # the benchmark workload
//	go run ./cmd/gameserver --demo sioecho         # the transport demo (interop tests)
//	go run ./cmd/gameserver --help                 # every flag; each has a ROOMCAST_* variable
//
// Once listening it prints exactly one line to stdout,
// "listening on http://HOST:PORT", which scripts and tests parse. Logs go
// to stderr. SIGINT or SIGTERM drains (every client gets room.left
// {code: "shutdown"}) and exits 0 within --drain-grace.
package main

import (
	"context"
	"flag"
	"fmt"

	jsclient "github.com/roomcast/roomcast/clients/js"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/examples/bigworld"
	"github.com/roomcast/roomcast/examples/cards"
	"github.com/roomcast/roomcast/examples/sioecho"
	"github.com/roomcast/roomcast/host"
)

// What the server serves (--demo).
const (
	demoArena   = "arena"   // the arena game (default)
	demoSioecho = "sioecho" // the transport demo of examples/sioecho
)

const description = "gameserver: roomcast's arena game (its page at /, Socket.IO at /socket.io/, /metrics, /healthz, /readyz),\n" +
	"or with --demo sioecho the transport demo the interop tests drive."

func main() {
	var cmd command
	host.Main(cmd.setup, cmd.options()...)
}

// command is the binary's own part of the command line and its setup.
type command struct {
	demo  string
	arena arena.Options
}

func (c *command) options() []host.Option {
	return []host.Option{
		host.Name("gameserver"),
		host.Description(description),
		host.Flags(c.addFlags),
		host.Prepare(c.prepare),
	}
}

func (c *command) addFlags(fs *flag.FlagSet) {
	c.demo = demoArena
	fs.Var(demoFlag{&c.demo}, "demo", `what to serve: "arena" (the game) or "sioecho" (the transport demo)`)
	c.arena.AddFlags(fs)
}

// prepare gives the transport demo its fast heartbeat unless a flag or
// variable chose one.
func (c *command) prepare(cfg *host.Config, given func(string) bool) error {
	if c.demo != demoSioecho {
		return nil
	}
	if !given("ping-interval") {
		cfg.PingInterval = sioecho.DemoPingInterval
	}
	if !given("ping-timeout") {
		cfg.PingTimeout = sioecho.DemoPingTimeout
	}
	return nil
}

func (c *command) setup(srv *host.Server) error {
	if c.demo == demoSioecho {
		return serveSioecho(srv)
	}
	if err := c.arena.Validate(); err != nil {
		return err
	}
	settings := c.arena.Settings()
	srv.Logger().Info("arena", "mode", c.arena.Mode, "quantized", c.arena.Quantized, "packed", c.arena.Packed,
		"tick_rate", settings.TickRate)
	srv.Page(jsclient.Web())
	if err := srv.Define(arena.RoomType, c.arena.NewGame, settings); err != nil {
		return err
	}
	// The per-client views demos: /?room=bigworld, cmd/bots --room bigworld;
	// cards, whose hands only their own player receives.
	if err := srv.Define(bigworld.RoomType, bigworld.NewGame, bigworld.Settings()); err != nil {
		return err
	}
	return srv.Define(cards.RoomType, cards.NewGame, cards.Settings())
}

// serveSioecho adds the demo's namespaces to the server's Socket.IO and
// its raw Engine.IO echo at /engine.io/ (shut down by the drain).
func serveSioecho(srv *host.Server) error {
	cfg := srv.Config()
	echo, err := sioecho.New(sioecho.Config{
		PingInterval: cfg.PingInterval, PingTimeout: cfg.PingTimeout, MaxPayload: cfg.MaxPayload,
		AllowedOrigins: cfg.Origins(), Logger: srv.Logger(), SocketIO: srv.SocketIO(),
	})
	if err != nil {
		return fmt.Errorf("sioecho demo: %w", err)
	}
	if err := srv.Handle(sioecho.EngineIOPath, echo); err != nil {
		return err
	}
	srv.OnDrain(func(ctx context.Context) error { return echo.Shutdown(ctx) })
	return nil
}

// demoFlag is --demo: demoArena or demoSioecho.
type demoFlag struct{ demo *string }

func (f demoFlag) String() string {
	if f.demo == nil {
		return ""
	}
	return *f.demo
}

func (f demoFlag) Set(v string) error {
	if v != demoArena && v != demoSioecho {
		return fmt.Errorf("want %q or %q", demoArena, demoSioecho)
	}
	*f.demo = v
	return nil
}
