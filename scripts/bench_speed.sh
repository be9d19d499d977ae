#!/usr/bin/env bash
# Inference speed, ours against the peers, in one run on the same inputs, 2 threads each, with the ratio
# table of issue #19: the machine's measured peak; FaceNet (Inception-ResNet-v1) against OpenCV dnn and ONNX
# Runtime (on tf2onnx's graph and on our own `export --onnx`) at batch 1 and 16; the dlib ResNet against
# ONNX Runtime (on our export) and dlib at batch 1 and 64; MTCNN against facenet-pytorch (the same photos,
# each listed twice so the warm second run counts).
# A peer that is not installed is reported as such (../shared/peers/setup.sh opencv|ort|dlib|torch).
# Timings on a shared machine are noisy: read the ratios, and rerun on an idle machine for the figures.
# Usage: scripts/bench_speed.sh [SECONDS per measurement, default 6]   (after `cargo build --release`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS_HOME:-$HOME/.cache/facenet-peers}
shared=${FACENET_SHARED:-$root/../shared}
seconds=${1:-6}
facenet="$root/target/release/facenet"
work="$root/target/bench-speed"
mkdir -p "$work"
export THREADS=2 OMP_NUM_THREADS=2
echo "load before: $(uptime)"
"$facenet" -q models fetch > /dev/null
asset() { "$facenet" -q models path "$1"; }

"$facenet" -q --json bench peak --threads 2 --seconds 1 > "$work/peak.json"
"$facenet" -q --json bench embed --model facenet --batch 1 --batch 16 --threads 2 --seconds "$seconds" > "$work/facenet.json"
"$facenet" -q --json bench embed --model dlib --batch 1 --batch 64 --threads 2 --seconds "$seconds" > "$work/dlib.json"
photos=()
for name in obama.jpg obama2.jpg obama3.jpg biden.jpg obama_partial_face.jpg obama_partial_face2.jpg; do
  photos+=("$(asset "$name")")
done
"$facenet" -q --json bench detect --threads 2 --repeat 5 > "$work/mtcnn.json"

echo '{}' > "$work/opencv.json"
if [ -x "$peers/opencv/bin/python" ]; then
  "$peers/opencv/bin/python" "$root/scripts/opencv_facenet_bench.py" "$seconds" > "$work/opencv.json"
fi
: > "$work/ort_tf2onnx.jsonl"; : > "$work/ort_ours.jsonl"; : > "$work/ort_dlib.jsonl"
if [ -x "$peers/ort/bin/python" ]; then
  [ -f "$peers/ort/facenet_irv1.onnx" ] &&
    "$peers/ort/bin/python" "$shared/peers/ort_bench.py" "$peers/ort/facenet_irv1.onnx" 1 16 > "$work/ort_tf2onnx.jsonl"
  "$facenet" -q export --onnx "$work/facenet.onnx" --model facenet
  "$peers/ort/bin/python" "$shared/peers/ort_bench.py" "$work/facenet.onnx" 1 16 > "$work/ort_ours.jsonl"
  "$facenet" -q export --onnx "$work/dlib.onnx" --model dlib
  "$peers/ort/bin/python" "$shared/peers/ort_bench.py" "$work/dlib.onnx" 1 64 > "$work/ort_dlib.jsonl"
fi
: > "$work/dlib_peer.txt"
if [ -x "$peers/dlib/bin/python" ]; then
  "$peers/dlib/bin/python" "$shared/peers/dlib_bench.py" "$(asset obama.jpg)" > "$work/dlib_peer.txt"
fi
echo '{}' > "$work/torch_mtcnn.json"
if [ -x "$peers/torch/bin/python" ]; then
  # each photo twice: the second, warm run is the one kept (the JSON is keyed by file name)
  canvas="$(asset obama.jpg | xargs dirname)/../derived/bench-1920x1080.png"
  "$peers/torch/bin/python" "$shared/peers/mtcnn_ref.py" "${photos[@]}" "$canvas" "${photos[@]}" "$canvas" \
    > "$work/torch_mtcnn.json"
fi
echo "load after: $(uptime)"

python3 - "$work" <<'PY'
import json, os, re, sys
w = sys.argv[1]
load = lambda name: json.load(open(os.path.join(w, name)))
lines = lambda name: [json.loads(l) for l in open(os.path.join(w, name)) if l.strip()]
peak = {p["precision"]: p for p in load("peak.json")}
print(f"peak: f32 {peak['f32']['gflops']:.0f} GFLOP/s ({peak['f32']['isa']})"
      + (f", int8 {peak['int8']['gflops']:.0f} GOP/s" if "int8" in peak else ""))
rows = []
def row(what, ours, peer_name, peer, note=""):
    ratio = f"{ours / peer:5.2f}x" if ours and peer else "  n/a"
    peer_text = f"{peer:8.1f}" if peer else "     n/a"
    rows.append(f"{what:<34} {ours:8.1f} {peer_text}  {ratio}  {peer_name}{note}")
fn = {r["batch"]: r for r in load("facenet.json")}
cv = load("opencv.json")
tf2onnx = {r["batch"]: r["items_per_s"] for r in lines("ort_tf2onnx.jsonl")}
exported = {r["batch"]: r["items_per_s"] for r in lines("ort_ours.jsonl")}
for b in (1, 16):
    pct = f"  (ours {fn[b]['gflops']:.0f} GFLOP/s, {fn[b]['peak_pct']:.0f} % of peak)"
    if b == 1:
        row("FaceNet b1 faces/s", fn[1]["faces_per_s"], "OpenCV dnn", cv.get("faces_per_s"))
    row(f"FaceNet b{b} faces/s", fn[b]["faces_per_s"], "ONNX Runtime (tf2onnx graph)", tf2onnx.get(b), pct)
    row(f"FaceNet b{b} faces/s", fn[b]["faces_per_s"], "ONNX Runtime (our export)", exported.get(b))
dl = {r["batch"]: r for r in load("dlib.json")}
ort_dlib = {r["batch"]: r["items_per_s"] for r in lines("ort_dlib.jsonl")}
peer_dlib = {int(m[0]): float(m[1]) for m in re.findall(r"batch (\d+) faces_per_s ([\d.]+)", open(os.path.join(w, "dlib_peer.txt")).read())}
for b in (1, 64):
    row(f"dlib ResNet b{b} faces/s", dl[b]["faces_per_s"], "ONNX Runtime (our export)", ort_dlib.get(b),
        f"  (ours {dl[b]['gflops']:.0f} GFLOP/s, {dl[b]['peak_pct']:.0f} % of peak)")
    row(f"dlib ResNet b{b} faces/s", dl[b]["faces_per_s"], "dlib 20", peer_dlib.get(b))
torch = load("torch_mtcnn.json")
for r in load("mtcnn.json"):
    name = os.path.basename(r["path"])
    peer_ms = torch.get(name, {}).get("ms")
    # ms: the ratio is peer time / our time, i.e. how many times faster we are
    rows.append(f"MTCNN {name[:22]:<22} ms      {r['ms']:8.1f} " + (f"{peer_ms:8.1f}  {peer_ms / r['ms']:5.2f}x" if peer_ms else "     n/a    n/a")
                + "  facenet-pytorch 2.6" + ("" if peer_ms else " (not installed: setup.sh torch)"))
print(f"{'what':<34} {'ours':>8} {'peer':>8}  ratio  peer")
print("\n".join(rows))
PY
