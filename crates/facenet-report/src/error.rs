//! The one error type of facenet-report.

use std::path::PathBuf;

/// Errors of facenet-report; each message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A chart could not be drawn or encoded.
    #[error("chart {path}: {message}")]
    Chart { path: PathBuf, message: String },
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Data a chart or report cannot show (names the data and why).
    #[error("invalid report data: {0}")]
    Invalid(String),
}

/// Result with facenet-report's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
