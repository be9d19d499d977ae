//! `facenet bench pipeline`: the whole photo pipeline's single-process throughput (decode → detect →
//! align → embed, one photo at a time; `facenet::bench::photo_throughput`), photos/s and faces/s, on the
//! photos `scripts/load_bench.sh` sends to `facenet serve` (default: obama.jpg, obama2.jpg, obama3.jpg,
//! biden.jpg from the asset cache). The figure the recognize endpoint is compared with.

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use anyhow::Context;
use facenet::bench::photo_throughput;
use std::path::PathBuf;

/// The photos of the load benchmark.
const LOAD_PHOTOS: [&str; 4] = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];

#[derive(Debug, clap::Args)]
pub struct BenchPipelineArgs {
    /// Photos to time (default: the load benchmark's four photos from the asset cache).
    photos: Vec<PathBuf>,
    /// Worker threads.
    #[arg(value_parser = super::ranges::threads, long, default_value_t = 2)]
    threads: usize,
    /// Time for at least this many seconds.
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 10.0)]
    seconds: f64,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(args: BenchPipelineArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let paths = if args.photos.is_empty() {
        let cache = facenet::assets::Cache::from_env()?;
        LOAD_PHOTOS
            .iter()
            .map(|name| cache.ensure(name))
            .collect::<Result<_, _>>()?
    } else {
        args.photos.clone()
    };
    let photos = paths
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pipeline = args.pipeline.build()?;
    let t = photo_throughput(&pipeline, &photos, args.threads, args.seconds)?;
    if ctx.json {
        ctx.print_json(&t)?;
    } else {
        println!(
            "{}  threads {}  {:>6.2} photos/s  {:>6.2} faces/s  ({} photos, {} faces in {:.1} s; {:.0} % decode + detect + align)",
            pipeline.model_info().id,
            t.threads,
            t.photos_per_s,
            t.faces_per_s,
            t.photos,
            t.faces,
            t.seconds,
            t.detect_share * 100.0
        );
    }
    Ok(Status::Ok)
}
