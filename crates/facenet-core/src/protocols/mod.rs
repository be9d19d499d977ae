//! Evaluation protocols: the files that say which pairs to compare, and runners that evaluate a model
//! on them through any embedding source.
//!
//! - [`lfw`]: Labeled Faces in the Wild — View 2 `pairs.txt` (10 folds × 300 same + 300 different),
//!   View 1 `pairsDevTrain.txt` / `pairsDevTest.txt`; [`lfw::evaluate_lfw`].
//! - [`ytf`]: YouTube Faces — `videos.tsv`, `splits.tsv` (10 splits × 500 pairs); [`ytf::evaluate_ytf`]
//!   with the paper's video distance.
//! - [`scores`]: precomputed `fold,distance,same` CSV files.
//!
//! Every parser reports a malformed file as [`crate::Error::Parse`]: `file:line: problem`.
//! The runners take the embedding source as a closure `Fn(&Path) -> Result<Option<Embedding>, E>`
//! (`Ok(None)`: no face found), so they need no image or network code: the CLI passes a
//! `FacePipeline`, tests pass a fake.

pub mod lfw;
pub mod scores;
pub mod ytf;

use crate::distance::Metric;
use crate::metrics::{Evaluation, Folds, evaluate};
use crate::{Embedding, Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;

/// A parse error at `line` (1-based) of `source`.
pub(crate) fn parse_error(source: &str, line: usize, message: String) -> Error {
    Error::Parse {
        path: source.to_string(),
        line,
        message,
    }
}

/// The whole text of a protocol file.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// A pair a protocol run could not score, and why (missing image, no face detected, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPair {
    /// The pair's line in the protocol file.
    pub line: usize,
    pub fold: u32,
    pub first: String,
    pub second: String,
    pub reason: String,
}

/// The pairs a protocol run scored, ready for [`crate::metrics::evaluate`], and those it skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoredPairs {
    pub distances: Vec<f64>,
    pub same: Vec<bool>,
    pub fold_labels: Vec<u32>,
    pub skipped: Vec<SkippedPair>,
}

/// One protocol pair as a runner sees it: its two sides (keys of what was embedded), truth, fold, line
/// and printable names.
pub(crate) struct ProtocolPair<K> {
    pub first: K,
    pub second: K,
    pub same: bool,
    pub fold: u32,
    pub line: usize,
    pub names: (String, String),
}

/// Scores each pair whose two sides were embedded with `distance`; lists the others as skipped, with
/// the reason of their first failed side.
pub(crate) fn score_pairs<K: Eq + Hash, T>(
    pairs: impl IntoIterator<Item = ProtocolPair<K>>,
    embedded: &HashMap<K, std::result::Result<T, String>>,
    distance: impl Fn(&T, &T) -> Result<f64>,
) -> Result<ScoredPairs> {
    let mut scored = ScoredPairs::default();
    for pair in pairs {
        match (&embedded[&pair.first], &embedded[&pair.second]) {
            (Ok(a), Ok(b)) => {
                scored.distances.push(distance(a, b)?);
                scored.same.push(pair.same);
                scored.fold_labels.push(pair.fold);
            }
            (Err(reason), _) | (_, Err(reason)) => scored.skipped.push(SkippedPair {
                line: pair.line,
                fold: pair.fold,
                first: pair.names.0,
                second: pair.names.1,
                reason: reason.clone(),
            }),
        }
    }
    Ok(scored)
}

/// The distance between two embeddings under `metric`, as f64.
pub(crate) fn pair_distance(metric: Metric, a: &Embedding, b: &Embedding) -> Result<f64> {
    if a.dim() != b.dim() {
        return Err(Error::DimensionMismatch {
            expected: a.dim(),
            got: b.dim(),
        });
    }
    Ok(f64::from(metric.distance(a.as_slice(), b.as_slice())))
}

/// A protocol run's report: the [`Evaluation`] (its JSON fields at the top level) and the pairs skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolReport {
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// How many pairs were skipped.
    pub skipped_pairs: usize,
    pub skipped: Vec<SkippedPair>,
}

impl ScoredPairs {
    /// Evaluates the scored pairs over their folds at `target_far`; the skipped pairs are carried along.
    pub fn evaluate(&self, target_far: f64) -> Result<ProtocolReport> {
        if self.distances.is_empty() {
            let first = self
                .skipped
                .first()
                .map_or(String::new(), |s| format!(" (first: {})", s.reason));
            return Err(Error::Invalid(format!(
                "no pair could be scored: {} skipped{first}",
                self.skipped.len()
            )));
        }
        let folds = Folds::from_labels(&self.fold_labels)?;
        Ok(ProtocolReport {
            evaluation: evaluate(&self.distances, &self.same, &folds, target_far)?,
            skipped_pairs: self.skipped.len(),
            skipped: self.skipped.clone(),
        })
    }
}
