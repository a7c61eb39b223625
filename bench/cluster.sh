#!/usr/bin/env bash
# Clustering benchmark (issue 14): the same total CCU on one gameserver, on
# three without Redis ("split": what three processes cost by themselves),
# and on three clustered on one redis-server, all on 127.0.0.1. Builds
# cmd/gameserver and cmd/bots, then runs bench/cluster, which prints a
# Markdown table: server CPU per client (all nodes), join latency p50/p99
# (a redirect and its claim included), Redis commands per join and per
# second at steady state, Redis's CPU. One JSON line per setup on stderr.
#
#   bench/cluster.sh                               # 1200 CCU, 30 s windows (~3 min)
#   bench/cluster.sh -ccu 30 -joins 40 -duration 5s -warmup 2s   # smoke test
#
# Extra arguments go to bench/cluster (`go run ./bench/cluster -h`). Needs
# redis-server (Debian's: apt-get install redis-server; or $REDIS_SERVER).
# Run it on a quiet machine: every process shares its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(mktemp -d)"
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT INT TERM
go build -o "$bin/gameserver" ./cmd/gameserver
go build -o "$bin/bots" ./cmd/bots
go build -o "$bin/cluster" ./bench/cluster
limit="${HARD_LIMIT:-1500}"
timeout --signal=TERM --kill-after=20 "$limit" "$bin/cluster" -bin "$bin" -max-time "$((limit - 30))s" "$@" &
pid=$!
wait "$pid"
