//! The one error type of facenet-core.

/// Errors of facenet-core; each message names the bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two vectors that must have one length do not.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    DimensionMismatch { expected: usize, got: usize },
    /// A value outside what the computation accepts (names the value and why).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A protocol or score file line that cannot be read.
    #[error("{path}:{line}: {message}")]
    Parse { path: String, line: usize, message: String },
    /// A file that cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result with facenet-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
