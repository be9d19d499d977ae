//! Throughput of an [`Embedder`]: chips per second at a given batch size and thread count, the figure
//! `facenet bench embed` reports next to dlib's (`shared/peers/dlib_bench.py`, which times
//! `compute_face_descriptor` on one chip repeated to batches of 1 and 64); and throughput of the whole
//! photo pipeline (decode → detect → align → embed, one photo at a time), the single-process figure
//! `facenet serve`'s recognize endpoint is compared with (`facenet bench pipeline`,
//! `scripts/load_bench.sh`).

use facenet_nn::{Error, Result};
use facenet_vision::{AlignedFace, Embedder, FacePipeline, load_rgb_from_memory};
use serde::Serialize;
use std::path::Path;
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

/// Whole-photo throughput: photos (and faces) per second from encoded bytes to embeddings.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoThroughput {
    pub threads: usize,
    /// Photos processed in the timed runs (after one untimed warm-up pass over every photo).
    pub photos: usize,
    pub faces: usize,
    pub seconds: f64,
    pub photos_per_s: f64,
    pub faces_per_s: f64,
    /// Of the time, the share spent decoding, detecting and aligning (the rest: embedding).
    pub detect_share: f64,
}

/// Times `pipeline` on `photos` (encoded bytes) one after another, round robin, on a pool of `threads`
/// threads: each photo decoded, its faces detected, aligned and embedded as one batch; after a warm-up
/// pass, until `min_seconds` have passed and every photo was done at least once.
pub fn photo_throughput(
    pipeline: &FacePipeline,
    photos: &[Vec<u8>],
    threads: usize,
    min_seconds: f64,
) -> facenet_vision::Result<PhotoThroughput> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| facenet_vision::Error::Stage(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| {
        for photo in photos {
            photo_faces(pipeline, photo)?;
        }
        let (mut done, mut faces, mut detect_seconds) = (0, 0, 0.0);
        let start = Instant::now();
        while done < photos.len() || start.elapsed().as_secs_f64() < min_seconds {
            let (found, detect) = photo_faces(pipeline, &photos[done % photos.len()])?;
            faces += found;
            detect_seconds += detect;
            done += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(PhotoThroughput {
            threads,
            photos: done,
            faces,
            seconds,
            photos_per_s: done as f64 / seconds,
            faces_per_s: faces as f64 / seconds,
            detect_share: detect_seconds / seconds,
        })
    })
}

/// One photo through the pipeline: its number of faces and the seconds spent before embedding.
fn photo_faces(pipeline: &FacePipeline, bytes: &[u8]) -> facenet_vision::Result<(usize, f64)> {
    let start = Instant::now();
    let image = load_rgb_from_memory(bytes, Path::new("timed photo"), &pipeline.load_options())?;
    let aligned: Vec<AlignedFace> = pipeline.detect_and_align(&image)?.into_iter().map(|(_, a)| a).collect();
    let detect = start.elapsed().as_secs_f64();
    pipeline.embed_aligned(&aligned)?;
    Ok((aligned.len(), detect))
}
