#!/usr/bin/env bash
# `facenet export --onnx` checked by a second runtime: exports the pretrained FaceNet and the dlib ResNet,
# crops chips of the fixture photos (`detect --crop --for-model M`), embeds them with ours (`embed --aligned
# --json`) and with onnxruntime on the exported file, and fails unless every embedding agrees within 1e-4 (L2).
# onnxruntime comes from PyPI into a venv under target/ (made once; not a dependency of the binary).
# Usage: scripts/check_onnx_export.sh   (after `cargo build --release`; fetches the assets on first use)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
facenet="$root/target/release/facenet"
venv="$root/target/onnx-venv"
work="$root/target/onnx-check"
if ! "$venv/bin/python" -c "import onnxruntime, numpy, PIL" 2>/dev/null; then
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/pip" install -q onnxruntime==1.32.0 numpy pillow
fi
rm -rf "$work" && mkdir -p "$work"
"$facenet" -q models fetch > /dev/null
photos=()
for name in obama.jpg obama2.jpg obama3.jpg biden.jpg obama_partial_face.jpg; do
  photos+=("$("$facenet" -q models path "$name")")
done
for model in facenet dlib; do
  "$facenet" -q export --onnx "$work/$model.onnx" --model "$model"
  "$facenet" -q detect "${photos[@]}" --crop "$work/$model-chips" --for-model "$model" > /dev/null
  "$facenet" -q --json embed --aligned "$work/$model-chips" --model "$model" > "$work/$model.json"
  "$venv/bin/python" - "$model" "$work/$model.onnx" "$work/$model.json" <<'PY'
import json, sys
import numpy as np, onnxruntime as ort
from PIL import Image
kind, model, ours = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
chips = np.stack([np.asarray(Image.open(r["path"]).convert("RGB"), dtype=np.float32) for r in ours])
if kind == "facenet":  # standardised crops in, unit embeddings out
    batch, names = ((chips - 127.5) / 128.0).transpose(0, 3, 1, 2), (["embeddings"], "input")
else:  # dlib: raw 0-255 chips in (the graph scales them), raw descriptors out
    batch, names = chips.transpose(0, 3, 1, 2), (["descriptors"], "pixels")
theirs = session.run(names[0], {names[1]: batch})[0]
single = session.run(names[0], {names[1]: batch[:1]})[0]
worst = 0.0
for r, e in zip(ours, theirs):
    d = float(np.linalg.norm(np.asarray(r["embedding"], dtype=np.float32) - e))
    worst = max(worst, d)
    print(f"{kind} {r['path']}: L2 {d:.2e}")
worst = max(worst, float(np.linalg.norm(single[0] - theirs[0])))
print(f"{kind}: {len(ours)} chips, batch {len(ours)} and 1, worst L2 {worst:.2e} (limit 1e-4)")
sys.exit(0 if len(ours) >= 4 and worst <= 1e-4 else 1)
PY
done
