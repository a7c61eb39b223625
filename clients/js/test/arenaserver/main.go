// Command arenaserver is exactly cmd/gameserver (gameserver.Main with the
// page of package jsclient), kept for test/rooms.test.js, which builds it
// from before cmd/gameserver served the arena. New tests start
// cmd/gameserver (test/helpers/arena.js); delete this once rooms.test.js
// does too.
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
