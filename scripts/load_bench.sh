#!/usr/bin/env bash
# Load benchmark of `facenet serve` on loopback, bounded in time and requests:
#   [LOAD_MIX=recognize:1] scripts/load_bench.sh [CLIENTS=20] [SECONDS=10] [MAX_REQUESTS=100000] [MODEL=facenet]
# First times the single-process figures on this machine (`facenet bench pipeline`: decode + detect +
# align + embed of the same photos, one at a time; `facenet bench embed`: embedding of ready crops), then
# starts a server on a fresh gallery in a temporary folder, runs scripts/load_client.py (CLIENTS
# concurrent clients for SECONDS mixing recognize 50 %, add-example 15 %, list 15 %, detect 20 % on the
# test photos; LOAD_MIX=recognize:1 for recognize only, see load_client.py), prints its report (throughput, p50/p99 per endpoint, batch-size distribution) with the
# server's RSS before, after and at its peak, compares the recognize endpoint with both single-process
# figures, then stops the server with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-20}; seconds=${2:-10}; max_requests=${3:-100000}; model=${4:-facenet}
bin=./target/release/facenet
[ -x "$bin" ] || cargo build --release --workspace --all-targets
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
cache=${FACENET_HOME:-$HOME/.cache/facenet}/assets
photos=("$cache/obama.jpg" "$cache/obama2.jpg" "$cache/obama3.jpg" "$cache/biden.jpg")
threads=$(nproc)
echo "uptime: $(uptime)"
"$bin" bench pipeline --json --quiet --model "$model" --threads "$threads" --seconds 10 "${photos[@]}" >"$work/pipeline.json"
"$bin" bench embed --json --quiet --model "$model" --threads "$threads" --batch 1 --batch 16 --seconds 5 >"$work/embed.json"
rkey=$("$bin" keys create --db "$work/g.db" --service recognition)
dkey=$("$bin" keys create --db "$work/g.db" --service detection)
port=$((20000 + RANDOM % 20000))
"$bin" serve --db "$work/g.db" --addr "127.0.0.1:$port" --model "$model" --queue 1024 --timeout 120 2>"$work/server.log" &
server=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
status() { awk -v k="$1:" '$1 == k {print $2 " kB"}' "/proc/$server/status"; }
echo "rss_before: $(status VmRSS)"
python3 scripts/load_client.py "$port" "$rkey" "$dkey" "$clients" "$seconds" "$max_requests" "${photos[@]}" \
  | tee "$work/load.txt"
sed '/^batch_faces_histogram:/d' "$work/load.txt" >"$work/load.json"
echo "rss_after: $(status VmRSS)"
echo "rss_peak: $(status VmHWM)"
curl -fs -H "x-api-key: $rkey" "http://127.0.0.1:$port/metrics" | grep -E '^facenet_(workers|photos_in_work_peak) '
python3 - "$work/load.json" "$work/pipeline.json" "$work/embed.json" <<'PY'
import json, sys
load, pipeline, embed = (json.load(open(p)) for p in sys.argv[1:])
recognize = load["endpoints"]["recognize"]["rps"]
photos = sum(load["endpoints"][e]["rps"] for e in ("recognize", "add", "detect"))
print(f"single process, whole photo (bench pipeline, {pipeline['threads']} threads): "
      f"{pipeline['photos_per_s']:.2f} photos/s, {pipeline['faces_per_s']:.2f} faces/s")
for row in embed:
    print(f"single process, embedding only (bench embed, batch {row['batch']}): {row['chips_per_s']:.2f} faces/s")
print(f"recognize endpoint: {recognize:.2f} req/s = {100 * recognize / pipeline['photos_per_s']:.0f} % of the "
      f"whole-photo figure, {100 * recognize / max(r['chips_per_s'] for r in embed):.0f} % of the best embedding figure")
print(f"every photo endpoint (recognize + add + detect): {photos:.2f} photos/s = "
      f"{100 * photos / pipeline['photos_per_s']:.0f} % of the whole-photo figure")
PY
kill -TERM "$server"
wait "$server" || true
server=
tail -1 "$work/server.log"
