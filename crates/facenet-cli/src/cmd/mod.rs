//! The subcommands, one file each; each parses its arguments and calls one library function.

mod cluster;
mod demo;
mod enroll;
pub mod gallery;
mod identify;
mod models;
pub mod pipeline_args;

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
}

pub fn run(command: Command, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        Command::Models(c) => models::run(c, ctx),
        Command::Demo(a) => demo::run(a, ctx),
        Command::Enroll(a) => enroll::run(a, ctx),
        Command::Identify(a) => identify::run(a, ctx),
        Command::Gallery(a) => gallery::run(a, ctx),
        Command::Cluster(a) => cluster::run(a, ctx),
        Command::ClusterEval(a) => cluster::run_eval(a, ctx),
    }
}
