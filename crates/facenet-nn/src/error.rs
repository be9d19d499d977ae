//! The one error type of facenet-nn.

/// Errors of facenet-nn; each message names the file, layer or model involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model or detector named on the command line is not available.
    #[error("{0}")]
    Unavailable(String),
    /// An asset could not be located or fetched.
    #[error(transparent)]
    Asset(#[from] facenet_assets::Error),
    /// A checkpoint (config or weights) that cannot be read or does not match its config.
    #[error("{}: {message}", path.display())]
    Checkpoint { path: std::path::PathBuf, message: String },
    /// A setting, file or value a run cannot use (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// A computation of facenet-core failed (mining, metrics).
    #[error(transparent)]
    Core(#[from] facenet_core::Error),
    /// An image-side failure (loading, alignment).
    #[error(transparent)]
    Vision(#[from] facenet_vision::Error),
    /// A weight file could not be read or converted (missing, truncated, corrupt, wrong shapes).
    #[error("{}: cannot load weights: {message}", path.display())]
    Weights { path: std::path::PathBuf, message: String },
}

impl Error {
    /// A [`Error::Weights`] for the file at `path`.
    pub(crate) fn weights(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        Error::Weights { path: path.into(), message: message.to_string() }
    }
}

/// Result with facenet-nn's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for facenet_vision::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Vision(v) => v,
            other => facenet_vision::Error::Stage(other.to_string()),
        }
    }
}
