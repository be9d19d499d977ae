"""The held-out verification table of a training proof (scripts/train_proof.sh, scripts/finetune_proof.sh):
the pixel baseline (WORK/baseline.json), the network before its first step and after its last
(WORK/run/metrics.jsonl), the validation curve and the loss curve per tenth of the run.

Usage: python3 scripts/proof_summary.py WORK "BEFORE LABEL" "AFTER LABEL"
"""
import json
import math
import sys

work, before, after = sys.argv[1:4]
base = json.load(open(f"{work}/baseline.json"))
lines = [json.loads(l) for l in open(f"{work}/run/metrics.jsonl") if l.strip()]
vals = [l for l in lines if "validation" in l]
steps = [l for l in lines if "loss" in l]


def num(x):
    return f"{x:.3f}" if isinstance(x, (int, float)) and math.isfinite(x) else "n/a"


def row(name, v):
    print(f"{name:<24} VAL@FAR1e-3 {num(v['val'])}   accuracy {num(v['accuracy'])}   "
          f"balanced accuracy {num(v.get('balanced_accuracy'))}   AUC {num(v['auc'])}")


print("held-out verification (all pairs, 10 folds):")
row("pixel baseline", {"val": base["val_mean"], "accuracy": base["accuracy_mean"],
                       "balanced_accuracy": base["balanced_accuracy"], "auc": base["auc"]})
row(before, vals[0]["validation"])
row(f"{after} ({vals[-1]['step']} steps)", vals[-1]["validation"])
print("validation curve (step:VAL): " + ", ".join(f"{v['step']}:{v['validation']['val']:.3f}" for v in vals))
chunk = max(1, len(steps) // 10)
print("loss curve (mean loss / active fraction / images/s per tenth of the run):")
for i in range(0, len(steps), chunk):
    part = steps[i:i + chunk]
    mean = lambda k: sum(p[k] for p in part) / len(part)
    print(f"  steps {part[0]['step']:>5}-{part[-1]['step']:<5} loss {mean('loss'):.4f}  "
          f"active {mean('active_triplets'):.2f}  {mean('images_per_s'):.1f} img/s")
