//! `facenet bench …`: speed measurements, one subcommand per component.

use super::{Status, bench_detect, bench_embed, bench_pipeline};
use crate::output::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// MTCNN detection, ms per photo (fixture photos and a 1920×1080 photo).
    Detect(bench_detect::BenchDetectArgs),
    /// Embedding throughput of a model (default the pretrained FaceNet), faces/s and GFLOP/s.
    Embed(bench_embed::BenchEmbedArgs),
    /// Whole-photo throughput (decode, detect, align, embed), photos/s and faces/s.
    Pipeline(bench_pipeline::BenchPipelineArgs),
}

pub fn run(command: BenchCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        BenchCommand::Detect(a) => bench_detect::run(a, ctx),
        BenchCommand::Embed(a) => bench_embed::run(a, ctx),
        BenchCommand::Pipeline(a) => bench_pipeline::run(a, ctx),
    }
}
