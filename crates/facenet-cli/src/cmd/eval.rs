//! `facenet eval pairs|lfw|ytf`: the verification protocols of FaceNet Sec. 5 (k-fold accuracy, VAL @
//! FAR, ROC, AUC, EER; facenet::core::metrics) on precomputed scores, on LFW, or on YouTube Faces, with
//! `--report DIR` for JSON + charts + HTML (facenet-report).

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::core::metrics::PAPER_TARGET_FAR;
use facenet::core::protocols::lfw::{evaluate_lfw, read_lfw_pairs};
use facenet::core::protocols::scores::read_scores;
use facenet::core::protocols::ytf::{PAPER_FRAMES, evaluate_ytf, read_ytf};
use facenet::core::protocols::{ProtocolReport, ScoredPairs};
use facenet::report::{ReportInput, write_report};
use facenet::vision::{FaceCrop, FacePipeline, ProtocolEmbedder};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum EvalCommand {
    /// Precomputed distances: CSV `fold,distance,same` or `distance,same` (then `--folds` in file order).
    Pairs(PairsArgs),
    /// LFW: View 2 pairs.txt (10 folds) or View 1 pairsDevTrain/DevTest, images `name/name_%04d.jpg`.
    Lfw(LfwArgs),
    /// YouTube Faces: mean distance over the first frames with a face of two videos, 10 splits.
    Ytf(YtfArgs),
}

/// What every protocol shares.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The FAR at which VAL is reported.
    #[arg(value_parser = super::ranges::far, long, default_value_t = PAPER_TARGET_FAR)]
    far: f64,
    /// Also write report.json, roc.png, histogram.png and index.html into this folder.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PairsArgs {
    /// The score file.
    #[arg(long)]
    scores: PathBuf,
    /// Folds of consecutive pairs when the file has no fold column.
    #[arg(value_parser = super::ranges::folds, long, default_value_t = 10)]
    folds: usize,
    #[command(flatten)]
    report: ReportArgs,
}

/// How protocol photos become face crops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Align {
    /// Detect and align; the most prominent face of each photo.
    Mtcnn,
    /// No detector: each photo's fixed centre crop (the paper's 98.87 % LFW setting).
    CenterCrop,
}

/// The flags of protocols that embed photos.
#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// Average each photo's embedding with its mirror's (renormalised).
    #[arg(long)]
    flip: bool,
    /// How faces are found.
    #[arg(long, value_enum, default_value = "mtcnn")]
    align: Align,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(Debug, clap::Args)]
pub struct LfwArgs {
    /// The LFW image folder (one folder per person).
    #[arg(long)]
    dir: PathBuf,
    /// pairs.txt (View 2) or pairsDevTrain.txt / pairsDevTest.txt (View 1).
    #[arg(long)]
    pairs: PathBuf,
    #[command(flatten)]
    embed: EmbedArgs,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Debug, clap::Args)]
pub struct YtfArgs {
    /// The frame folder (`name/video/frames`).
    #[arg(long)]
    dir: PathBuf,
    /// splits.tsv.
    #[arg(long)]
    splits: PathBuf,
    /// videos.tsv.
    #[arg(long)]
    videos: PathBuf,
    /// Frames with a face used per video (the paper: 100).
    #[arg(value_parser = super::ranges::count, long, default_value_t = PAPER_FRAMES)]
    frames: usize,
    #[command(flatten)]
    embed: EmbedArgs,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(command: EvalCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        EvalCommand::Pairs(args) => {
            let scored = read_scores(&args.scores)?.into_scored(args.folds)?;
            finish(
                &scored,
                &args.report,
                &format!("scores {}", file_name(&args.scores)),
                ctx,
            )
        }
        EvalCommand::Lfw(args) => {
            let pairs = read_lfw_pairs(&args.pairs)?;
            let pipeline = args.embed.pipeline.build()?;
            let embedder = protocol_embedder(&pipeline, &args.embed);
            let scored = evaluate_lfw(&args.dir, &pairs, pipeline.model_info().metric, |p: &Path| {
                embedder.embed(p)
            })?;
            finish(
                &scored,
                &args.report,
                &format!("LFW {}, {}", file_name(&args.pairs), pipeline.model_info().id),
                ctx,
            )
        }
        EvalCommand::Ytf(args) => {
            let protocol = read_ytf(&args.videos, &args.splits)?;
            let pipeline = args.embed.pipeline.build()?;
            let embedder = protocol_embedder(&pipeline, &args.embed);
            let metric = pipeline.model_info().metric;
            let scored = evaluate_ytf(&args.dir, &protocol, args.frames, metric, |p: &Path| embedder.embed(p))?;
            finish(
                &scored,
                &args.report,
                &format!("YouTube Faces, {}", pipeline.model_info().id),
                ctx,
            )
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn protocol_embedder<'a>(pipeline: &'a FacePipeline, args: &EmbedArgs) -> ProtocolEmbedder<'a> {
    let crop = match args.align {
        Align::Mtcnn => FaceCrop::Detector,
        Align::CenterCrop => FaceCrop::CenterCrop,
    };
    ProtocolEmbedder::new(pipeline, crop, args.flip, args.pipeline.spec().load)
}

/// Evaluates, prints (table or JSON), writes the report folder; pairs skipped make the status
/// `SomeFailed`.
fn finish(scored: &ScoredPairs, args: &ReportArgs, title: &str, ctx: &Ctx) -> anyhow::Result<Status> {
    let report = scored.evaluate(args.far)?;
    for skipped in &report.skipped {
        eprintln!(
            "skipped line {} ({} / {}): {}",
            skipped.line, skipped.first, skipped.second, skipped.reason
        );
    }
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        print_table(&report);
    }
    if let Some(dir) = &args.report {
        let json = serde_json::to_value(&report)?;
        let notes = skipped_notes(&report);
        let input = ReportInput {
            title,
            json: &json,
            evaluation: &report.evaluation,
            distances: &scored.distances,
            same: &scored.same,
            notes: &notes,
        };
        let files = write_report(dir, &input)?;
        eprintln!("report: {}", files.html.display());
    }
    Ok(Status::from_failures(report.skipped_pairs))
}

/// At most this many skipped pairs are listed on the report page.
const NOTES_LISTED: usize = 50;

fn skipped_notes(report: &ProtocolReport) -> Vec<String> {
    let mut notes: Vec<String> = report
        .skipped
        .iter()
        .take(NOTES_LISTED)
        .map(|s| format!("skipped line {}: {}", s.line, s.reason))
        .collect();
    if report.skipped_pairs > NOTES_LISTED {
        notes.push(format!(
            "… {} skipped pairs in all (see report.json)",
            report.skipped_pairs
        ));
    }
    notes
}

fn print_table(report: &ProtocolReport) {
    let e = &report.evaluation;
    let cv = &e.cross_validation;
    let pct = |x: f64| format!("{:.2} %", 100.0 * x);
    println!(
        "{} pairs ({} same, {} different), {} folds, {} skipped",
        e.pairs,
        e.n_same,
        e.n_diff,
        cv.folds.len(),
        report.skipped_pairs
    );
    println!(
        "{:>5} {:>6} {:>10} {:>9} {:>14} {:>9} {:>8}",
        "fold", "pairs", "threshold", "accuracy", "VAL threshold", "VAL", "FAR"
    );
    for f in &cv.folds {
        println!(
            "{:>5} {:>6} {:>10.4} {:>9} {:>14.4} {:>9} {:>8}",
            f.fold,
            f.pairs,
            f.threshold,
            pct(f.accuracy),
            f.val_threshold,
            pct(f.val),
            pct(f.far)
        );
    }
    println!(
        "accuracy {} ± {} (standard error; std {})",
        pct(cv.accuracy_mean),
        pct(cv.accuracy_se),
        pct(cv.accuracy_std)
    );
    println!(
        "VAL {} ± {} @ FAR {:e} (measured FAR {})",
        pct(cv.val_mean),
        pct(cv.val_std),
        cv.target_far,
        pct(cv.far_mean)
    );
    println!(
        "AUC {:.6}, EER {} at threshold {:.4}",
        e.auc,
        pct(e.eer),
        e.eer_threshold
    );
}
