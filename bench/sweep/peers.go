package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// The systems the sweep knows, in the order it runs them at each CCU.
// colyseus and socketio are the peer servers of bench/peers (Node, npm
// packages installed there with npm ci): each has a server
// (<name>-server.js -addr HOST:PORT, which prints "listening on …" and
// serves its tick statistics at /benchstats) and a load generator on the
// peer's own client library (<name>-bots.js, which prints the window
// markers and one JSON line as cmd/bots does).
var (
	allSystems     = []string{"floor", "roomcast", "colyseus", "socketio"}
	peerSystems    = []string{"colyseus", "socketio"}
	pollingSystems = []string{"roomcast", "socketio"} // long-polling: Colyseus has none
)

func isPeer(sys string) bool {
	for _, p := range peerSystems {
		if sys == p {
			return true
		}
	}
	return false
}

// parseSystems reads a comma-separated list of systems, each one of known,
// and returns them in known's order.
func parseSystems(s string, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || f == k
		}
		if !ok {
			return nil, fmt.Errorf("unknown system %q (one of %s)", f, strings.Join(known, ", "))
		}
		want[f] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func hasSystem(rows []Row, sys string) bool {
	for _, r := range rows {
		if r.System == sys {
			return true
		}
	}
	return false
}

func startPeerServer(ctx context.Context, c config, sys, addr string) (*child, error) {
	return start(ctx, c.node, filepath.Join(c.peersDir, sys+"-server.js"), "-addr", addr)
}

func startPeerClient(ctx context.Context, c config, sys, transport, addr string, ccu int) (*child, error) {
	return start(ctx, c.node, filepath.Join(c.peersDir, sys+"-bots.js"), "-url", "http://"+addr,
		"-clients", strconv.Itoa(ccu), "-ramp", fmt.Sprint(c.ramp), "-warmup", c.warmup.String(),
		"-duration", c.duration.String(), "-transport", transport)
}
