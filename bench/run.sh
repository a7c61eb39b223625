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
go build -o "$bin/floor" ./bench/floor
go build -o "$bin/bareclient" ./bench/bareclient
go build -o "$bin/roomcast" ./bench/roomcast
go build -o "$bin/gameserver" ./cmd/gameserver
go build -o "$bin/bots" ./cmd/bots
go build -o "$bin/sweep" ./bench/sweep
limit="${HARD_LIMIT:-2700}"
timeout --signal=TERM --kill-after=20 "$limit" "$bin/sweep" -bin "$bin" -max-time "$((limit - 30))s" "$@" &
sweep_pid=$!
wait "$sweep_pid"
