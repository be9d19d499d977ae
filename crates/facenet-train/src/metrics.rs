//! `RUN_DIR/metrics.jsonl`: one JSON object per line. Step lines carry `step`, `loss`, `lr`,
//! `active_triplets` (fraction of the step's triplets with a positive loss), `images_per_s`, `triplets`,
//! and on the first step of a mining round `mining` (the round's [`MiningStats`]); validation lines carry
//! `step` and `validation` ([`Validation`]).

use crate::embed::Validation;
use facenet_core::mining::MiningStats;
use facenet_nn::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsLine {
    pub step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_triplets: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triplets: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mining: Option<MiningStats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
}

/// The metrics file name in a run directory.
pub const METRICS_FILE: &str = "metrics.jsonl";

/// Appends lines to a run's metrics file.
pub struct MetricsLog {
    path: PathBuf,
    file: std::fs::File,
}

impl MetricsLog {
    /// Starts the log of `run_dir`, keeping the lines up to `keep_through_step` (a resumed run) or none.
    pub fn open(run_dir: &Path, keep_through_step: Option<u64>) -> Result<Self> {
        let path = run_dir.join(METRICS_FILE);
        let kept = match keep_through_step {
            Some(step) => read_metrics(&path)?.into_iter().filter(|l| l.step <= step).collect(),
            None => Vec::new(),
        };
        let io = |e: std::io::Error| Error::Invalid(format!("{}: cannot write: {e}", path.display()));
        let file = std::fs::File::create(&path).map_err(io)?;
        let mut log = Self { path, file };
        for line in &kept {
            log.append(line)?;
        }
        Ok(log)
    }

    pub fn append(&mut self, line: &MetricsLine) -> Result<()> {
        let json = serde_json::to_string(line).map_err(|e| Error::Invalid(format!("{}: {e}", self.path.display())))?;
        writeln!(self.file, "{json}").map_err(|e| Error::Invalid(format!("{}: cannot write: {e}", self.path.display())))
    }
}

/// Reads a metrics file (a missing file is empty); a malformed line is an error naming it.
pub fn read_metrics(path: &Path) -> Result<Vec<MetricsLine>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Invalid(format!("{}: cannot read: {e}", path.display()))),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| Error::Invalid(format!("{}:{}: {e}", path.display(), n + 1))))
        .collect()
}
