//! `facenet embed IMG…`: one row per face (detect → landmarks → chip → embedding); `--aligned` for
//! chips that are already aligned. Output: a table, `--json`, `--csv`, or `--npy OUT`.

use super::pipeline_args::PipelineArgs;
use super::{Status, report_failures};
use crate::output::Ctx;
use facenet::vision::tasks::{EmbeddingRow, embed_chips, embed_photos, write_npy};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// Photos (or, with --aligned, chips).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The inputs are aligned chips of the model's input size: no detection.
    #[arg(long)]
    pub aligned: bool,
    /// Scale embeddings to unit length (the dlib model prints raw descriptors otherwise).
    #[arg(long)]
    pub normalize: bool,
    /// Print CSV: path, face, x1, y1, x2, y2, score, then the embedding.
    #[arg(long, conflicts_with = "npy")]
    pub csv: bool,
    /// Write the embeddings as a (faces × dim) float32 NumPy file.
    #[arg(long, value_name = "OUT")]
    pub npy: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: EmbedArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let outcomes = if args.aligned {
        let embedder = args.pipeline.build_embedder()?;
        embed_chips(
            embedder.as_ref(),
            &args.inputs,
            &args.pipeline.spec().load,
            args.normalize,
        )
    } else {
        embed_photos(&args.pipeline.build()?, &args.inputs, args.normalize)
    };
    let (rows, failures) = report_failures(outcomes);
    if let Some(out) = &args.npy {
        let dim = rows.first().map_or(0, |r| r.embedding.len());
        let embeddings: Vec<Vec<f32>> = rows.iter().map(|r| r.embedding.clone()).collect();
        write_npy(out, &embeddings, dim)?;
        eprintln!("wrote {} embeddings to {}", rows.len(), out.display());
    } else if ctx.json {
        ctx.print_json(&rows)?;
    } else if args.csv {
        rows.iter().for_each(|row| println!("{}", csv_line(row)));
    } else {
        rows.iter().for_each(|row| println!("{}", table_line(row)));
    }
    Ok(Status::from_failures(failures))
}

fn csv_line(row: &EmbeddingRow) -> String {
    let bbox = row
        .bbox
        .map_or_else(|| ",,,".to_string(), |b| b.map(|v| v.to_string()).join(","));
    let score = row.score.map(|s| s.to_string()).unwrap_or_default();
    let values: Vec<String> = row.embedding.iter().map(|v| v.to_string()).collect();
    format!(
        "{},{},{bbox},{score},{}",
        row.path.display(),
        row.face,
        values.join(",")
    )
}

fn table_line(row: &EmbeddingRow) -> String {
    let bbox = row.bbox.map_or_else(
        || "aligned".to_string(),
        |b| format!("[{:.0}, {:.0}, {:.0}, {:.0}]", b[0], b[1], b[2], b[3]),
    );
    let head: Vec<String> = row.embedding.iter().take(4).map(|v| format!("{v:.4}")).collect();
    format!(
        "{}  face {}  {bbox}  [{}, …] ({} values)",
        row.path.display(),
        row.face,
        head.join(", "),
        row.embedding.len()
    )
}
