#!/usr/bin/env bash
# Proof of harmonic embeddings (issue 21, FaceNet Sec. 6): a benchmark, not a CI test.
#
# 1. renders a synthetic set (IDS identities × PER photos, SIZE px) with `facenet synth`;
# 2. scores the pixel baseline (L2 between 16×16 grey photos) on the HELD held-out identities;
# 3. trains the OLD model: NNS2 at INPUT (70×58), seed 1, for OLD_MINUTES minutes (then Ctrl-C: the
#    trainer checkpoints), with the recipe of scripts/train_proof.sh;
# 4. trains two NEW models for NEW_MINUTES minutes each, the same recipe with seed 2: one with
#    `--harmonic-with OLD` (triplets mix the frozen old model's embeddings, see
#    crates/facenet-core/src/harmonic.rs for the rule) and one without;
# 5. prints, with `facenet compat`, held-out VAL @ FAR 1e-3 of old-vs-old, new-vs-new and
#    old-gallery-vs-new-probe (cross: every ordered pair of two held-out photos, the first embedded by the
#    old model, the second by the new) for both new models, beside the pixel baseline.
# Target (issue 21): the harmonic model's cross VAL ≥ 0.9 × the lower of the two models' own VALs, while
# the plain new model's cross VAL stays near the pixel baseline (two independently trained networks do
# not share an embedding space).
#
# Measured 2026-12-02 10:27–10:57 UTC (this script with its defaults, OLD_MINUTES=NEW_MINUTES=9: 2000
# identities × 10 photos at 72 px, held-out 60 identities × 10 photos; 2 cores shared with two other
# helpers' builds and runs, load average 9–14, so ~1,800–1,950 steps in 9 min where train_proof.sh gets
# ~5,000 on an idle machine). Pixel baseline VAL 0.010. Old model (NNS2, seed 1, 1,761 steps): VAL 0.607.
# | new model (NNS2 70×58, seed 2, 9 min) | steps | old vs old | new vs new | old gallery vs new probe | 0.9 × min | cross AUC |
# |---|---|---|---|---|---|---|
# | `--harmonic-with old` | 1,946 | 0.607 | 0.656 | **0.539** (0.89 × min) | 0.547 | 0.997 |
# | plain (no `--harmonic-with`) | 1,775 | 0.607 | 0.617 | **0.006** (pixel baseline 0.010) | 0.547 | 0.512 |
# The plain model's cross comparisons are at chance (AUC 0.51): independently trained networks share no
# embedding space. The harmonic model's cross VAL is 0.89 × the old model's own, just under the issue's
# 0.9 (missed by 0.008 at 9 minutes on a loaded machine); its own VAL is not hurt (0.656 vs 0.617 plain,
# the old model's embeddings act as a teacher). The same harmonic run resumed for 3 more
# minutes (`train --resume`, 10:57–11:00, to 2,902 steps; 12 min in all, the old model still at 9):
# new vs new 0.753, old gallery vs new probe **0.598** = 0.985 × the lower own VAL (0.607): the target
# is met once the new model has trained a little longer than the old one; cross VAL was still rising.
#
# Measured again 2026-12-02 11:52–12:17 UTC on the otherwise idle machine, OLD_MINUTES=NEW_MINUTES=8 (the old
# model's first 4 minutes shared with a test run, hence its fewer steps): pixel baseline 0.010; old model
# 3,311 steps, VAL 0.685.
# | new model (seed 2), 8 min | steps | old vs old | new vs new | old gallery vs new probe | 0.9 × lower own | cross AUC |
# |---|---|---|---|---|---|---|
# | harmonic | 5,636 | 0.685 | 0.872 | **0.718** (1.05 × 0.685) | 0.616 | 0.999 |
# | plain | 5,159 | 0.685 | 0.851 | **0.000** | 0.616 | 0.469 |
# At equal training time the target is met: cross VAL above the old model's own.
#
# Usage: scripts/harmonic_proof.sh   (env: BIN, WORK, IDS, PER, HELD, OLD_MINUTES, NEW_MINUTES, SIZE, INPUT, LR_SCHEDULE, AVERAGE)
set -euo pipefail
BIN=${BIN:-target/release/facenet}
WORK=${WORK:-/tmp/facenet-harmonic-proof}
IDS=${IDS:-2000}
PER=${PER:-10}
HELD=${HELD:-60}
OLD_MINUTES=${OLD_MINUTES:-9}
NEW_MINUTES=${NEW_MINUTES:-9}
SIZE=${SIZE:-72}
INPUT=${INPUT:-70x58}
LR_SCHEDULE=${LR_SCHEDULE:-"0:0.05 2400:0.02 4800:0.01"}
AVERAGE=${AVERAGE:-0.9999}

rm -rf "$WORK" && mkdir -p "$WORK"
echo "== synth: $IDS identities × $PER photos; load: $(uptime)"
nice "$BIN" synth --identities "$IDS" --per-identity "$PER" --size "$SIZE" --seed 1 --out "$WORK/data"
echo "== pixel baseline on the $HELD held-out identities"
nice "$BIN" --json pixel-baseline --data "$WORK/data" --held-out "$HELD" --validation-photos 10 --size "$SIZE" > "$WORK/baseline.json"
printf '%s\n' $LR_SCHEDULE > "$WORK/lr-schedule.txt"

# train NAME MINUTES SEED [extra args]: the train_proof.sh recipe, stopped by Ctrl-C after MINUTES.
train() {
  local name=$1 minutes=$2 seed=$3
  shift 3
  echo "== train $name: nns2 at $INPUT, seed $seed, at most $minutes min $*"
  local start
  start=$(date +%s)
  timeout -s INT -k 120 "${minutes}m" nice "$BIN" train --data "$WORK/data" --arch nns2 --input-size "$INPUT" \
    --out "$WORK/$name" --steps 1000000 --held-out "$HELD" --validation-photos 10 --people-per-batch 30 \
    --images-per-person 6 --random-negatives 30 --triplets-per-step 60 --max-steps-per-batch 5 \
    --augment-jitter 0.05 --lr-schedule "$WORK/lr-schedule.txt" --moving-average-decay "$AVERAGE" --embedding-dim 128 \
    --validate-every 500 --checkpoint-every 100 --seed "$seed" "$@" > "$WORK/$name.log" 2>&1 || true
  echo "$name: trained for $(( $(date +%s) - start )) s, $(grep -c '"loss"' "$WORK/$name/metrics.jsonl") steps; load: $(uptime)"
}
train old "$OLD_MINUTES" 1
train harmonic "$NEW_MINUTES" 2 --harmonic-with "$WORK/old"
train plain "$NEW_MINUTES" 2

for name in harmonic plain; do
  nice "$BIN" --json compat --old "$WORK/old" --new "$WORK/$name" --data "$WORK/data" --held-out "$HELD" \
    --validation-photos 10 > "$WORK/compat-$name.json"
done
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
base = json.load(open(f"{work}/baseline.json"))
steps = lambda name: sum(1 for l in open(f"{work}/{name}/metrics.jsonl") if '"loss"' in l)
print(f"held-out VAL @ FAR 1e-3 (pixel baseline {base['val_mean']:.3f}; old model: {steps('old')} steps)")
print("| new model | steps | old vs old | new vs new | old gallery vs new probe | target 0.9 × min | AUC cross |")
print("|---|---|---|---|---|---|---|")
for name in ["harmonic", "plain"]:
    r = json.load(open(f"{work}/compat-{name}.json"))
    floor = 0.9 * min(r["old"]["val"], r["new"]["val"])
    print(f"| {name} | {steps(name)} | {r['old']['val']:.3f} | {r['new']['val']:.3f} | **{r['cross']['val']:.3f}** | {floor:.3f} | {r['cross']['auc']:.3f} |")
PY
