// Command arenaserver is the game server the JS tests start while
// cmd/gameserver does not serve the arena and the page yet: exactly
// gameserver.Main with the page of package jsclient. It takes the same
// flags as cmd/gameserver.
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
	defer stop()
	code := gameserver.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, jsclient.Web())
	stop()
	os.Exit(code)
}
