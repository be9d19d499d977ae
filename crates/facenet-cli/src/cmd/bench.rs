//! `facenet bench …`: speed measurements, one subcommand per component.

use super::{bench_detect, Status};
use crate::output::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// MTCNN detection, ms per photo (fixture photos and a 1920×1080 photo).
    Detect(bench_detect::BenchDetectArgs),
}

pub fn run(command: BenchCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        BenchCommand::Detect(a) => bench_detect::run(a, ctx),
    }
}
