//! `facenet identify`: who is in these photos? Every face gets the nearest gallery subject, or
//! `unknown` beyond the threshold; a photo without a face gets `no_persons_found` (face_recognition's
//! word) and exit code 1. The gallery must exist.

use super::Status;
use super::gallery::DbArg;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::gallery::photos::{FaceMatch, identify_photos};
use facenet::gallery::{Aggregation, Engine, GalleryModel, IdentifyOptions, SearchIndex};
use facenet::vision::tasks::NO_PERSONS_FOUND;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EngineArg {
    /// Exact below 2M faces, HNSW above.
    Auto,
    /// Exact scan of the f32 embeddings.
    F32,
    /// Exact scan of the int8 codes, re-ranked in f32.
    Int8,
    /// HNSW index saved beside the database, re-ranked in f32.
    Hnsw,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AggregationArg {
    /// The subject's nearest face.
    Min,
    /// The mean distance over all the subject's faces.
    Mean,
    /// Majority of the k nearest faces within the threshold.
    Vote,
}

#[derive(Debug, clap::Args)]
pub struct IdentifyArgs {
    #[command(flatten)]
    db: DbArg,
    /// Photos to identify.
    #[arg(value_name = "IMG", required = true)]
    images: Vec<PathBuf>,
    /// Distance beyond which a face is `unknown` (default: the model's threshold, in its metric).
    #[arg(value_parser = super::ranges::distance, long)]
    threshold: Option<f32>,
    /// How a subject's distance follows from its faces'.
    #[arg(long, value_enum, default_value = "min")]
    aggregation: AggregationArg,
    /// Neighbours that vote (`--aggregation vote`).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 5)]
    k: usize,
    /// Search engine.
    #[arg(long, value_enum, default_value = "auto")]
    engine: EngineArg,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(args: IdentifyArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let mut gallery = args.db.open_existing()?; // before the models load: a mistyped --db fails at once
    let pipeline = args.pipeline.build()?;
    gallery.accept_probes(pipeline.model_info())?; // its model, or one trained compatible with it
    let model = GalleryModel::from(pipeline.model_info());
    let index = SearchIndex::open(&gallery, engine(args.engine))?;
    let options = IdentifyOptions {
        threshold: args.threshold.unwrap_or(model.threshold),
        aggregation: aggregation(args.aggregation),
        k: args.k,
        ..IdentifyOptions::for_model(&model)
    };
    let mut matches: Vec<FaceMatch> = Vec::new();
    let mut failures = 0;
    for result in identify_photos(&index, &pipeline, &args.images, &options) {
        match result {
            Ok(faces) => matches.extend(faces),
            Err(e) => {
                failures += 1;
                eprintln!("error: {e}");
            }
        }
    }
    for m in matches.iter().filter(|m| m.name == NO_PERSONS_FOUND) {
        failures += 1;
        eprintln!("warning: {}: no face found", m.path.display());
    }
    if ctx.json {
        ctx.print_json(&matches)?;
    } else {
        for m in &matches {
            let bbox = m
                .bbox
                .map_or("-".into(), |b| format!("{:?}", b.to_array().map(|v| v.round() as i64)));
            let face = m.face.map_or("-".into(), |f| format!("face {f}"));
            let distance = m.distance.map_or("-".into(), |d| format!("{d:.3}"));
            println!("{}\t{face}\t{bbox}\t{}\t{distance}", m.path.display(), m.name);
        }
    }
    Ok(Status::from_failures(failures))
}

pub fn engine(arg: EngineArg) -> Engine {
    match arg {
        EngineArg::Auto => Engine::Auto,
        EngineArg::F32 => Engine::ExactF32,
        EngineArg::Int8 => Engine::ExactInt8,
        EngineArg::Hnsw => Engine::Hnsw,
    }
}

fn aggregation(arg: AggregationArg) -> Aggregation {
    match arg {
        AggregationArg::Min => Aggregation::Min,
        AggregationArg::Mean => Aggregation::Mean,
        AggregationArg::Vote => Aggregation::Vote,
    }
}
