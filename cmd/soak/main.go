// Command soak holds a roomcast server at a steady number of concurrent
// players for a long time while a share of them churn every minute, over
// both transports, and checks that nothing is lost and nothing grows:
// every seat is still held at the end (0 lost seats), every dropped
// connection resumed its seat (0 failed resumes), the churn asked for was
// made (at least 95 % of it), and the server's goroutines and RSS over the
// last third of the run are within -flat (10 %) of the first third's.
//
//	go run ./cmd/gameserver --addr 127.0.0.1:2567 --limit-loopback &
//	go run ./cmd/soak -url http://127.0.0.1:2567                    # 1500 CCU, 10 min, 30 %/min churn: about 11 min
//	go run ./cmd/soak -ccu 150 -duration 2m                         # a quick check
//
// Players sit eight to a room (the first creates it, the others join it
// by id) and send -inputs moves a second. Each churn action is, in turn, a
// dropped connection resumed with the seat's token (the bots' automatic
// resume, on a new connection) or a leave followed by joining the same
// room again. -polling is the share of players on HTTP long-polling; the
// rest use WebSocket. Players come from -per-address players per source
// address 127.0.2.x (Linux routes all of 127.0.0.0/8 to loopback), so a
// server run with --limit-loopback sees them as players behind NATs. The exit
// code is 1 when a check fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	url      string
	ccu      int
	duration time.Duration
	churn    float64 // share of ccu churned per minute
	polling  float64 // share of players on long-polling
	inputs   float64 // inputs per player per second
	ramp     float64 // players connected per second
	sample   time.Duration
	flat     float64 // allowed relative growth of goroutines and RSS
	perAddr  int     // players per simulated client address
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:2567", "the server's base URL")
	fs.IntVar(&o.ccu, "ccu", 1500, "concurrent players")
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to hold them after the ramp")
	fs.Float64Var(&o.churn, "churn", 0.30, "share of the players that churn per minute")
	fs.Float64Var(&o.polling, "polling", 0.5, "share of the players on long-polling (the rest WebSocket)")
	fs.Float64Var(&o.inputs, "inputs", 5, "inputs per player per second")
	fs.Float64Var(&o.ramp, "ramp", 100, "players connected per second during the ramp")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "time between two samples of the server")
	fs.Float64Var(&o.flat, "flat", 0.10, "largest allowed growth of goroutines and RSS from the ramp's end to the end")
	fs.IntVar(&o.perAddr, "per-address", 50, "players per client address (127.0.2.x): under the server's per-address limits, like players behind one NAT")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.ccu < 1:
		return o, fmt.Errorf("-ccu %d: must be positive", o.ccu)
	case o.duration <= 0:
		return o, fmt.Errorf("-duration %v: must be positive", o.duration)
	case o.churn < 0 || o.churn > 1:
		return o, fmt.Errorf("-churn %v: want 0..1", o.churn)
	case o.polling < 0 || o.polling > 1:
		return o, fmt.Errorf("-polling %v: want 0..1", o.polling)
	case o.inputs < 0 || o.inputs > 60:
		return o, fmt.Errorf("-inputs %v: want 0..60", o.inputs)
	case o.ramp <= 0:
		return o, fmt.Errorf("-ramp %v: must be positive", o.ramp)
	case o.perAddr < 1 || o.ccu/o.perAddr > 253:
		return o, fmt.Errorf("-per-address %d: want ≥ 1 and at most 254 addresses", o.perAddr)
	case o.sample <= 0:
		return o, fmt.Errorf("-sample %v: must be positive", o.sample)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "soak:", err)
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s := newSoak(o, stdout)
	ok, err := s.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}
