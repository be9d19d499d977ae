"""faiss-cpu IndexFlatIP on the vectors the gallery benchmark wrote, for a side-by-side figure.

Usage (after `cargo bench -p facenet-gallery --bench gallery`, which writes DIR/base.npy,
DIR/queries.npy and DIR/rust_top1.npy):

    python3 -m venv ~/.cache/facenet-peers/faiss
    ~/.cache/facenet-peers/faiss/bin/pip install faiss-cpu numpy
    ~/.cache/facenet-peers/faiss/bin/python scripts/bench_faiss.py /tmp/facenet-bench [THREADS]

Reports, like the Rust bench: one query at a time (p50/p99 latency, queries/s), all queries as one
batch (best of 3 runs, queries/s and queries per CPU second of all threads), and how often faiss's top-1 equals the Rust exact f32 top-1. On unit vectors the
inner product ranks exactly as squared L2 (‖q − x‖² = 2 − 2 q·x).
"""

import os
import sys
import time

import numpy as np
import faiss

K = 10
BATCH_ROUNDS = 3


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/facenet-bench"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    faiss.omp_set_num_threads(threads)
    base = np.load(os.path.join(folder, "base.npy"))
    queries = np.load(os.path.join(folder, "queries.npy"))
    rust_top1 = np.load(os.path.join(folder, "rust_top1.npy"))
    print(f"faiss {faiss.__version__} IndexFlatIP: {base.shape[0]} x {base.shape[1]}, {threads} threads, "
          f"{len(queries)} queries, k={K}")
    t = time.perf_counter()
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    print(f"add: {time.perf_counter() - t:.2f} s")

    latencies, top1 = [], []
    t = time.perf_counter()
    for q in queries:
        start = time.perf_counter()
        _, ids = index.search(q[None, :], K)
        latencies.append(time.perf_counter() - start)
        top1.append(ids[0, 0])
    single_qps = len(queries) / (time.perf_counter() - t)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(BATCH_ROUNDS):
        t, cpu = time.perf_counter(), time.process_time()
        index.search(queries, K)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    batch_qps = len(queries) / best
    batch_cpu_qps = len(queries) / best_cpu
    lat = np.sort(np.array(latencies)) * 1e3
    p50 = lat[int(len(lat) * 0.5)]
    p99 = lat[min(int(len(lat) * 0.99), len(lat) - 1)]
    agree = float(np.mean(np.array(top1) == rust_top1))
    print(f"{'faiss IndexFlatIP':<34} p50 {p50:8.3f} ms p99 {p99:8.3f} ms  single {single_qps:8.0f} q/s  "
          f"batch {batch_qps:8.0f} q/s ({batch_cpu_qps:6.0f} q/cpu-s)  top-1 equal to Rust exact f32: {agree:.4f}")


if __name__ == "__main__":
    main()
