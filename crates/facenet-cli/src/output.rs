//! How commands print: a table for people, JSON on stdout with `--json`, or CSV with `--csv`.
//!
//! CSV convention (every `--csv`, and the `--npy` sidecar): RFC 4180 through the `csv` crate (a field
//! with a comma, quote or newline is quoted), one header row, and the columns of a face in this order:
//! `path,face,score,x1,y1,x2,y2`, then the command's own columns (`detect`: `lx1,ly1 … lx5,ly5`;
//! `embed`: `e0 … e127`). Empty fields where a value does not exist (no box for an aligned chip).

use serde::Serialize;

/// What every command gets from the global flags.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `--json`: one JSON document on stdout.
    pub json: bool,
}

impl Ctx {
    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}

/// The columns every CSV row of a face starts with.
pub const FACE_COLUMNS: [&str; 7] = ["path", "face", "score", "x1", "y1", "x2", "y2"];

/// A CSV writer on stdout (see the module doc for the convention).
pub fn csv_stdout() -> csv::Writer<std::io::Stdout> {
    csv::Writer::from_writer(std::io::stdout())
}

/// The leading fields of a face's row: path, face index, score, box (empty when absent).
pub fn face_fields(path: &std::path::Path, face: usize, score: Option<f32>, bbox: Option<[f32; 4]>) -> Vec<String> {
    let mut fields = vec![path.display().to_string(), face.to_string()];
    fields.push(score.map(|s| s.to_string()).unwrap_or_default());
    fields.extend(match bbox {
        Some(b) => b.map(|v| v.to_string()),
        None => Default::default(),
    });
    fields
}

/// Bytes as a short human size (1.2 MB).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
