//! `facenet bench embed`: times the dlib ResNet on 150×150 chips (chips/s at
//! each `--batch`, on `--threads` threads), the figure to set beside dlib's own
//! (`OMP_NUM_THREADS=2 python shared/peers/dlib_bench.py obama.jpg`).

use super::Status;
use crate::output::Ctx;
use anyhow::Context;
use facenet::assets::Cache;
use facenet::bench::{Throughput, embed_throughput};
use facenet::nn::dlib::DlibResNet;
use facenet::vision::{AlignedFace, LoadOptions, RgbImage, load_rgb};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BenchEmbedArgs {
    /// Batch sizes to time.
    #[arg(value_parser = super::ranges::batch, long = "batch", default_values_t = [1, 64])]
    batches: Vec<usize>,
    /// Worker threads.
    #[arg(value_parser = super::ranges::threads, long, default_value_t = 2)]
    threads: usize,
    /// Time each batch size for at least this many seconds.
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 5.0)]
    seconds: f64,
    /// A 150×150 chip to embed (default: a synthetic one; the speed does not depend on the content).
    #[arg(long)]
    chip: Option<PathBuf>,
}

pub fn run(args: BenchEmbedArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    anyhow::ensure!(
        args.threads > 0 && args.batches.iter().all(|&b| b > 0),
        "--threads and --batch must be at least 1"
    );
    let net = DlibResNet::load(&Cache::from_env()?).context("loading the dlib ResNet")?;
    let image = match &args.chip {
        Some(path) => load_rgb(path, &LoadOptions::default())?,
        None => RgbImage::from_fn(150, 150, |x, y| {
            [(x * 2) as u8, (y * 2) as u8, ((x + y) % 256) as u8].into()
        }),
    };
    let chip = AlignedFace { image };
    let mut results: Vec<Throughput> = Vec::new();
    for &batch in &args.batches {
        let t = embed_throughput(&net, &chip, batch, args.threads, args.seconds, 3)?;
        if !ctx.json {
            println!(
                "batch {:>3}  threads {}  {:>8.1} chips/s  ({} calls in {:.1} s)",
                t.batch, t.threads, t.chips_per_s, t.calls, t.seconds
            );
        }
        results.push(t);
    }
    if ctx.json {
        ctx.print_json(&results)?;
    }
    Ok(Status::Ok)
}
