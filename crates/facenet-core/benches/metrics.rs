//! The verification metrics on millions of pairs: `evaluate` (one sort, 10-fold accuracy and VAL @ FAR,
//! ROC, AUC, EER) and `roc` alone, on 1M and 10M synthetic pairs.
//!
//! `cargo bench -p facenet-core --bench metrics`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use facenet_core::metrics::{Folds, PAPER_TARGET_FAR, evaluate, roc};
use std::hint::black_box;

/// `n` pairs, half same: same distances spread over 0…2, different over 0.8…4, many ties (3 decimals).
fn pairs(n: usize) -> (Vec<f64>, Vec<bool>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let same: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    let distances = same
        .iter()
        .map(|&s| ((if s { 2.0 * uniform() } else { 0.8 + 3.2 * uniform() }) * 1000.0).round() / 1000.0)
        .collect();
    (distances, same)
}

fn metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    group.sample_size(10);
    for n in [1_000_000, 10_000_000] {
        let (distances, same) = pairs(n);
        let folds = Folds::contiguous(n, 10).expect("n ≥ 10 pairs should split into 10 folds");
        group.bench_with_input(BenchmarkId::new("evaluate_10_folds", n), &n, |b, _| {
            b.iter(|| evaluate(black_box(&distances), black_box(&same), &folds, PAPER_TARGET_FAR).expect("valid pairs"))
        });
        group.bench_with_input(BenchmarkId::new("roc_auc_eer", n), &n, |b, _| {
            b.iter(|| {
                let curve = roc(black_box(&distances), black_box(&same)).expect("valid pairs");
                (curve.auc(), curve.eer())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
