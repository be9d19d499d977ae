//! `facenet bench detect [PHOTO…]`: a detector's speed (MTCNN, or `--detector hog`: dlib's HOG at
//! `--upsample`, or `cnn`: dlib's MMOD), the median ms per photo with decoding excluded, and the GFLOP/s of
//! its products with their share of the f32 peak (`facenet::bench::detect_timing`). Without photos: the
//! fixture photos and a 1920×1080 photo (obama.jpg scaled onto a 1920×1080 grey canvas, written to the
//! cache's `derived/` folder so that the reference implementation can be timed on the same file). Median
//! of `--repeat` runs, after one warm-up, on a thread pool of `--threads`. A photo that cannot be read is
//! reported and the others are timed.

use super::Status;
use crate::output::Ctx;
use facenet::bench::{DetectTiming, detect_timing, f32_peak_gflops};
use facenet::kernels::device::default_device;
use facenet::nn::models::mtcnn::{Mtcnn, MtcnnConfig};
use facenet::pipeline::{DetectorSpec, build_detector};
use facenet::vision::{Detector, LoadOptions, RgbImage, load_rgb};
use serde::Serialize;
use std::path::PathBuf;

const FIXTURE_PHOTOS: [&str; 7] = [
    "obama.jpg",
    "obama2.jpg",
    "obama3.jpg",
    "biden.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
    "32bit.png",
];

#[derive(Debug, clap::Args)]
pub struct BenchDetectArgs {
    /// Photos to time (default: the fixture photos and a 1920×1080 photo).
    photos: Vec<PathBuf>,
    /// Timed runs per photo (the median is reported).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 5)]
    repeat: usize,
    /// Threads for the networks and the resampling.
    #[arg(value_parser = super::ranges::threads, long, default_value_t = 2)]
    threads: usize,
    /// The detector timed: `mtcnn`, `hog` or `cnn`.
    #[arg(long, default_value = "mtcnn", value_parser = ["mtcnn", "hog", "cnn"])]
    detector: String,
    /// 2× upsamplings before detecting (HOG and CNN).
    #[arg(value_parser = super::ranges::upsample, long, default_value_t = 1)]
    upsample: u32,
}

#[derive(Debug, Serialize)]
struct Timing {
    path: String,
    width: u32,
    height: u32,
    #[serde(flatten)]
    timing: DetectTiming,
}

pub fn run(args: BenchDetectArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build()?;
    pool.install(|| bench(&args, ctx))
}

fn bench(args: &BenchDetectArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let cache = facenet::assets::Cache::from_env()?;
    let detector: Box<dyn Detector> = match args.detector.as_str() {
        "hog" => build_detector(
            DetectorSpec::Hog {
                upsample: args.upsample,
            },
            &default_device(),
            &cache,
        )?,
        "cnn" => build_detector(
            DetectorSpec::Cnn {
                upsample: args.upsample,
            },
            &default_device(),
            &cache,
        )?,
        _ => Box::new(Mtcnn::pretrained(&cache, MtcnnConfig::new(), &default_device())?),
    };
    let (photos, failures) = if args.photos.is_empty() {
        (fixture_photos(&cache)?, 0)
    } else {
        given_photos(&args.photos)
    };
    let peak = f32_peak_gflops(args.threads);
    let mut timings = Vec::new();
    for (path, image) in photos {
        let timing = Timing {
            path,
            width: image.width(),
            height: image.height(),
            timing: detect_timing(detector.as_ref(), &image, args.repeat, peak)?,
        };
        if !ctx.json {
            let t = &timing.timing;
            println!(
                "{:<60} {:>4}×{:<4} {} faces {:>8.1} ms  {}",
                timing.path,
                timing.width,
                timing.height,
                t.faces,
                t.ms,
                rate_text(t.rate.gflops, t.rate.peak_pct, peak)
            );
        }
        timings.push(timing);
    }
    if ctx.json {
        ctx.print_json(&timings)?;
    }
    Ok(Status::from_failures(failures))
}

/// The GFLOP/s column; HOG scores with its own filters, not with counted matrix products, so it has none.
fn rate_text(gflops: f64, peak_pct: f64, peak: f64) -> String {
    if gflops > 0.0 {
        format!("{gflops:>6.1} GFLOP/s  {peak_pct:>5.1} % of peak ({peak:.0})")
    } else {
        "(no counted matrix products)".to_owned()
    }
}

/// The fixture photos from the asset cache and the 1920×1080 canvas made from the first.
fn fixture_photos(cache: &facenet::assets::Cache) -> anyhow::Result<Vec<(String, RgbImage)>> {
    let mut photos = Vec::new();
    for name in FIXTURE_PHOTOS {
        photos.push((
            name.to_string(),
            load_rgb(&cache.ensure(name)?, &LoadOptions::default())?,
        ));
    }
    let canvas = full_hd_canvas(&photos[0].1);
    let canvas_path: PathBuf = cache.derived_dir()?.join("bench-1920x1080.png");
    canvas.save(&canvas_path)?;
    photos.push((canvas_path.display().to_string(), canvas));
    Ok(photos)
}

/// The photos at `paths` that decode; each that does not is reported on stderr and counted.
fn given_photos(paths: &[PathBuf]) -> (Vec<(String, RgbImage)>, usize) {
    let mut failures = 0;
    let photos = paths
        .iter()
        .filter_map(|path| match load_rgb(path, &LoadOptions::default()) {
            Ok(image) => Some((path.display().to_string(), image)),
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
                None
            }
        })
        .collect();
    (photos, failures)
}

/// `photo` scaled to 1080 pixels high, centred on a 1920×1080 grey canvas.
fn full_hd_canvas(photo: &RgbImage) -> RgbImage {
    let height = 1080u32;
    let width = (photo.width() as u64 * height as u64 / photo.height().max(1) as u64).clamp(1, 1920) as u32;
    let scaled = image::imageops::resize(photo, width, height, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(1920, 1080, image::Rgb([128, 128, 128]));
    image::imageops::overlay(&mut canvas, &scaled, i64::from((1920 - width) / 2), 0);
    canvas
}
