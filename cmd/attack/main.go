// Command attack runs the hostile clients of package internal/hostile at
// full size against a running roomcast server on this machine, while
// honest players sit in a room, and reports per attack what the server
// did to the attack and what it cost the honest players: disconnects,
// frames per second, the longest gap between two frames, the tick
// lateness p99 of the arena rooms (from the server's /metrics) against a
// quiet baseline, the server's CPU share, and its RSS and goroutines
// before, during and after. Each window is checked against the issue's
// bar for the honest players (printed as "bar: ok", or what failed).
//
//	go build -o /tmp/gameserver ./cmd/gameserver
//	/tmp/gameserver --addr 127.0.0.1:2567 --limit-loopback &
//	go run ./cmd/attack -url http://127.0.0.1:2567 -pid $!
//	go run ./cmd/attack -attacks idle,utf8 -size small   # a quick look
//
// Every client here connects over loopback (attackers from 127.0.0.1,
// the honest players and drain players from other 127.x addresses), so
// run the server with --limit-loopback or its per-IP limits stay out of
// the picture. The drain attack sends SIGTERM to -pid and so runs last,
// and only when
// -pid is given. Aim it only at your own server: the command refuses any
// address that is not loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/roomcast/roomcast/bots"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	url     string
	attacks []string
	honest  int
	small   bool
	quiet   time.Duration
	pid     int
	recover time.Duration
}

// allAttacks in the order they run.
var allAttacks = []string{"origin", "utf8", "handshake", "idle", "slowpost", "slowreader", "rooms", "list", "drain"}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:2567", "the server's base URL (loopback only)")
	list := fs.String("attacks", "all", "comma-separated attacks: "+strings.Join(allAttacks, ",")+" or all")
	fs.IntVar(&o.honest, "honest", 7, "honest players in the watched room (max 7: the slow reader takes the 8th seat)")
	size := fs.String("size", "full", `"full" (the issue's sizes) or "small" (a quick look)`)
	fs.DurationVar(&o.quiet, "quiet", 10*time.Second, "quiet baseline window before the attacks")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id: the drain attack sends it SIGTERM (skipped without)")
	fs.DurationVar(&o.recover, "recover", 90*time.Second, "longest wait after an attack for goroutines to settle")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch *size {
	case "full":
	case "small":
		o.small = true
	default:
		return o, fmt.Errorf("-size %q: want full or small", *size)
	}
	if *list == "all" {
		o.attacks = allAttacks
	} else {
		for _, a := range strings.Split(*list, ",") {
			if !contains(allAttacks, a) {
				return o, fmt.Errorf("-attacks: unknown attack %q (%s)", a, strings.Join(allAttacks, ","))
			}
			o.attacks = append(o.attacks, a)
		}
	}
	if o.honest < 1 || o.honest > 7 {
		return o, fmt.Errorf("-honest %d: want 1..7", o.honest)
	}
	if err := loopbackOnly(o.url); err != nil {
		return o, err
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loopbackOnly refuses any URL whose host is not a loopback address.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url %q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: attacks run against loopback only (127.0.0.1, ::1, localhost)", raw)
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "attack:", err)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r := &runner{opt: o, out: stdout, metrics: strings.TrimRight(o.url, "/") + "/metrics"}
	if err := r.run(ctx); err != nil {
		fmt.Fprintln(stderr, "attack:", err)
		return 1
	}
	return 0
}

// wait pauses for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// honestTransport is the honest players' transport.
const honestTransport = bots.TransportWebSocket
