//! Throughput of an [`Embedder`]: chips per second at a given batch size and thread count, the figure
//! `facenet bench embed` reports next to dlib's (`shared/peers/dlib_bench.py`, which times
//! `compute_face_descriptor` on one chip repeated to batches of 1 and 64).

use facenet_nn::{Error, Result};
use facenet_vision::{AlignedFace, Embedder};
use serde::Serialize;
use std::time::Instant;

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub batch: usize,
    pub threads: usize,
    /// Timed calls of `embed` (after one untimed warm-up call).
    pub calls: usize,
    pub seconds: f64,
    pub chips_per_s: f64,
}

/// Times `embedder.embed` on `batch` copies of `chip` on a pool of `threads` threads: one warm-up call,
/// then calls until `min_seconds` have passed (at least `min_calls`).
pub fn embed_throughput(
    embedder: &dyn Embedder,
    chip: &AlignedFace,
    batch: usize,
    threads: usize,
    min_seconds: f64,
    min_calls: usize,
) -> Result<Throughput> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Unavailable(format!("cannot start {threads} threads: {e}")))?;
    let chips = vec![chip.clone(); batch];
    pool.install(|| {
        embedder.embed(&chips)?;
        let start = Instant::now();
        let mut calls = 0;
        while calls < min_calls.max(1) || start.elapsed().as_secs_f64() < min_seconds {
            embedder.embed(&chips)?;
            calls += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(Throughput {
            batch,
            threads,
            calls,
            seconds,
            chips_per_s: (calls * batch) as f64 / seconds,
        })
    })
}
