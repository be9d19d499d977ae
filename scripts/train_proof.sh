#!/usr/bin/env bash
# Proof that triplet training learns (issue 6): a benchmark, not a CI test.
#
# 1. renders a synthetic set (IDS identities × PER photos, 140 px) with `facenet synth`;
# 2. scores the pixel baseline (L2 between 16×16 grey photos) on the HELD held-out identities;
# 3. trains NNS2 (the paper's smallest net, 140×116 input: fast enough for 2 shared cores) with AdaGrad
#    and online semi-hard mining for at most MINUTES minutes (then Ctrl-C: the trainer checkpoints and
#    validates), validating on the held-out identities before the first step (the untrained network)
#    and every 100 steps;
# 4. prints held-out VAL @ FAR 1e-3 and 10-fold accuracy for the pixel baseline, the untrained and the
#    trained network, and the loss curve summarised from metrics.jsonl.
#
# Usage: scripts/train_proof.sh   (env: BIN, WORK, IDS, PER, HELD, MINUTES, ARCH)
set -euo pipefail
BIN=${BIN:-target/release/facenet}
WORK=${WORK:-/tmp/facenet-train-proof}
IDS=${IDS:-400}
PER=${PER:-16}
HELD=${HELD:-60}
MINUTES=${MINUTES:-30}
ARCH=${ARCH:-nns2}

rm -rf "$WORK" && mkdir -p "$WORK"
echo "== synth: $IDS identities × $PER photos"
nice "$BIN" synth --identities "$IDS" --per-identity "$PER" --size 140 --seed 1 --out "$WORK/data"
echo "== pixel baseline on the $HELD held-out identities"
nice "$BIN" --json pixel-baseline --data "$WORK/data" --held-out "$HELD" --validation-photos 10 --size 140 > "$WORK/baseline.json"
echo "== train $ARCH for at most $MINUTES min"
start=$(date +%s)
timeout -s INT -k 120 "${MINUTES}m" nice "$BIN" train --data "$WORK/data" --arch "$ARCH" --out "$WORK/run" \
  --steps 1000000 --held-out "$HELD" --validation-photos 10 --people-per-batch 15 --images-per-person 8 \
  --random-negatives 30 --triplets-per-step 20 --embedding-dim 128 --validate-every 100 --checkpoint-every 100 \
  --seed 1 || true
echo "trained for $(( $(date +%s) - start )) s; load: $(uptime)"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
base = json.load(open(f"{work}/baseline.json"))
lines = [json.loads(l) for l in open(f"{work}/run/metrics.jsonl") if l.strip()]
vals = [l for l in lines if "validation" in l]
steps = [l for l in lines if "loss" in l]
row = lambda name, val, acc: print(f"{name:<22} VAL@FAR1e-3 {val:.3f}   accuracy {acc:.3f}")
print("held-out verification (all pairs, 10 folds):")
row("pixel baseline", base["val_mean"], base["accuracy_mean"])
row("untrained network", vals[0]["validation"]["val"], vals[0]["validation"]["accuracy"])
row(f"trained ({vals[-1]['step']} steps)", vals[-1]["validation"]["val"], vals[-1]["validation"]["accuracy"])
print("validation curve: " + ", ".join(f"{v['step']}:{v['validation']['val']:.3f}" for v in vals))
chunk = max(1, len(steps) // 10)
print("loss curve (mean loss / active fraction / images/s per tenth of the run):")
for i in range(0, len(steps), chunk):
    part = steps[i:i + chunk]
    mean = lambda k: sum(p[k] for p in part) / len(part)
    print(f"  steps {part[0]['step']:>5}-{part[-1]['step']:<5} loss {mean('loss'):.4f}  active {mean('active_triplets'):.2f}  {mean('images_per_s'):.1f} img/s")
PY
