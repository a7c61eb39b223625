#!/usr/bin/env bash
# Arena v1 benchmark sweep: builds the floor pair (bench/floor, bench/bareclient),
# the roomcast bench server (bench/roomcast) and the swarm (cmd/bots), then runs
# bench/sweep, which starts every server and load generator on 127.0.0.1, one
# run at a time, kills each run's process group when it ends, and prints the
# figures and the roomcast÷floor ratios as Markdown. The roomcast server is
# cmd/gameserver -arena-mode bench (or bench/roomcast with -server bench).
#
#   bench/run.sh                                   # full sweep (~15 min)
#   bench/run.sh -duration 10s -warmup 3s          # shorter runs
#   bench/run.sh -ccu 800,2000 -polling-ccu 96     # fewer points
#   bench/run.sh --peers                           # roomcast, the floor, Colyseus 0.18 and
#                                                  # Socket.IO 4.8 in one sweep (~25 min, see BENCHMARKS.md)
#
# --peers (first argument) installs bench/peers' npm packages (npm ci, when
# node_modules is missing or older than the lock file) and runs every system
# at -ccu 800,2000, long-polling at 96 CCU for roomcast and Socket.IO, and
# a search for each system's largest CCU held (-search-runs 4); any of those
# flags given after --peers wins.
#
# Extra arguments go to bench/sweep (see `go run ./bench/sweep -h`).
# Output: Markdown on stdout, bench-out/results.jsonl and one HTML report per
# roomcast run in bench-out/. Hard limit: HARD_LIMIT seconds (default 2700).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(mktemp -d)"
sweep_pid=""
cleanup() {
	if [[ -n "$sweep_pid" ]]; then kill -TERM "$sweep_pid" 2>/dev/null || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT INT TERM
peers=()
if [[ "${1:-}" == "--peers" ]]; then
	shift
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # node does not raise its open-file limit itself, as Go does
	lock=bench/peers/package-lock.json stamp=bench/peers/node_modules/.package-lock.json
	if [[ ! -f "$stamp" || "$lock" -nt "$stamp" ]]; then
		(cd bench/peers && npm ci --no-audit --no-fund)
	fi
	peers=(-systems floor,roomcast,colyseus,socketio -polling-systems roomcast,socketio
		-ccu 800,2000 -polling-ccu 96 -search-runs 4 -search-step 100)
fi
go build -o "$bin/floor" ./bench/floor
go build -o "$bin/bareclient" ./bench/bareclient
go build -o "$bin/roomcast" ./bench/roomcast
go build -o "$bin/gameserver" ./cmd/gameserver
go build -o "$bin/bots" ./cmd/bots
go build -o "$bin/sweep" ./bench/sweep
limit="${HARD_LIMIT:-2700}"
timeout --signal=TERM --kill-after=20 "$limit" "$bin/sweep" -bin "$bin" -max-time "$((limit - 30))s" "${peers[@]}" "$@" &
sweep_pid=$!
wait "$sweep_pid"
