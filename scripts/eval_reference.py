#!/usr/bin/env python3
"""Reference figures for facenet-core's verification metrics, computed independently with numpy,
scikit-learn and scipy (brute force over every candidate threshold; no sorting sweep).

Writes, into crates/facenet-core/tests/fixtures/metrics/ (or the folder given as the first argument):
  <set>.csv        fold,distance,same   (the synthetic score set, generated deterministically here)
  expected.json    per set: target_far, accuracy_mean/se/std, per-fold thresholds and accuracies,
                   per-fold VAL thresholds, VAL and FAR, val_mean/val_std/far_mean, auc, eer, eer_threshold

Definitions (the same as crates/facenet-core/src/metrics/mod.rs documents):
  - accept a pair when distance <= threshold; a rate over an empty class is 0;
  - accuracy threshold: the first best of [accept nothing] + [accept <= each distinct training distance],
    reported as the midpoint to the next distinct distance (the largest distance itself for the last,
    nextafter(smallest, -inf) for "accept nothing");
  - VAL threshold: np.interp(target_far, [0, 1/n, ..., n/n], [delta_0, sorted negatives...]) with delta_0
    the largest training distance below the smallest negative (that negative when there is none);
  - accuracy_se = std(ddof=1)/sqrt(k), accuracy_std = std(ddof=0), val_std = std(ddof=0);
  - auc = sklearn roc_auc_score(same, -distance);
  - eer = root of 1 - x - tpr(x) on sklearn's roc_curve (scipy brentq), eer_threshold interpolated on
    the crossing segment.

Run: python3 -m venv ~/.cache/facenet-peers/sk && ~/.cache/facenet-peers/sk/bin/pip install numpy scikit-learn
     ~/.cache/facenet-peers/sk/bin/python scripts/eval_reference.py
"""
import json
import os
import sys

import numpy as np
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_auc_score, roc_curve

TARGET_FAR = 1e-3


def lfw_like(rng, folds, per_class, same_mu, same_sd, diff_mu, diff_sd, decimals):
    """Each fold: per_class same then per_class different pairs (LFW's layout), distances rounded."""
    rows = []
    for fold in range(1, folds + 1):
        same = np.round(np.clip(rng.normal(same_mu, same_sd, per_class), 0, 4), decimals)
        diff = np.round(np.clip(rng.normal(diff_mu, diff_sd, per_class), 0, 4), decimals)
        rows += [(fold, float(d), True) for d in same] + [(fold, float(d), False) for d in diff]
    return rows


def score_sets():
    rng = np.random.default_rng(20150312)
    sets = {}
    # Overlapping classes, 3 decimals: many ties across and within classes.
    sets["gaussian"] = (lfw_like(rng, 10, 30, 0.8, 0.25, 1.5, 0.3, 3), 0.05)
    # Heavy ties: only 6 distinct distances.
    ties = [(f, float(rng.choice([0.5, 1.0, 1.0, 1.5])), True) for f in range(1, 6) for _ in range(20)]
    ties += [(f, float(rng.choice([1.0, 1.5, 1.5, 2.0, 2.5, 3.0])), False) for f in range(1, 6) for _ in range(20)]
    sets["ties"] = (sorted(ties, key=lambda r: r[0]), 0.1)
    # Perfect separation.
    sets["perfect"] = (lfw_like(rng, 5, 10, 0.4, 0.05, 1.6, 0.05, 6), TARGET_FAR)
    # Fold 3 holds only same pairs, fold 7 only different pairs.
    rows = lfw_like(rng, 10, 15, 0.9, 0.3, 1.4, 0.3, 4)
    rows = [(f, d, True if f == 3 else (False if f == 7 else s)) for f, d, s in rows]
    sets["all_same_fold"] = (rows, 0.02)
    # Enough pairs for VAL @ FAR 1e-3 to interpolate between negatives (n_train_diff = 1350).
    sets["far_1e-3"] = (lfw_like(rng, 10, 150, 0.7, 0.3, 1.7, 0.35, 8), TARGET_FAR)
    return sets


def rate(num, den):
    return float(num) / float(den) if den > 0 else 0.0


def accuracy_threshold(d, s):
    values = np.unique(d)
    accepted = d[None, :] <= values[:, None]  # [candidates, pairs]
    accuracy = np.concatenate([[np.mean(~s)], np.mean(accepted == s[None, :], axis=1)])
    best = int(np.argmax(accuracy))  # first best
    if best == 0:
        return float(np.nextafter(values[0], -np.inf))
    i = best - 1
    if i + 1 == len(values):
        return float(values[i])
    mid = values[i] + (values[i + 1] - values[i]) / 2.0
    return float(mid if mid < values[i + 1] else values[i])


def far_threshold(d, s, target):
    negatives = np.sort(d[~s])
    n = len(negatives)
    if n == 0:
        return float(np.max(d))
    knots_far = np.arange(n + 1) / n
    below = d[d < negatives[0]]
    delta_0 = np.max(below) if len(below) else negatives[0]
    knots_threshold = np.concatenate([[delta_0], negatives])
    return float(np.interp(target, knots_far, knots_threshold))


def val_far(d, s, threshold):
    accepted = d <= threshold
    return rate(np.sum(accepted & s), np.sum(s)), rate(np.sum(accepted & ~s), np.sum(~s)), float(np.mean(accepted == s))


def eer(d, s):
    fpr, tpr, thresholds = roc_curve(s, -d, drop_intermediate=False)
    distance_thresholds = -thresholds
    distance_thresholds[0] = np.nextafter(np.min(d), -np.inf)
    rate_ = brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0, xtol=1e-14)
    g = 1.0 - tpr - fpr
    i = int(np.nonzero((g[:-1] > 0) & (g[1:] <= 0))[0][0])
    t = g[i] / (g[i] - g[i + 1])
    return float(rate_), float(distance_thresholds[i] + t * (distance_thresholds[i + 1] - distance_thresholds[i]))


def reference(rows, target):
    fold = np.array([r[0] for r in rows])
    d = np.array([r[1] for r in rows], dtype=np.float64)
    s = np.array([r[2] for r in rows], dtype=bool)
    out = {"target_far": target, "folds": []}
    for f in np.unique(fold):
        train, test = fold != f, fold == f
        threshold = accuracy_threshold(d[train], s[train])
        val_threshold = far_threshold(d[train], s[train], target)
        val, far, _ = val_far(d[test], s[test], val_threshold)
        out["folds"].append({
            "fold": int(f),
            "threshold": threshold,
            "accuracy": val_far(d[test], s[test], threshold)[2],
            "val_threshold": val_threshold,
            "val": val,
            "far": far,
        })
    acc = np.array([f["accuracy"] for f in out["folds"]])
    vals = np.array([f["val"] for f in out["folds"]])
    out.update({
        "accuracy_mean": float(np.mean(acc)),
        "accuracy_se": float(np.std(acc, ddof=1) / np.sqrt(len(acc))),
        "accuracy_std": float(np.std(acc)),
        "val_mean": float(np.mean(vals)),
        "val_std": float(np.std(vals)),
        "far_mean": float(np.mean([f["far"] for f in out["folds"]])),
        "auc": float(roc_auc_score(s, -d)),
    })
    out["eer"], out["eer_threshold"] = eer(d, s)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "crates", "facenet-core", "tests", "fixtures", "metrics")
    os.makedirs(out_dir, exist_ok=True)
    expected = {}
    for name, (rows, target) in score_sets().items():
        with open(os.path.join(out_dir, f"{name}.csv"), "w") as f:
            f.write("fold,distance,same\n")
            for fold, d, s in rows:
                f.write(f"{fold},{d!r},{int(s)}\n")
        expected[name] = reference(rows, target)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    for name, e in expected.items():
        print(f"{name:14} acc {e['accuracy_mean']:.4f} ± {e['accuracy_se']:.4f}  VAL {e['val_mean']:.4f} @ FAR {e['far_mean']:.4f}  AUC {e['auc']:.4f}  EER {e['eer']:.4f}")


if __name__ == "__main__":
    main()
