//! Throughput of an [`Embedder`]: chips per second at a given batch size and thread count, the figure
//! `facenet bench embed` reports next to dlib's (`shared/peers/dlib_bench.py`, which times
//! `compute_face_descriptor` on one chip repeated to batches of 1 and 64); and throughput of the whole
//! photo pipeline (decode → detect → align → embed, one photo at a time), the single-process figure
//! `facenet serve`'s recognize endpoint is compared with (`facenet bench pipeline`,
//! `scripts/load_bench.sh`); and a detector's median time per photo (`facenet bench detect`).
//!
//! Every network figure carries its arithmetic rate: the multiply-adds the products did in the timed runs
//! ([`facenet_kernels::matmul::multiply_adds_done`], 2 FLOP each) per second, and that rate as a share of
//! the machine's measured f32 FMA peak ([`facenet_kernels::peak`], `facenet bench peak`).

use facenet_kernels::matmul::multiply_adds_done;
use facenet_kernels::peak::{Peak, f32_peak, int8_peak};
use facenet_nn::{Error, Result};
use facenet_vision::{AlignedFace, Detector, Embedder, FacePipeline, RgbImage, load_rgb_from_memory};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// A measured peak, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct PeakReport {
    /// `f32` or `int8`.
    pub precision: &'static str,
    /// The instruction set of the loop (`avx512`, `avx2-fma`, `scalar`, `avx512-vnni`).
    pub isa: &'static str,
    pub threads: usize,
    /// Billions of operations per second, a multiply-add counting 2.
    pub gflops: f64,
}

impl PeakReport {
    fn new(precision: &'static str, peak: Peak) -> Self {
        Self {
            precision,
            isa: peak.isa.name(),
            threads: peak.threads,
            gflops: peak.gops,
        }
    }
}

/// The f32 FMA peak and, on CPUs with AVX-512 VNNI, the int8 peak, on `threads` threads, each loop run
/// for about `seconds`.
pub fn peaks(threads: usize, seconds: f64) -> Vec<PeakReport> {
    let mut out = vec![PeakReport::new("f32", f32_peak(threads, seconds))];
    out.extend(int8_peak(threads, seconds).map(|p| PeakReport::new("int8", p)));
    out
}

/// The f32 peak a network's rate is compared with (a short measurement).
pub fn f32_peak_gflops(threads: usize) -> f64 {
    f32_peak(threads, 0.3).gops
}

/// An arithmetic rate: GFLOP/s over a timed run and its share of the f32 peak.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rate {
    pub gflops: f64,
    pub peak_pct: f64,
}

impl Rate {
    fn new(multiply_adds: u64, seconds: f64, peak_gflops: f64) -> Self {
        let gflops = 2.0 * multiply_adds as f64 / seconds / 1e9;
        Self {
            gflops,
            peak_pct: 100.0 * gflops / peak_gflops,
        }
    }
}

/// Timed calls of `embed` at least, whatever the time.
pub const MIN_CALLS: usize = 3;

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub batch: usize,
    pub threads: usize,
    /// Timed calls of `embed` (after one untimed warm-up call).
    pub calls: usize,
    pub seconds: f64,
    pub faces_per_s: f64,
    pub ms_per_face: f64,
    #[serde(flatten)]
    pub rate: Rate,
}

/// Times `embedder.embed` on `batch` copies of `chip` on a pool of `threads` threads: one warm-up call,
/// then calls until `min_seconds` have passed (at least [`MIN_CALLS`]); the rate against `peak_gflops`.
pub fn embed_throughput(
    embedder: &dyn Embedder,
    chip: &AlignedFace,
    batch: usize,
    threads: usize,
    min_seconds: f64,
    peak_gflops: f64,
) -> Result<Throughput> {
    let pool = thread_pool(threads)?;
    let chips = vec![chip.clone(); batch];
    pool.install(|| {
        embedder.embed(&chips)?;
        let (start, work) = (Instant::now(), multiply_adds_done());
        let mut calls = 0;
        while calls < MIN_CALLS || start.elapsed().as_secs_f64() < min_seconds {
            embedder.embed(&chips)?;
            calls += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let faces_per_s = (calls * batch) as f64 / seconds;
        Ok(Throughput {
            batch,
            threads,
            calls,
            seconds,
            faces_per_s,
            ms_per_face: 1000.0 / faces_per_s,
            rate: Rate::new(multiply_adds_done() - work, seconds, peak_gflops),
        })
    })
}

/// A detector's time on one photo.
#[derive(Debug, Clone, Serialize)]
pub struct DetectTiming {
    pub faces: usize,
    /// The median of the timed runs, decoding excluded.
    pub ms: f64,
    #[serde(flatten)]
    pub rate: Rate,
}

/// Times `detector.detect(image)` `repeat` times after one warm-up run, on the current thread pool; the
/// median time, and the rate of all the timed runs against `peak_gflops`.
pub fn detect_timing(
    detector: &dyn Detector,
    image: &RgbImage,
    repeat: usize,
    peak_gflops: f64,
) -> facenet_vision::Result<DetectTiming> {
    let faces = detector.detect(image)?.len();
    let (start, work) = (Instant::now(), multiply_adds_done());
    let mut ms = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        let run = Instant::now();
        std::hint::black_box(detector.detect(image)?);
        ms.push(run.elapsed().as_secs_f64() * 1000.0);
    }
    let rate = Rate::new(multiply_adds_done() - work, start.elapsed().as_secs_f64(), peak_gflops);
    ms.sort_by(f64::total_cmp);
    Ok(DetectTiming {
        faces,
        ms: ms[ms.len() / 2],
        rate,
    })
}

/// A pool of `threads` workers.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Unavailable(format!("cannot start {threads} threads: {e}")))
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
    let pool = thread_pool(threads).map_err(|e| facenet_vision::Error::Stage(e.to_string()))?;
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
