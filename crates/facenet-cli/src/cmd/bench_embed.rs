//! `facenet bench embed`: times an embedding model on its input crops (faces/s at each `--batch`, on
//! `--threads` threads) and, for the pretrained FaceNet, the arithmetic rate it reaches (2 FLOP per
//! multiply-add, 1.418 G multiply-adds a face). The peers' figures: `scripts/bench_facenet.sh` (OpenCV
//! dnn, ONNX Runtime on the same graph) and `OMP_NUM_THREADS=2 python shared/peers/dlib_bench.py` (dlib).

use super::Status;
use crate::output::Ctx;
use anyhow::Context;
use facenet::assets::Cache;
use facenet::bench::{Throughput, embed_throughput};
use facenet::nn::models::inception_resnet_v1::InceptionResnetV1Spec;
use facenet::pipeline::{ModelSpec, build_embedder};
use facenet::vision::{AlignedFace, LoadOptions, RgbImage, load_rgb};
use serde::Serialize;
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
    /// Time each batch size for at least this many seconds.
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 5.0)]
    seconds: f64,
    /// A crop of the model's input size to embed (default: a synthetic one; the speed does not depend on
    /// the content).
    #[arg(long)]
    chip: Option<PathBuf>,
}

/// One measurement, with the arithmetic rate when the model's multiply-adds are known.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    throughput: Throughput,
    ms_per_face: f64,
    gflops: Option<f64>,
}

pub fn run(args: BenchEmbedArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    anyhow::ensure!(
        args.threads > 0 && args.batches.iter().all(|&b| b > 0),
        "--threads and --batch must be at least 1"
    );
    let net = build_embedder(&args.model, &Cache::from_env()?).context("loading the model")?;
    let (w, h) = net.info().input_size;
    let image = match &args.chip {
        Some(path) => load_rgb(path, &LoadOptions::default())?,
        None => RgbImage::from_fn(w, h, |x, y| {
            [(x * 2) as u8, (y * 2) as u8, ((x + y) % 256) as u8].into()
        }),
    };
    let multiply_adds = (args.model == ModelSpec::FaceNet)
        .then(|| InceptionResnetV1Spec::facenet_20180408().summary().multiply_adds as f64);
    let chip = AlignedFace { image };
    let mut rows = Vec::new();
    for &batch in &args.batches {
        let t = embed_throughput(net.as_ref(), &chip, batch, args.threads, args.seconds, 3)?;
        let row = Row {
            ms_per_face: 1000.0 / t.chips_per_s,
            gflops: multiply_adds.map(|m| 2.0 * m * t.chips_per_s / 1e9),
            throughput: t,
        };
        if !ctx.json {
            let t = &row.throughput;
            let rate = row.gflops.map_or_else(String::new, |g| format!("  {g:.1} GFLOP/s"));
            println!(
                "{}  batch {:>3}  threads {}  {:>8.1} faces/s  {:>7.2} ms/face{rate}  ({} calls in {:.1} s)",
                net.info().id,
                t.batch,
                t.threads,
                t.chips_per_s,
                row.ms_per_face,
                t.calls,
                t.seconds
            );
        }
        rows.push(row);
    }
    if ctx.json {
        ctx.print_json(&rows)?;
    }
    Ok(Status::Ok)
}
