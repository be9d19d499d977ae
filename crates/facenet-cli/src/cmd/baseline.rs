//! `facenet pixel-baseline`: verification by L2 between downscaled grey photos on held-out identities
//! (facenet::vision::baseline), the floor a trained network must beat.

use super::Status;
use crate::output::Ctx;
use facenet::core::metrics::PAPER_TARGET_FAR;
use facenet::vision::baseline::evaluate_pixel_baseline;
use facenet::vision::dataset::{FaceDataset, FaceLoader};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    /// A folder-per-identity set.
    #[arg(long)]
    data: PathBuf,
    /// Evaluate only the last N identities (the ones `facenet train --held-out N` keeps out); 0: all.
    #[arg(value_parser = super::ranges::count_or_zero, long, default_value_t = 0)]
    held_out: usize,
    /// Photos per identity (at most).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 10)]
    validation_photos: usize,
    /// Side of the downscaled grey image.
    #[arg(value_parser = super::ranges::side, long, default_value_t = 16)]
    side: u32,
    /// Size the photos are first loaded at (as a network would see them).
    #[arg(value_parser = super::ranges::side, long, default_value_t = 96)]
    size: u32,
}

pub fn run(args: BaselineArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let loader = FaceLoader::crops(args.size, args.size);
    let (dataset, _) = FaceDataset::open(&args.data, &loader)?;
    let dataset = if args.held_out > 0 {
        dataset.split_held_out(args.held_out)?.1
    } else {
        dataset
    };
    let report = evaluate_pixel_baseline(&dataset, &loader, args.side, args.validation_photos, PAPER_TARGET_FAR)?;
    let cv = &report.cross_validation;
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        println!(
            "pixel baseline ({0}×{0} grey): VAL {1:.3} @ FAR {2:.4}, accuracy {3:.3} ± {4:.3}, balanced accuracy {5:.3}, AUC {6:.3}",
            args.side, cv.val_mean, cv.far_mean, cv.accuracy_mean, cv.accuracy_se, report.balanced_accuracy, report.auc
        );
    }
    Ok(Status::Ok)
}
