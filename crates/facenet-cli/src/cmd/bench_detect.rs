//! `facenet bench detect`: a detector's speed (MTCNN, or `--detector hog`: dlib's HOG at `--upsample`), ms per photo, on the fixture photos and on a 1920×1080 photo
//! (obama.jpg scaled onto a 1920×1080 grey canvas, written to the cache's `derived/` folder so that the
//! reference implementation can be timed on the same file). Median of `--repeat` runs, after one warm-up,
//! on a thread pool of `--threads`.

use super::Status;
use crate::output::Ctx;
use facenet::kernels::device::default_device;
use facenet::nn::models::mtcnn::{Mtcnn, MtcnnConfig};
use facenet::pipeline::{DetectorSpec, build_detector};
use facenet::vision::{Detector, LoadOptions, RgbImage, load_rgb};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

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
    photo: String,
    width: u32,
    height: u32,
    faces: usize,
    median_ms: f64,
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
            &cache,
        )?,
        "cnn" => build_detector(
            DetectorSpec::Cnn {
                upsample: args.upsample,
            },
            &cache,
        )?,
        _ => Box::new(Mtcnn::pretrained(&cache, MtcnnConfig::new(), &default_device())?),
    };
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

    let mut timings = Vec::new();
    for (photo, image) in &photos {
        let faces = detector.detect(image)?.len(); // warm-up
        let mut ms: Vec<f64> = (0..args.repeat.max(1))
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(detector.detect(image).ok());
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let timing = Timing {
            photo: photo.clone(),
            width: image.width(),
            height: image.height(),
            faces,
            median_ms: ms[ms.len() / 2],
        };
        if !ctx.json {
            println!(
                "{:<60} {:>4}×{:<4} {} faces {:>8.1} ms",
                timing.photo, timing.width, timing.height, timing.faces, timing.median_ms
            );
        }
        timings.push(timing);
    }
    if ctx.json {
        ctx.print_json(&timings)?;
    }
    Ok(Status::Ok)
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
