//! `facenet recognize KNOWN_DIR UNKNOWN…`: face_recognition's command-line tool: for every face of every
//! unknown photo, `path,name,distance` for each known person within the threshold, else
//! `path,unknown_person,`. Known people are the photos of KNOWN_DIR, named by file stem.

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::vision::tasks::{load_known_people, recognize_photo};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct RecognizeArgs {
    /// A folder with one photo per known person, named after them (obama.jpg → "obama").
    pub known_dir: PathBuf,
    #[arg(required = true)]
    pub unknown: Vec<PathBuf>,
    /// Same person when the distance is at most this (default: the model's threshold).
    #[arg(long)]
    pub threshold: Option<f32>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: RecognizeArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let pipeline = args.pipeline.build()?;
    let (known, known_errors) = load_known_people(&pipeline, &args.known_dir)?;
    for e in &known_errors {
        eprintln!("warning: skipping known photo: {e}");
    }
    let threshold = args.threshold.unwrap_or(pipeline.model_info().threshold);
    let mut failures = 0;
    let mut rows = Vec::new();
    for path in &args.unknown {
        match recognize_photo(&pipeline, &known, path, threshold) {
            Ok(found) => rows.extend(found),
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
            }
        }
    }
    if ctx.json {
        ctx.print_json(&rows)?;
    } else {
        for row in &rows {
            let name = row.name.as_deref().unwrap_or("unknown_person");
            let distance = row.distance.map(|d| format!("{d:.4}")).unwrap_or_default();
            println!("{},{name},{distance}", row.path.display());
        }
    }
    Ok(Status::from_failures(failures))
}
