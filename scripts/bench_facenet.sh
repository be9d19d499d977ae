#!/usr/bin/env bash
# FaceNet 20180408-102900 embedding speed: ours (`facenet bench embed --model facenet`, batches 1 and 16) against
# OpenCV dnn and ONNX Runtime on the same graph, all at 2 threads, in one run, with the ratios.
# Peers: ../shared/peers/setup.sh opencv (and ort, for facenet_irv1.onnx); PEERS_HOME as for setup.sh.
# Usage: scripts/bench_facenet.sh [SECONDS per measurement, default 6]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers_home=${PEERS_HOME:-$HOME/.cache/facenet-peers}
shared=${FACENET_SHARED:-$root/../shared}
seconds=${1:-6}
export THREADS=2
echo "load: $(uptime)"
ours=$("$root/target/release/facenet" --json bench embed --model facenet --batch 1 --batch 16 --threads 2 --seconds "$seconds")
echo "ours: $ours"
opencv=""
if [ -x "$peers_home/opencv/bin/python" ]; then
  opencv=$("$peers_home/opencv/bin/python" "$root/scripts/opencv_facenet_bench.py" "$seconds")
  echo "opencv: $opencv"
else
  echo "opencv: not installed (run $shared/peers/setup.sh opencv)"
fi
ort=""
if [ -f "$peers_home/ort/facenet_irv1.onnx" ]; then
  ort=$("$peers_home/ort/bin/python" "$shared/peers/ort_bench.py" "$peers_home/ort/facenet_irv1.onnx" 1 16)
  echo "onnxruntime: $ort"
else
  echo "onnxruntime: not installed (run $shared/peers/setup.sh ort)"
fi
python3 - "$ours" "$opencv" "$ort" <<'PY'
import json, sys
ours = {r["batch"]: r["faces_per_s"] for r in json.loads(sys.argv[1])}
for r in json.loads(sys.argv[1]):
    print(f"ours        batch {r['batch']:>2}: {r['faces_per_s']:7.1f} faces/s  {r['ms_per_face']:6.2f} ms/face  {r['gflops']:6.1f} GFLOP/s")
if sys.argv[2]:
    cv = json.loads(sys.argv[2])
    print(f"opencv dnn  batch  1: {cv['faces_per_s']:7.1f} faces/s  {cv['ms_per_face']:6.2f} ms/face   ours/opencv at batch 1: {ours[1] / cv['faces_per_s']:.2f}x")
for line in filter(None, sys.argv[3].splitlines()):
    r = json.loads(line)
    b = r["batch"]
    ratio = f"ours/ort: {ours[b] / r['items_per_s']:.2f}x" if b in ours else ""
    print(f"onnxruntime batch {b:>2}: {r['items_per_s']:7.1f} faces/s  {r['ms_per_batch'] / b:6.2f} ms/face   {ratio}")
PY
