#!/usr/bin/env python3
"""PyTorch twin of facenet's Inception-ResNet-v1 training benchmark (crates/facenet-nn/benches/arch.rs,
`training/inception-resnet-v1/batch{32,64}`), on CPU with the same threads.

The network is facenet-pytorch's `InceptionResnetV1` (the same architecture as davidsandberg's
20180408-102900 and facenet's `Arch::InceptionResnetV1`: 160x160 -> 512-D, conv + BatchNorm(eps 0.001) + ReLU,
residual blocks scaled 0.17 / 0.10 / 0.20, bottleneck fc + BatchNorm, L2 normalisation), random weights,
dropout off (ours has none). Training step at batch B: B // 3 triplets (rows 0..t-1 anchors, t..2t-1
positives, 2t..3t-1 negatives; the other rows go through the network too), mean triplet loss with margin
0.2, Adagrad lr 0.05.

    ~/.cache/facenet-peers/torch/bin/python scripts/bench_irv1_train_torch.py [--threads 2] [--seconds 15] [--json]

Prints training img/s at batch 32 and 64 (the median of the timed steps after one warm-up step).
"""
import argparse
import json
import statistics
import time

import torch
from facenet_pytorch import InceptionResnetV1


def triplet_loss(y, t, margin=0.2):
    a, p, n = y[:t], y[t:2 * t], y[2 * t:3 * t]
    d_ap = (a - p).pow(2).sum(1)
    d_an = (a - n).pow(2).sum(1)
    return torch.clamp(d_ap - d_an + margin, min=0).mean()


def train_rate(batch, seconds):
    model = InceptionResnetV1(classify=False, dropout_prob=0.0).train()
    optim = torch.optim.Adagrad(model.parameters(), lr=0.05)
    x = torch.randn(batch, 3, 160, 160)
    t = batch // 3

    def step():
        optim.zero_grad(set_to_none=True)
        loss = triplet_loss(model(x), t)
        loss.backward()
        optim.step()

    step()  # warm-up
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times), len(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for batch in (32, 64):
        rate, steps = train_rate(batch, args.seconds)
        rows.append({"batch": batch, "train_img_per_s": rate, "steps": steps, "torch": torch.__version__})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"PyTorch {r['torch']} InceptionResnetV1 training, batch {r['batch']}: {r['train_img_per_s']:.2f} img/s ({r['steps']} steps)")


if __name__ == "__main__":
    main()
