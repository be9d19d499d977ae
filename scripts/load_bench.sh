#!/usr/bin/env bash
# Load benchmark of `facenet serve` on loopback, bounded in time and requests:
#   scripts/load_bench.sh [CLIENTS=20] [SECONDS=10] [MAX_REQUESTS=100000] [MODEL=facenet]
# Starts a server on a fresh gallery in a temporary folder, runs scripts/load_client.py (CLIENTS concurrent
# clients for SECONDS mixing recognize 50 %, add-example 15 %, list 15 %, detect 20 % on the test photos),
# prints its report with the server's RSS before and after, then stops the server with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-20}; seconds=${2:-10}; max_requests=${3:-100000}; model=${4:-facenet}
bin=./target/release/facenet
[ -x "$bin" ] || cargo build --release -p facenet-cli
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
rkey=$("$bin" keys create --db "$work/g.db" --service recognition)
dkey=$("$bin" keys create --db "$work/g.db" --service detection)
port=$((20000 + RANDOM % 20000))
"$bin" serve --db "$work/g.db" --addr "127.0.0.1:$port" --model "$model" --queue 1024 --timeout 120 2>"$work/server.log" &
server=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }
cache=${FACENET_HOME:-$HOME/.cache/facenet}/assets
echo "uptime: $(uptime)"
echo "rss_before: $(rss)"
python3 scripts/load_client.py "$port" "$rkey" "$dkey" "$clients" "$seconds" "$max_requests" \
  "$cache/obama.jpg" "$cache/obama2.jpg" "$cache/obama3.jpg" "$cache/biden.jpg"
echo "rss_after: $(rss)"
kill -TERM "$server"
wait "$server" || true
tail -1 "$work/server.log"
