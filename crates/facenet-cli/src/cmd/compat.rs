//! `facenet compat`: can an old model's gallery be queried with a new model's probes? Held-out VAL @ FAR
//! 1e-3 of each model and of old-gallery-vs-new-probe comparisons (facenet::train::harmonic, the
//! harmonic embeddings of FaceNet Sec. 6).

use super::Status;
use crate::output::Ctx;
use facenet::train::embed::Validation;
use facenet::train::harmonic::evaluate_compatibility;
use facenet::vision::dataset::FaceLoader;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CompatArgs {
    /// The old model (gallery side): a training run or checkpoint directory.
    #[arg(long)]
    old: PathBuf,
    /// The new model (probe side): a training run or checkpoint directory.
    #[arg(long)]
    new: PathBuf,
    /// A folder-per-identity set of aligned crops.
    #[arg(long)]
    data: PathBuf,
    /// Evaluate only the last N identities (the ones `facenet train --held-out N` keeps out); 0: all.
    #[arg(value_parser = super::ranges::count_or_zero, long, default_value_t = 0)]
    held_out: usize,
    /// Photos per identity (at most).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 10)]
    validation_photos: usize,
}

pub fn run(args: CompatArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let loader = FaceLoader::crops(96, 96); // each model reloads the photos at its own input size
    let report = evaluate_compatibility(
        &args.old,
        &args.new,
        &args.data,
        &loader,
        args.held_out,
        args.validation_photos,
    )?;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        let line = |name: &str, v: &Validation| {
            println!(
                "{name:<28} VAL {:.3} @ FAR {:.4}, accuracy {:.3}, balanced accuracy {:.3}, AUC {:.3}",
                v.val, v.far, v.accuracy, v.balanced_accuracy, v.auc
            )
        };
        line("old vs old", &report.old);
        line("new vs new", &report.new);
        line("old gallery vs new probes", &report.cross);
    }
    Ok(Status::Ok)
}
