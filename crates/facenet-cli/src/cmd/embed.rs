//! `facenet embed IMG…`: one row per face (detect → landmarks → chip → embedding); `--aligned` for
//! chips that are already aligned. Output: a table, `--json`, `--csv`, or `--npy OUT` (with a sidecar
//! CSV naming each row's photo, face and box).

use super::pipeline_args::PipelineArgs;
use super::{Status, report_failures};
use crate::output::{Ctx, FACE_COLUMNS, csv_stdout, face_fields};
use facenet::gallery::photos::find_photos;
use facenet::vision::tasks::{EmbeddingRow, embed_chips, embed_photos, write_npy};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// Photos (or, with --aligned, chips), or folders of them (searched recursively).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The inputs are aligned chips of the model's input size: no detection.
    #[arg(long)]
    pub aligned: bool,
    /// Scale embeddings to unit length (the dlib model prints raw descriptors otherwise).
    #[arg(long)]
    pub normalize: bool,
    /// Print CSV with a header: path,face,score,x1,y1,x2,y2,e0,…,e127 (box and score empty for chips).
    #[arg(long, conflicts_with = "npy")]
    pub csv: bool,
    /// Write the embeddings as a (faces × dim) float32 NumPy file, and beside it OUT's name with
    /// `.rows.csv` (row,path,face,score,x1,y1,x2,y2: which face each row is).
    #[arg(long, value_name = "OUT")]
    pub npy: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: EmbedArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let inputs = find_photos(&args.inputs)?;
    let outcomes = if args.aligned {
        let embedder = args.pipeline.build_embedder()?;
        embed_chips(embedder.as_ref(), &inputs, &args.pipeline.spec().load, args.normalize)
    } else {
        embed_photos(&args.pipeline.build()?, &inputs, args.normalize)
    };
    let (rows, failures) = report_failures(outcomes);
    if let Some(out) = &args.npy {
        let sidecar = write_npy_with_sidecar(out, &rows)?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "npy": out, "rows": sidecar, "faces": rows.len() }))?;
        }
        eprintln!(
            "wrote {} embeddings to {} (which path and face each row is: {})",
            rows.len(),
            out.display(),
            sidecar.display()
        );
    } else if ctx.json {
        ctx.print_json(&rows)?;
    } else if args.csv {
        write_csv(&rows)?;
    } else {
        rows.iter().for_each(|row| println!("{}", table_line(row)));
    }
    Ok(Status::from_failures(failures))
}

/// Writes the embeddings to `out` and, beside it, `NAME.rows.csv`: one row per embedding, in order, with
/// `row` and the face columns (path, face, score, box). Returns the sidecar's path.
fn write_npy_with_sidecar(out: &Path, rows: &[EmbeddingRow]) -> anyhow::Result<PathBuf> {
    let dim = rows.first().map_or(0, |r| r.embedding.len());
    let embeddings: Vec<Vec<f32>> = rows.iter().map(|r| r.embedding.clone()).collect();
    write_npy(out, &embeddings, dim)?;
    let sidecar = out.with_extension("rows.csv");
    let failed = |e: csv::Error| anyhow::anyhow!("{}: {e}", sidecar.display());
    let mut writer = csv::Writer::from_path(&sidecar).map_err(failed)?;
    writer
        .write_record(std::iter::once("row").chain(FACE_COLUMNS))
        .map_err(failed)?;
    for (i, row) in rows.iter().enumerate() {
        let mut fields = vec![i.to_string()];
        fields.extend(face_fields(&row.path, row.face, row.score, row.bbox));
        writer.write_record(&fields).map_err(failed)?;
    }
    writer
        .flush()
        .map_err(|e| anyhow::anyhow!("{}: {e}", sidecar.display()))?;
    Ok(sidecar)
}

/// `path,face,score,x1,y1,x2,y2,e0,…` with a header.
fn write_csv(rows: &[EmbeddingRow]) -> anyhow::Result<()> {
    let dim = rows.first().map_or(0, |r| r.embedding.len());
    let mut writer = csv_stdout();
    let header: Vec<String> = FACE_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain((0..dim).map(|i| format!("e{i}")))
        .collect();
    writer.write_record(&header)?;
    for row in rows {
        let mut fields = face_fields(&row.path, row.face, row.score, row.bbox);
        fields.extend(row.embedding.iter().map(|v| v.to_string()));
        writer.write_record(&fields)?;
    }
    writer.flush()?;
    Ok(())
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
