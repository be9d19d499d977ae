//! `facenet enroll`: add photos of a person (or a folder-per-person tree) to the gallery.
//! Resumable: photos whose sha256 is already enrolled are skipped (and the gallery's unique index keeps
//! concurrent runs from storing a face twice). A photo without a face is reported and makes the exit
//! code 1. Faces below `--min-score` are ignored; a photo holding several faces gets a warning (stderr,
//! and `warning` in `--json`) naming the face enrolled, and `--face N` picks another.

use super::Status;
use super::gallery::DbArg;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::gallery::GalleryModel;
use facenet::gallery::photos::{EnrolOutcome, enroll_photo, identity_folders, several_faces_warning};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["name", "from_dir"])))]
pub struct EnrollArgs {
    #[command(flatten)]
    db: DbArg,
    /// The person in the photos.
    #[arg(long, requires = "images")]
    name: Option<String>,
    /// Photos of NAME (the most prominent face of each is enrolled, unless --face says which).
    #[arg(value_name = "IMG", conflicts_with = "from_dir")]
    images: Vec<PathBuf>,
    /// A folder with one subfolder per person, named after them, holding their photos.
    #[arg(long, value_name = "DIR")]
    from_dir: Option<PathBuf>,
    /// Enrol face N of each photo (detector order, as `facenet detect` numbers them) instead of the most
    /// prominent one.
    #[arg(value_parser = super::ranges::face_index, long, value_name = "N", requires = "name")]
    face: Option<usize>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(Serialize)]
struct Row {
    path: PathBuf,
    subject: String,
    #[serde(flatten)]
    outcome: Option<EnrolOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run(args: EnrollArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let jobs: Vec<(String, PathBuf)> = match (&args.name, &args.from_dir) {
        (Some(name), _) => args.images.iter().map(|p| (name.clone(), p.clone())).collect(),
        (None, Some(dir)) => identity_folders(dir)?
            .into_iter()
            .flat_map(|(name, photos)| photos.into_iter().map(move |p| (name.clone(), p)))
            .collect(),
        (None, None) => anyhow::bail!("give --name NAME IMG… or --from-dir DIR"),
    };
    let mut gallery = args.db.open_or_create()?; // before the models load: a bad --db fails at once
    let pipeline = args.pipeline.build()?;
    gallery.bind_model(&GalleryModel::from(pipeline.model_info()))?;
    let progress = ProgressBar::new(jobs.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} [{elapsed}<{eta}]")
            .expect("the progress template should parse"),
    );
    let mut rows = Vec::with_capacity(jobs.len());
    let mut failures = 0;
    for (subject, path) in jobs {
        progress.set_message(subject.clone());
        let row = match enroll_photo(&mut gallery, &pipeline, &subject, &path, args.face) {
            Ok(EnrolOutcome::NoFace) => {
                failures += 1;
                progress.suspend(|| eprintln!("error: {}: no face found, nothing enrolled", path.display()));
                Row {
                    path,
                    subject,
                    outcome: Some(EnrolOutcome::NoFace),
                    warning: None,
                    error: None,
                }
            }
            Ok(outcome) => {
                let warning = several_faces_warning(&outcome, args.face);
                if let Some(w) = &warning {
                    progress.suspend(|| eprintln!("warning: {w}"));
                }
                Row {
                    path,
                    subject,
                    outcome: Some(outcome),
                    warning,
                    error: None,
                }
            }
            Err(e) => {
                failures += 1;
                progress.suspend(|| eprintln!("error: {e}"));
                Row {
                    path,
                    subject,
                    outcome: None,
                    warning: None,
                    error: Some(e.to_string()),
                }
            }
        };
        progress.inc(1);
        rows.push(row);
    }
    progress.finish_and_clear();
    if ctx.json {
        ctx.print_json(&rows)?;
    } else {
        let count = |f: fn(&EnrolOutcome) -> bool| rows.iter().filter(|r| r.outcome.as_ref().is_some_and(f)).count();
        println!(
            "enrolled {}, already enrolled {}, no face {}, failed {} — {}",
            count(|o| matches!(o, EnrolOutcome::Enrolled { .. })),
            count(|o| matches!(o, EnrolOutcome::AlreadyEnrolled)),
            count(|o| matches!(o, EnrolOutcome::NoFace)),
            rows.iter().filter(|r| r.error.is_some()).count(),
            gallery.path().display()
        );
    }
    Ok(Status::from_failures(failures))
}
