//! `facenet bench embed`: times an embedding model on its input crops (faces/s at each `--batch`, on
//! `--threads` threads), the arithmetic rate it reaches (2 FLOP per multiply-add its products did; 1.418 G
//! multiply-adds a face for the pretrained FaceNet) and that rate's share of the f32 peak measured first
//! (`facenet::bench`). The peers' figures: `scripts/bench_facenet.sh` (OpenCV
//! dnn, ONNX Runtime on the same graph) and `OMP_NUM_THREADS=2 python shared/peers/dlib_bench.py` (dlib).

use super::Status;
use crate::output::Ctx;
use anyhow::Context;
use facenet::assets::Cache;
use facenet::bench::{embed_throughput, f32_peak_gflops};
use facenet::kernels::device::{DeviceChoice, describe, device_for};
use facenet::pipeline::{ModelSpec, build_embedder};
use facenet::vision::{AlignedFace, LoadOptions, RgbImage, load_rgb};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BenchEmbedArgs {
    /// Embedding model: facenet (160×160 crops), dlib (150×150 chips) or a checkpoint directory.
    #[arg(long, default_value = "facenet", value_parser = clap::value_parser!(ModelSpec))]
    model: ModelSpec,
    /// Batch sizes to time.
    #[arg(value_parser = super::ranges::batch, long = "batch", default_values_t = [1, 16])]
    batches: Vec<usize>,
    /// Worker threads.
    #[arg(value_parser = super::ranges::threads, long, default_value_t = 2)]
    threads: usize,
    /// Where the model runs: `cpu` or `gpu` (a build with `--features gpu`). On the GPU no CPU peak is
    /// measured and the rate is left to the caller (`scripts/gpu_bench.sh`: faces/s × multiply-adds a face).
    #[arg(long, default_value = "cpu", value_parser = clap::value_parser!(DeviceChoice))]
    device: DeviceChoice,
    /// Time each batch size for at least this many seconds.
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 5.0)]
    seconds: f64,
    /// A crop of the model's input size to embed (default: a synthetic one; the speed does not depend on
    /// the content).
    #[arg(long)]
    chip: Option<PathBuf>,
}

pub fn run(args: BenchEmbedArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    anyhow::ensure!(
        args.threads > 0 && args.batches.iter().all(|&b| b > 0),
        "--threads and --batch must be at least 1"
    );
    let device = device_for(args.device)?;
    let net = build_embedder(&args.model, &device, &Cache::from_env()?).context("loading the model")?;
    if !ctx.json {
        println!("device: {}", describe(args.device)?);
    }
    let (w, h) = net.info().input_size;
    let image = match &args.chip {
        Some(path) => load_rgb(path, &LoadOptions::default())?,
        None => RgbImage::from_fn(w, h, |x, y| {
            [(x * 2) as u8, (y * 2) as u8, ((x + y) % 256) as u8].into()
        }),
    };
    let peak = match args.device {
        DeviceChoice::Cpu => f32_peak_gflops(args.threads),
        DeviceChoice::Gpu => f64::NAN,
    };
    let chip = AlignedFace { image };
    let mut rows = Vec::new();
    for &batch in &args.batches {
        let t = embed_throughput(net.as_ref(), &chip, batch, args.threads, args.seconds, peak)?;
        if !ctx.json && args.device == DeviceChoice::Gpu {
            println!(
                "{}  batch {:>3}  gpu  {:>8.1} faces/s  {:>7.2} ms/face  ({} calls in {:.1} s)",
                net.info().id,
                t.batch,
                t.faces_per_s,
                t.ms_per_face,
                t.calls,
                t.seconds
            );
        } else if !ctx.json {
            println!(
                "{}  batch {:>3}  threads {}  {:>8.1} faces/s  {:>7.2} ms/face  {:>6.1} GFLOP/s  {:>5.1} % of peak ({peak:.0})  ({} calls in {:.1} s)",
                net.info().id,
                t.batch,
                t.threads,
                t.faces_per_s,
                t.ms_per_face,
                t.rate.gflops,
                t.rate.peak_pct,
                t.calls,
                t.seconds
            );
        }
        rows.push(t);
    }
    if ctx.json {
        ctx.print_json(&rows)?;
    }
    Ok(Status::Ok)
}
