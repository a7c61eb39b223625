// Command gameserver is roomcast's server binary. For now it serves the
// transport demo (examples/sioecho); the arena game follows.
//
//	go run ./cmd/gameserver                     # 127.0.0.1:2567
//	go run ./cmd/gameserver --addr 127.0.0.1:0  # any free port
//
// Once listening it prints exactly one line to stdout,
// "listening on http://HOST:PORT", which scripts and tests parse. Logs go to
// stderr. SIGINT or SIGTERM closes every session and exits 0.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gameserver:", err)
		os.Exit(1)
	}
}
