#!/usr/bin/env python3
"""PyTorch twin of facenet's NN4 benchmark (crates/facenet-nn/benches/arch.rs), on CPU with the same threads.

The network is facenet's NN4 layer for layer (`facenet model summary --arch nn4`, ArchOptions defaults):
conv (no bias) + BatchNorm + ReLU, "same" padding, LRN(5, 1e-4, 0.75, 1), L2 pooling
sqrt(sum_window x^2 + 1e-6), Inception modules 2, 3a-3c, 4a-4e, 5a/5b (no 5x5 in 5a/5b), global average
pool, fc 896->128, L2 normalisation. Training step: batch 64, 21 triplets (rows 0-20 anchors, 21-41
positives, 42-62 negatives), mean triplet loss with margin 0.2, Adagrad lr 0.05.

    ~/.cache/facenet-peers/torch/bin/python scripts/bench_nn4_torch.py [--threads 2] [--seconds 15] [--json]

Prints img/s for training at batch 64 and inference at batch 1 and 32 (eval mode, no grad).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvUnit(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class L2Pool(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        s = F.avg_pool2d(x * x, 3, self.stride, 1, count_include_pad=True)
        return torch.sqrt(s * 9 + 1e-6)


class Inception(nn.Module):
    # (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool kind 'm'|'l2'|None, proj or None, stride)
    def __init__(self, cin, n1, r3, n3, r5, n5, pool, proj, stride):
        super().__init__()
        self.b1 = ConvUnit(cin, n1, 1) if n1 else None
        self.b3 = nn.Sequential(ConvUnit(cin, r3, 1), ConvUnit(r3, n3, 3, stride)) if n3 else None
        self.b5 = nn.Sequential(ConvUnit(cin, r5, 1), ConvUnit(r5, n5, 5, stride)) if n5 else None
        if pool is None:
            self.pool = None
        else:
            p = nn.MaxPool2d(3, stride, 1) if pool == "m" else L2Pool(stride)
            self.pool = nn.Sequential(p, ConvUnit(cin, proj, 1)) if proj else p
        self.out = n1 + n3 + n5 + ((proj or cin) if pool else 0)

    def forward(self, x):
        outs = [b(x) for b in (self.b1, self.b3, self.b5, self.pool) if b is not None]
        return outs[0] if len(outs) == 1 else torch.cat(outs, 1)


def nn4(embedding_dim=128):
    rows = [  # Table 2 of the paper; NN4 drops the 5x5 branches of 5a/5b
        (0, 64, 192, 0, 0, None, None, 1),  # inception (2)
        "norm", "pool",
        (64, 96, 128, 16, 32, "m", 32, 1),
        (64, 96, 128, 32, 64, "l2", 64, 1),
        (0, 128, 256, 32, 64, "m", None, 2),
        (256, 96, 192, 32, 64, "l2", 128, 1),
        (224, 112, 224, 32, 64, "l2", 128, 1),
        (192, 128, 256, 32, 64, "l2", 128, 1),
        (160, 144, 288, 32, 64, "l2", 128, 1),
        (0, 160, 256, 64, 128, "m", None, 2),
        (384, 192, 384, 0, 0, "l2", 128, 1),
        (384, 192, 384, 0, 0, "m", 128, 1),
    ]
    layers = [ConvUnit(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0)]
    c = 64
    for r in rows:
        if r == "norm":
            layers.append(nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0))
        elif r == "pool":
            layers.append(nn.MaxPool2d(3, 2, 1))
        else:
            m = Inception(c, *r)
            layers.append(m)
            c = m.out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, embedding_dim)]
    return nn.Sequential(*layers)


def embed(model, x):
    y = model(x)
    return y / torch.sqrt((y * y).sum(1, keepdim=True) + 1e-12)


def rate(step, images, seconds):
    step()  # warm-up
    step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n * images / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = nn4()
    params = sum(p.numel() for p in model.parameters() if p.dim() >= 2)

    opt = torch.optim.Adagrad(model.parameters(), lr=0.05)
    x = torch.randn(64, 3, 96, 96)
    t = 21

    def train_step():
        model.train()
        y = embed(model, x)
        a, p, n = y[:t], y[t:2 * t], y[2 * t:3 * t]
        loss = F.relu(((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + 0.2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    results = {"torch": torch.__version__, "threads": args.threads, "weights": params}
    results["train_batch64_img_s"] = rate(train_step, 64, args.seconds)
    model.eval()
    for batch in (1, 32):
        xb = torch.randn(batch, 3, 96, 96)

        def infer():
            with torch.no_grad():
                embed(model, xb)

        results[f"infer_batch{batch}_img_s"] = rate(infer, batch, args.seconds / 2)
    if args.json:
        print(json.dumps(results))
    else:
        for k, v in results.items():
            print(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
