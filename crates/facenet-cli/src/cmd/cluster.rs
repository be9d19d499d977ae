//! `facenet cluster`: group an unlabelled photo collection by person, with a contact sheet per cluster;
//! and `facenet cluster-eval`: score clustering against a gallery's known identities to pick a threshold.

use super::Status;
use super::gallery::DbArg;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::core::cluster::CannotLink;
use facenet::gallery::cluster::{
    Cluster, ClusterMethod, ClusterOptions, cluster_records, evaluate, group_ids, link_clusters, prepare_output_dir,
    write_contact_sheets,
};
use facenet::gallery::photos::find_photos;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MethodArg {
    /// Average-linkage agglomerative clustering cut at the threshold (at most 30,000 faces).
    Agglomerative,
    /// dlib's Chinese whispers on the graph of pairs closer than the threshold.
    ChineseWhispers,
}

impl From<MethodArg> for ClusterMethod {
    fn from(arg: MethodArg) -> Self {
        match arg {
            MethodArg::Agglomerative => ClusterMethod::Agglomerative,
            MethodArg::ChineseWhispers => ClusterMethod::ChineseWhispers,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Folders (searched recursively) or photos.
    #[arg(value_name = "DIR", required = true)]
    dirs: Vec<PathBuf>,
    /// Where to write the clusters (JSON: a list of {id, faces: [{path, face, box}]}).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Faces farther apart than this are different people (default: the model's clustering threshold,
    /// measured per model: facenet 1.3, dlib 0.6, a checkpoint its own). Faces of one photo are always
    /// different people.
    #[arg(value_parser = super::ranges::distance, long)]
    threshold: Option<f32>,
    #[arg(long, value_enum, default_value = "agglomerative")]
    method: MethodArg,
    /// Also make OUT_DIR/cluster_NNN/ folders of links to each cluster's photos.
    #[arg(long, value_name = "OUT_DIR")]
    link: Option<PathBuf>,
    /// Where the contact sheets go (default: a `<out>.sheets` folder beside --out).
    #[arg(long, value_name = "DIR")]
    sheets: Option<PathBuf>,
    /// A run owns its output: an existing --out file, or a non-empty sheets or --link folder, is refused
    /// unless this is given, which replaces them (removing the `cluster_*` entries an earlier run wrote;
    /// a folder holding anything else is still refused).
    #[arg(long)]
    overwrite: bool,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(args: ClusterArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let photos = find_photos(&args.dirs)?;
    anyhow::ensure!(!photos.is_empty(), "no photos in {:?}", args.dirs);
    anyhow::ensure!(
        args.overwrite || !args.out.exists(),
        "{}: exists (an earlier run's output?); pass --overwrite to replace it",
        args.out.display()
    );
    let sheets_dir = args.sheets.clone().unwrap_or_else(|| sibling(&args.out, ".sheets"));
    // Before the slow part, so a refused run costs nothing.
    for dir in std::iter::once(&sheets_dir).chain(&args.link) {
        prepare_output_dir(dir, args.overwrite)?;
    }
    let pipeline = args.pipeline.build()?;
    let info = pipeline.model_info().clone();
    let mut records = Vec::new();
    let mut failures = 0;
    for result in pipeline.process_paths(&photos) {
        match result {
            Ok(faces) => records.extend(faces),
            Err(e) => {
                failures += 1;
                eprintln!("error: {e}");
            }
        }
    }
    let options = ClusterOptions::new(
        args.method.into(),
        args.threshold.unwrap_or(info.cluster_threshold),
        info.metric,
    );
    let clusters = cluster_records(&records, &options)?;
    write_json(&args.out, &clusters)?;
    write_contact_sheets(&clusters, &sheets_dir, &args.pipeline.spec().load)?;
    if let Some(dir) = &args.link {
        link_clusters(&clusters, dir)?;
    }
    if ctx.json {
        ctx.print_json(&clusters)?;
    } else {
        println!(
            "{} faces in {} photos → {} clusters; {} and contact sheets in {}",
            records.len(),
            photos.len(),
            clusters.len(),
            args.out.display(),
            sheets_dir.display()
        );
    }
    Ok(Status::from_failures(failures))
}

#[derive(Debug, clap::Args)]
pub struct ClusterEvalArgs {
    /// A gallery whose subjects are the true identities.
    #[command(flatten)]
    db: DbArg,
    /// Thresholds to try, comma-separated (default: 0.5×, 0.75×, 1×, 1.25×, 1.5× the gallery model's).
    #[arg(value_parser = super::ranges::distance, long, value_delimiter = ',')]
    threshold: Vec<f32>,
    #[arg(long, value_enum, default_value = "agglomerative")]
    method: MethodArg,
}

pub fn run_eval(args: ClusterEvalArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let gallery = args.db.open_existing()?;
    let model = gallery.require_model()?.clone();
    let (mut embeddings, mut labels, mut photos) = (Vec::new(), Vec::new(), Vec::new());
    gallery.for_each_face(1_000, |face| {
        photos.push(face.face.source.map(|s| s.sha256));
        embeddings.push(face.face.embedding.into_vec());
        labels.push(face.subject);
        Ok(())
    })?;
    let groups = group_ids(photos);
    let thresholds = if args.threshold.is_empty() {
        [0.5, 0.75, 1.0, 1.25, 1.5].map(|f| f * model.threshold).to_vec()
    } else {
        args.threshold
    };
    let rows = evaluate(
        &embeddings,
        &labels,
        &thresholds,
        &ClusterOptions::new(args.method.into(), 0.0, model.metric),
        CannotLink::groups(&groups),
    )?;
    if ctx.json {
        ctx.print_json(&rows)?;
        return Ok(Status::Ok);
    }
    println!(
        "{} faces of {} identities ({:?}, model {})",
        embeddings.len(),
        gallery.subjects()?.len(),
        model.metric,
        model.id
    );
    println!(
        "{:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "threshold", "clusters", "pair P", "pair R", "pair F", "B³ P", "B³ R", "B³ F"
    );
    for r in &rows {
        println!(
            "{:>9.3} {:>8} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4}",
            r.threshold,
            r.clusters,
            r.pairwise.precision,
            r.pairwise.recall,
            r.pairwise.f,
            r.bcubed.precision,
            r.bcubed.recall,
            r.bcubed.f
        );
    }
    Ok(Status::Ok)
}

fn write_json(path: &PathBuf, clusters: &[Cluster]) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct ClusterFile<'a> {
        clusters: &'a [Cluster],
    }
    let json = serde_json::to_string_pretty(&ClusterFile { clusters })?;
    std::fs::write(path, json).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `clusters.json` → `clusters.json<suffix>` beside it.
fn sibling(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
