// Command gameserver is roomcast's server binary: the arena game (package
// examples/arena) with its page, metrics, health checks and graceful
// drain, assembled by package gameserver.
//
//	go run ./cmd/gameserver                        # 127.0.0.1:2567, the arena
//	go run ./cmd/gameserver --addr 127.0.0.1:0     # any free port
//	go run ./cmd/gameserver --demo sioecho         # the transport demo (interop tests)
//	go run ./cmd/gameserver -h                     # every flag; each has a ROOMCAST_* env variable
//
// Once listening it prints exactly one line to stdout,
// "listening on http://HOST:PORT", which scripts and tests parse. Logs go
// to stderr. SIGINT or SIGTERM drains (every client gets room.left
// {code: "shutdown"}) and exits 0 within --drain-grace.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	jsclient "github.com/roomcast/roomcast/clients/js"
	"github.com/roomcast/roomcast/gameserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := gameserver.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, jsclient.Web())
	stop()
	os.Exit(code)
}
