#!/usr/bin/env bash
# The GPU's figures, in one short run (GPU time is scarce: everything is prepared and tried on lavapipe,
# the software Vulkan device, first). Builds the CLI with `--features gpu` (or takes BIN), prints the
# adapter, then measures on `--device gpu`:
#   1. training img/s (`facenet bench train`: forward, triplet loss, backward, AdaGrad) of NN2 and of
#      Inception-ResNet-v1 at batch 64 and at the largest batch that runs (doubling from 128, each size in a
#      process of its own, until one fails or passes MAX_BATCH);
#   2. inference img/s of Inception-ResNet-v1, the pretrained FaceNet's network (`facenet bench train
#      --forward-only`: random weights, so no model file is needed), at batch 1 and 256;
#   3. the training proof (scripts/train_proof.sh, NNS2 on synthetic identities) for PROOF_MINUTES on the
#      GPU: its held-out VAL, to set beside the CPU's 20-minute figure;
# and prints GFLOP/s from the multiply-adds per image (training: 3× the forward's) against PEAK_TFLOPS, the
# card's f32 peak (default by adapter name: H100 / H200 SXM 67 TFLOP/s; the rate is a share of the FP32 FMA
# peak, since every network runs in f32).
#
# Usage: scripts/gpu_bench.sh   (env: BIN, SECONDS_EACH=8, TRAIN_BATCH=64, MAX_BATCH=1024, INFER_BATCHES="1 256",
#        PROOF_MINUTES=5, IDS=4000, PEAK_TFLOPS, VULKAN_DEBS=DIR of .deb packages with the Vulkan loader to
#        unpack when it is missing). On lavapipe, as a check of the script (minutes, not hours):
#        TRAIN_BATCH=6 MAX_BATCH=12 INFER_BATCHES="1 4" SECONDS_EACH=1 PROOF_MINUTES=1 IDS=100 HELD=20 scripts/gpu_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-8}
TRAIN_BATCH=${TRAIN_BATCH:-64}
MAX_BATCH=${MAX_BATCH:-1024}
INFER_BATCHES=${INFER_BATCHES:-"1 256"}
PROOF_MINUTES=${PROOF_MINUTES:-5}
IDS=${IDS:-4000}
out=${OUT_DIR:-target/gpu-bench}
mkdir -p "$out"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

if ! ldconfig -p 2>/dev/null | grep -q libvulkan && [ -n "${VULKAN_DEBS:-}" ]; then
  for f in "$VULKAN_DEBS"/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p facenet-cli --features facenet-cli/gpu
  BIN=target/release/facenet
fi
"$BIN" bench train --device gpu --arch nns2 --batch 3 --seconds 0.01 >"$out/adapter.txt"
adapter=$(head -1 "$out/adapter.txt")
echo "$adapter"
case "${PEAK_TFLOPS:-}:$adapter" in
  :*H200* | :*H100*) PEAK_TFLOPS=67 ;;
  :*) PEAK_TFLOPS=nan ;;
esac
echo "f32 peak taken: $PEAK_TFLOPS TFLOP/s"

train() { # ARCH BATCH → one JSON row in $out/train-ARCH-BATCH.json, or a failure
  "$BIN" --json bench train --device gpu --arch "$1" --batch "$2" --seconds "$SECONDS_EACH" \
    >"$out/train-$1-$2.json" 2>"$out/train-$1-$2.err"
}
for arch in nn2 inception-resnet-v1; do
  train "$arch" "$TRAIN_BATCH" || { echo "$arch batch $TRAIN_BATCH failed:"; tail -3 "$out/train-$arch-$TRAIN_BATCH.err"; }
  batch=$((TRAIN_BATCH * 2))
  while [ "$batch" -le "$MAX_BATCH" ] && train "$arch" "$batch"; do batch=$((batch * 2)); done
  rm -f "$out/train-$arch-$batch.json"
done

"$BIN" --json bench train --device gpu --forward-only --arch inception-resnet-v1 \
  $(printf -- '--batch %s ' $INFER_BATCHES) --seconds "$SECONDS_EACH" >"$out/inference.json"

if [ "$PROOF_MINUTES" != 0 ]; then
  DEVICE=gpu BIN="$BIN" MINUTES="$PROOF_MINUTES" IDS="$IDS" WORK="$PWD/$out/proof" scripts/train_proof.sh \
    >"$out/proof.txt" 2>&1 || true
  grep -E "^(trained for|pixel baseline|untrained network|trained \()" "$out/proof.txt"
fi

python3 - "$out" "$PEAK_TFLOPS" <<'PY'
import glob, json, math, sys
out, peak = sys.argv[1], float(sys.argv[2])
# multiply-adds of one image's forward pass: NN2 (paper Table 2), Inception-ResNet-v1 at 160×160
# (`facenet model summary --arch inception-resnet-v1`)
forward = {"nn2": 1.6e9, "inception-resnet-v1": 1.418e9}
def rate(flops):
    share = f"{100 * flops / (peak * 1e12):5.2f} %" if not math.isnan(peak) else "  n/a"
    return f"{flops / 1e9:9.1f} GFLOP/s  {share} of peak"
print(f"{'what':<44} {'per s':>10}")
rows = [r for path in sorted(glob.glob(f"{out}/train-*.json")) for r in json.load(open(path))]
rows += json.load(open(f"{out}/inference.json"))
for row in rows:
    arch, train = row["arch"], row["pass"] == "train"
    flops = row["images_per_s"] * (3 if train else 1) * 2 * forward.get(arch, float("nan"))
    what = f"{'train' if train else 'inference'} {arch} batch {row['batch']}"
    print(f"{what:<44} {row['images_per_s']:8.1f} img/s  {rate(flops)}")
PY
