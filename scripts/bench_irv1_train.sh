#!/usr/bin/env bash
# Training speed of Inception-ResNet-v1 (the pretrained FaceNet's network, `facenet train --init facenet`):
# ours (crates/facenet-nn/benches/arch.rs, `training/inception-resnet-v1/batch{32,64}`: forward, triplet
# loss, backward, AdaGrad on random 160×160 inputs) against the PyTorch twin (facenet-pytorch's
# InceptionResnetV1, scripts/bench_irv1_train_torch.py: the same step), 2 threads each, one after the
# other in one run, with the ratio. Needs the torch peer (../shared/peers/setup.sh torch). Timings on a
# shared machine are noisy: run it on an idle machine and read the load lines.
# Usage: scripts/bench_irv1_train.sh [SECONDS per measurement, default 15]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS_HOME:-$HOME/.cache/facenet-peers}
seconds=${1:-15}
work="$root/target/bench-irv1-train"
mkdir -p "$work"
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
cd "$root"
echo "load before: $(uptime)"
cargo bench --workspace --bench arch -- --measurement-time "$seconds" training/inception-resnet-v1 2>&1 \
  | tee "$work/ours.txt" | grep -E "^training|thrpt"
"$peers/torch/bin/python" "$root/scripts/bench_irv1_train_torch.py" --threads 2 --seconds "$seconds" --json > "$work/torch.json"
echo "load after: $(uptime)"
python3 - "$work" <<'PY'
import json, re, sys
w = sys.argv[1]
text = open(f"{w}/ours.txt").read()
ours = {}
# criterion: "training/inception-resnet-v1/batch32 ... thrpt:  [low estimate high]": the estimate
for m in re.finditer(r"inception-resnet-v1/batch(\d+).*?thrpt:\s+\[\s*([\d.]+) (K?)elem/s\s+([\d.]+) (K?)elem/s", text, re.S):
    ours[int(m.group(1))] = float(m.group(4)) * (1000 if m.group(5) else 1)
torch = {r["batch"]: r["train_img_per_s"] for r in json.load(open(f"{w}/torch.json"))}
print(f"{'Inception-ResNet-v1 training':<34} {'ours':>8} {'PyTorch':>8}  ratio")
for b in (32, 64):
    o, t = ours.get(b), torch.get(b)
    ratio = f"{o / t:5.2f}x" if o and t else "  n/a"
    print(f"{'batch ' + str(b) + ' img/s':<34} {o or float('nan'):8.2f} {t or float('nan'):8.2f}  {ratio}")
PY
