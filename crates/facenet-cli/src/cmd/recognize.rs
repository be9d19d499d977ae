//! `facenet recognize KNOWN_DIR UNKNOWN…`: face_recognition's command-line tool: for every face of every
//! unknown photo (or every photo below an unknown folder), `path,name,distance,face,x1,y1,x2,y2` for each
//! known person within the threshold, else `path,unknown_person,,face,…`; a photo without a face gives
//! `path,no_persons_found` and exit code 1. Known people are the photos of KNOWN_DIR, named by file
//! stem; a KNOWN_DIR without a face is an error. `--json` names an unknown face `unknown`, as identify.

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::gallery::photos::find_photos;
use facenet::vision::tasks::{NO_PERSONS_FOUND, Recognition, UNKNOWN, load_known_people, recognize_photo};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct RecognizeArgs {
    /// A folder with one photo per known person, named after them (obama.jpg → "obama").
    pub known_dir: PathBuf,
    /// Photos, or folders of photos (searched recursively).
    #[arg(required = true)]
    pub unknown: Vec<PathBuf>,
    /// Same person when the distance is at most this (default: the model's threshold).
    #[arg(value_parser = super::ranges::distance, long)]
    pub threshold: Option<f32>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: RecognizeArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let unknown = find_photos(&args.unknown)?;
    let pipeline = args.pipeline.build()?;
    let (known, known_errors) = load_known_people(&pipeline, &args.known_dir)?;
    for e in &known_errors {
        eprintln!("warning: skipping known photo: {e}");
    }
    anyhow::ensure!(
        !known.is_empty(),
        "{}: no known face ({} photos could not be used); every face would be unknown",
        args.known_dir.display(),
        known_errors.len()
    );
    let threshold = args.threshold.unwrap_or(pipeline.model_info().threshold);
    let mut failures = 0;
    let mut rows = Vec::new();
    for path in &unknown {
        match recognize_photo(&pipeline, &known, path, threshold) {
            Ok(found) => rows.extend(found),
            Err(e) => {
                eprintln!("error: {e}");
                failures += 1;
            }
        }
    }
    failures += rows.iter().filter(|r| r.name == NO_PERSONS_FOUND).count();
    if ctx.json {
        ctx.print_json(&rows)?;
    } else {
        rows.iter().for_each(|row| println!("{}", text_line(row)));
    }
    Ok(Status::from_failures(failures))
}

/// face_recognition's `path,name,distance`, then the face index and box.
fn text_line(row: &Recognition) -> String {
    let path = row.path.display();
    let Some(face) = row.face else {
        return format!("{path},{}", row.name);
    };
    let name = if row.name == UNKNOWN {
        "unknown_person"
    } else {
        &row.name
    };
    let distance = row.distance.map(|d| format!("{d:.4}")).unwrap_or_default();
    let bbox = row
        .bbox
        .map_or_else(String::new, |b| b.map(|v| format!("{v:.0}")).join(","));
    format!("{path},{name},{distance},{face},{bbox}")
}
