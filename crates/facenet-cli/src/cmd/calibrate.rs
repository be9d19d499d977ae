//! `facenet calibrate --scores FILE --far 1e-3`: the threshold that reaches a target FAR on the user's
//! own labelled pairs, with VAL there and 95 % Wilson intervals (facenet::core::metrics::calibrate). Pass
//! the threshold to `compare` / `recognize` as `--threshold`.

use super::Status;
use crate::output::Ctx;
use facenet::core::metrics::{PAPER_TARGET_FAR, calibrate};
use facenet::core::protocols::scores::read_scores;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Labelled pair distances: CSV `distance,same` or `fold,distance,same` (folds are ignored).
    #[arg(long)]
    scores: PathBuf,
    /// The false accept rate to reach.
    #[arg(value_parser = super::ranges::far, long, default_value_t = PAPER_TARGET_FAR)]
    far: f64,
}

pub fn run(args: CalibrateArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let scores = read_scores(&args.scores)?;
    let c = calibrate(&scores.distances, &scores.same, args.far)?;
    if ctx.json {
        ctx.print_json(&c)?;
        return Ok(Status::Ok);
    }
    let pct = |x: f64| format!("{:.3} %", 100.0 * x);
    println!(
        "threshold {:.6} (accept D ≤ threshold) for FAR {:e}",
        c.threshold, c.target_far
    );
    println!(
        "VAL {} [{}, {}] over {} same pairs",
        pct(c.val),
        pct(c.val_interval.low),
        pct(c.val_interval.high),
        c.n_same
    );
    println!(
        "FAR {} [{}, {}] over {} different pairs",
        pct(c.far),
        pct(c.far_interval.low),
        pct(c.far_interval.high),
        c.n_diff
    );
    println!("(95 % Wilson intervals at this threshold)");
    Ok(Status::Ok)
}
