//! The subcommands, one file each; each parses its arguments and calls one library function.

mod baseline;
mod bench;
mod bench_detect;
mod bench_embed;
mod bench_peak;
mod bench_pipeline;
mod bench_train;
mod calibrate;
mod cluster;
mod compare;
mod compat;
mod demo;
mod detect;
mod embed;
mod enroll;
mod eval;
mod export;
pub mod gallery;
mod identify;
mod keys;
mod model;
mod models;
pub mod pipeline_args;
mod ranges;
mod recognize;
mod serve;
mod synth;
mod train;

use crate::output::Ctx;

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything succeeded.
    Ok,
    /// Some inputs failed (each was reported on stderr); the others were processed.
    SomeFailed,
}

impl Status {
    /// `SomeFailed` when any failure was counted.
    pub fn from_failures(failures: usize) -> Self {
        if failures == 0 { Status::Ok } else { Status::SomeFailed }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Fetch, list and locate the pretrained models and test photos.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Embed every face of photos (or aligned chips): one row per face.
    Embed(embed::EmbedArgs),
    /// Are the most prominent faces of two photos the same person?
    Compare(compare::CompareArgs),
    /// Recognise the faces of unknown photos against a folder of known people (face_recognition style).
    Recognize(recognize::RecognizeArgs),
    /// Run the main pipeline on the bundled test photos (fetches what is missing first).
    Demo(demo::DemoArgs),
    /// Evaluate verification: k-fold accuracy, VAL @ FAR, ROC, AUC, EER (scores, LFW, YouTube Faces).
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// The threshold that reaches a target FAR on your own labelled pairs.
    Calibrate(calibrate::CalibrateArgs),
    /// Describe the FaceNet architectures (NN1 … NNS2).
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Find faces (MTCNN): boxes, scores, 5 landmarks; draw them, or write aligned crops of a dataset.
    Detect(detect::DetectArgs),
    /// Measure speed.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Write a model as a standard ONNX file (`--onnx OUT.onnx --model facenet`).
    Export(export::ExportArgs),
    /// Add photos of a person (or a folder per person) to the gallery.
    Enroll(enroll::EnrollArgs),
    /// Name the faces in photos from the gallery, or `unknown`.
    Identify(identify::IdentifyArgs),
    /// List, show, remove, rename, export and import gallery subjects.
    Gallery(gallery::GalleryArgs),
    /// Group the faces of a photo collection by person.
    Cluster(cluster::ClusterArgs),
    /// Score clustering thresholds against a gallery's known identities.
    ClusterEval(cluster::ClusterEvalArgs),
    /// Render synthetic identities (procedural faces) as a folder-per-identity training/test set.
    Synth(synth::SynthArgs),
    /// Train a FaceNet with triplet loss and online semi-hard mining on a folder-per-identity set.
    Train(train::TrainArgs),
    /// Verification by L2 between downscaled grey photos: the floor a trained network must beat.
    PixelBaseline(baseline::BaselineArgs),
    /// Held-out VAL of an old model, a new one, and old-gallery-vs-new-probe comparisons (harmonic runs).
    Compat(compat::CompatArgs),
    /// Serve a CompreFace-compatible REST API (and a web page) on a gallery.
    Serve(serve::ServeArgs),
    /// Create, list and revoke the API keys of `facenet serve`.
    Keys(keys::KeysArgs),
}

pub fn run(command: Command, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        Command::Models(c) => models::run(c, ctx),
        Command::Demo(a) => demo::run(a, ctx),
        Command::Eval(c) => eval::run(c, ctx),
        Command::Calibrate(a) => calibrate::run(a, ctx),
        Command::Model(c) => model::run(c, ctx),
        Command::Detect(a) => detect::run(a, ctx),
        Command::Embed(a) => embed::run(a, ctx),
        Command::Compare(a) => compare::run(a, ctx),
        Command::Recognize(a) => recognize::run(a, ctx),
        Command::Bench(c) => bench::run(c, ctx),
        Command::Export(a) => export::run(a, ctx),
        Command::Enroll(a) => enroll::run(a, ctx),
        Command::Identify(a) => identify::run(a, ctx),
        Command::Gallery(a) => gallery::run(a, ctx),
        Command::Cluster(a) => cluster::run(a, ctx),
        Command::ClusterEval(a) => cluster::run_eval(a, ctx),
        Command::Synth(a) => synth::run(a, ctx),
        Command::Train(a) => train::run(a, ctx),
        Command::PixelBaseline(a) => baseline::run(a, ctx),
        Command::Compat(a) => compat::run(a, ctx),
        Command::Serve(a) => serve::run(a, ctx),
        Command::Keys(a) => keys::run(a, ctx),
    }
}

/// Splits a batch's outcomes into its rows and a count of failed inputs, reporting each failure (and each
/// photo without a face) on stderr with the file's name.
pub fn report_failures<T>(outcomes: Vec<(std::path::PathBuf, facenet::vision::Result<Vec<T>>)>) -> (Vec<T>, usize) {
    let mut rows = Vec::new();
    let mut failures = 0;
    for (path, outcome) in outcomes {
        match outcome {
            Ok(found) if found.is_empty() => eprintln!("warning: {}: no face found", path.display()),
            Ok(found) => rows.extend(found),
            Err(e) => {
                let message = e.to_string();
                let named = path.display().to_string();
                if message.contains(&named) {
                    eprintln!("error: {message}")
                } else {
                    eprintln!("error: {named}: {message}")
                }
                failures += 1;
            }
        }
    }
    (rows, failures)
}
