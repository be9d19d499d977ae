//! `facenet compare A B`: are the most prominent faces of two photos the same person? It says which face
//! of each photo it compared (index, box, score), in text and JSON; faces below `--min-score` are ignored.

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::vision::tasks::compare_photos;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    /// Same person when the distance is at most this (default: the model's threshold).
    #[arg(value_parser = super::ranges::distance, long)]
    pub threshold: Option<f32>,
    /// Compare the N-th face (detector order) of both photos instead of the most prominent one.
    #[arg(value_parser = super::ranges::face_index, long, value_name = "N")]
    pub face: Option<usize>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: CompareArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let pipeline = args.pipeline.build()?;
    let result = compare_photos(&pipeline, (&args.a, args.face), (&args.b, args.face), args.threshold)?;
    if ctx.json {
        ctx.print_json(&result)?;
    } else {
        let verdict = if result.same { "same person" } else { "different people" };
        println!(
            "distance {:.4} (threshold {:.4}): {verdict}",
            result.distance, result.threshold
        );
        for used in [&result.a, &result.b] {
            println!("  {}: {}", used.path.display(), used.describe());
        }
    }
    Ok(Status::Ok)
}
