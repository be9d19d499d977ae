//! `facenet bench …`: speed measurements, one subcommand per component.

use super::{Status, bench_detect, bench_embed, bench_peak, bench_pipeline, bench_train};
use crate::output::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The machine's f32 FMA peak (and int8 VNNI peak where present), GFLOP/s.
    Peak(bench_peak::BenchPeakArgs),
    /// Detection, median ms per photo and GFLOP/s (given photos, or the fixture photos and a 1920×1080 photo).
    Detect(bench_detect::BenchDetectArgs),
    /// Embedding throughput of a model (default the pretrained FaceNet), faces/s and GFLOP/s.
    Embed(bench_embed::BenchEmbedArgs),
    /// Whole-photo throughput (decode, detect, align, embed), photos/s and faces/s.
    Pipeline(bench_pipeline::BenchPipelineArgs),
    /// Training speed of a network (forward, triplet loss, backward, AdaGrad), img/s, on the CPU or GPU.
    Train(bench_train::BenchTrainArgs),
}

pub fn run(command: BenchCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        BenchCommand::Peak(a) => bench_peak::run(a, ctx),
        BenchCommand::Detect(a) => bench_detect::run(a, ctx),
        BenchCommand::Embed(a) => bench_embed::run(a, ctx),
        BenchCommand::Pipeline(a) => bench_pipeline::run(a, ctx),
        BenchCommand::Train(a) => bench_train::run(a, ctx),
    }
}
