//! [`write_report`]: a folder a person can open — `report.json`, `roc.png`, `histogram.png` and
//! `index.html` joining them.

use crate::chart::{distance_histogram, roc_chart};
use crate::html::page;
use crate::{Error, Result};
use facenet_core::metrics::{Evaluation, mean};
use std::path::{Path, PathBuf};

/// The most ROC points drawn (the curve of millions of pairs is thinned evenly).
const MAX_ROC_POINTS: usize = 5000;

/// What a report shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The page and chart title (e.g. "LFW View 2, dlib").
    pub title: &'a str,
    /// The document written to `report.json` (the command's `--json` output).
    pub json: &'a serde_json::Value,
    pub evaluation: &'a Evaluation,
    /// The pairs evaluated, for the histogram.
    pub distances: &'a [f64],
    pub same: &'a [bool],
    /// Lines listed under "Notes" (e.g. skipped pairs).
    pub notes: &'a [String],
}

/// The files of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    pub json: PathBuf,
    pub roc: PathBuf,
    pub histogram: PathBuf,
    pub html: PathBuf,
}

/// Writes the report into `dir` (created if missing). The histogram's threshold is the mean of the
/// folds' best-accuracy thresholds.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<ReportFiles> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.into(),
        source,
    })?;
    let files = ReportFiles {
        json: dir.join("report.json"),
        roc: dir.join("roc.png"),
        histogram: dir.join("histogram.png"),
        html: dir.join("index.html"),
    };
    let evaluation = input.evaluation;
    let json = serde_json::to_string_pretty(input.json).map_err(|e| Error::Invalid(format!("report json: {e}")))?;
    write(&files.json, &json)?;
    let cv = &evaluation.cross_validation;
    roc_chart(
        &files.roc,
        &format!("{}: ROC", input.title),
        &evaluation.roc.thinned(MAX_ROC_POINTS),
        cv.target_far,
    )?;
    let threshold = mean(&cv.folds.iter().map(|f| f.threshold).collect::<Vec<_>>());
    distance_histogram(
        &files.histogram,
        &format!("{}: distances", input.title),
        input.distances,
        input.same,
        threshold,
    )?;
    let names = [
        ("roc.png", "ROC curve (log FAR)".to_string()),
        (
            "histogram.png",
            format!("distances of same and different pairs, threshold {threshold:.4}"),
        ),
        ("report.json", "report.json (all figures)".to_string()),
    ];
    let names: Vec<(&str, &str)> = names.iter().map(|(f, c)| (*f, c.as_str())).collect();
    write(&files.html, &page(input.title, evaluation, &names, input.notes))?;
    Ok(files)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}
