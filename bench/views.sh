#!/usr/bin/env bash
# Per-client views with the real transport (issue 13): server CPU per client
# of one 256-player bigworld room (each client sees the 3×3 cells around it,
# about 16 players) against 32 arena rooms of 8, the same 256 bots
# (cmd/bots, WebSocket, msgpack, 20 inputs/s, every bot mirroring the state
# and checking its checksums). Each round starts a fresh cmd/gameserver per
# room type, alternating, so both see the same machine; prints one JSON line
# per run on stderr and a Markdown table with the medians and the ratio.
#
#   bench/views.sh                      # 3 rounds of 20 s windows (~3 min)
#   ROUNDS=1 DURATION=5s bench/views.sh # smoke test
#
# Run it on a quiet machine: server and bots share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
duration="${DURATION:-20s}"
bots=256
bin="$(mktemp -d)"
server=""
cleanup() {
	if [[ -n "$server" ]]; then kill -TERM "$server" 2>/dev/null || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT INT TERM
go build -o "$bin/gameserver" ./cmd/gameserver
go build -o "$bin/bots" ./cmd/bots

# run ROOM ROOMS: one fresh server, one swarm; the swarm's JSON line goes
# to $bin/ROOM.jsonl.
run() {
	local room="$1" rooms="$2" url="" try
	"$bin/gameserver" --addr 127.0.0.1:0 >"$bin/server.log" 2>&1 &
	server=$!
	for ((try = 0; try < 300; try++)); do # up to 30 s
		url="$(sed -nE 's|^listening on (http://127\.0\.0\.1:[0-9]+)$|\1|p' "$bin/server.log")"
		[[ -n "$url" ]] && break
		sleep 0.1
	done
	if [[ -z "$url" ]]; then
		echo "views.sh: the gameserver did not say where it listens:" >&2
		cat "$bin/server.log" >&2
		exit 1
	fi
	timeout --signal=TERM --kill-after=10 300 "$bin/bots" -url "$url" -room "$room" -rooms "$rooms" -bots "$bots" \
		-mirror -duration "$duration" -report "" -quiet -pid "$server" | tail -n 1 | tee -a "$bin/$room.jsonl" >&2
	kill -TERM "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

for ((i = 1; i <= rounds; i++)); do
	run bigworld 1
	run arena $((bots / 8))
done

python3 - "$bin/bigworld.jsonl" "$bin/arena.jsonl" <<'EOF'
import json, statistics, sys
rows = {}
for name, path in (("bigworld", sys.argv[1]), ("arena", sys.argv[2])):
    runs = [json.loads(l) for l in open(path) if l.strip()]
    def med(k):
        return statistics.median(r[k] for r in runs)
    def each(k):
        return "; ".join(f"{r[k]:.0f}" for r in runs)
    bad = sum(r.get("mirror_errors", 0) + r.get("desyncs", 0) for r in runs)
    rows[name] = (med("server_cpu_us_per_client_s"), each("server_cpu_us_per_client_s"),
                  med("state_bytes_per_client_s"), med("frames_per_client_s"),
                  sum(r.get("checksums", 0) for r in runs), bad)
print("| room | server CPU µs per client-second, median (each run) | state bytes per client-second | frames per client-second | checksums verified | mirror errors + desyncs |")
print("|---|---|---|---|---|---|")
for name, label in (("bigworld", "bigworld: 1 room of 256, views"), ("arena", "arena: 32 rooms of 8")):
    cpu, each, sb, fps, sums, bad = rows[name]
    print(f"| {label} | {cpu:.0f} ({each}) | {sb:.0f} | {fps:.1f} | {sums} | {bad} |")
print()
print(f"server CPU per client, bigworld ÷ arena: {rows['bigworld'][0] / rows['arena'][0]:.2f}")
EOF
