//! The subcommands, one file each; each parses its arguments and calls one library function.

mod baseline;
mod calibrate;
mod demo;
mod detect;
mod eval;
mod model;
mod models;
pub mod pipeline_args;
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
    /// Run the main pipeline on the bundled test photos (fetches what is missing first).
    Demo(demo::DemoArgs),
    /// Describe the FaceNet architectures (NN1 … NNS2).
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Find faces (MTCNN): boxes, scores, 5 landmarks; draw them, or write aligned crops of a dataset.
    Detect(detect::DetectArgs),
    /// Render synthetic identities (procedural faces) as a folder-per-identity training/test set.
    Synth(synth::SynthArgs),
    /// Train a FaceNet with triplet loss and online semi-hard mining on a folder-per-identity set.
    Train(train::TrainArgs),
    /// Verification by L2 between downscaled grey photos: the floor a trained network must beat.
    PixelBaseline(baseline::BaselineArgs),
    /// Evaluate verification: k-fold accuracy, VAL @ FAR, ROC, AUC, EER (scores, LFW, YouTube Faces).
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// The threshold that reaches a target FAR on your own labelled pairs.
    Calibrate(calibrate::CalibrateArgs),
}

pub fn run(command: Command, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        Command::Models(c) => models::run(c, ctx),
        Command::Demo(a) => demo::run(a, ctx),
        Command::Model(c) => model::run(c, ctx),
        Command::Detect(a) => detect::run(a, ctx),
        Command::Synth(a) => synth::run(a, ctx),
        Command::Train(a) => train::run(a, ctx),
        Command::PixelBaseline(a) => baseline::run(a, ctx),
        Command::Eval(c) => eval::run(c, ctx),
        Command::Calibrate(a) => calibrate::run(a, ctx),
    }
}
