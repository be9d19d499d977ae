//! The one error type of facenet-nn.

use std::path::PathBuf;

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
    /// A model file that is truncated, corrupt or not the expected network: the file, the layer (as
    /// dlib prints the network) and the byte offset.
    #[error("{}: {layer}: {detail}", path.display())]
    ModelFile {
        path: PathBuf,
        layer: String,
        detail: String,
    },
    /// A weight file that cannot be read, converted or written (missing, truncated, corrupt, wrong
    /// shapes), including the converted safetensors + JSON in the asset cache.
    #[error("{}: {detail}", path.display())]
    Weights { path: PathBuf, detail: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint (config or weights) that cannot be read or does not match its config.
    #[error("{}: {message}", path.display())]
    Checkpoint { path: PathBuf, message: String },
    /// A setting, file or value a run cannot use (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// A computation of facenet-core failed (mining, metrics).
    #[error(transparent)]
    Core(#[from] facenet_core::Error),
    /// An image-side failure (loading, alignment).
    #[error(transparent)]
    Vision(#[from] facenet_vision::Error),
    /// The device asked for cannot be had (`--device gpu` without an adapter or without the feature).
    #[error(transparent)]
    Device(#[from] facenet_kernels::device::DeviceError),
}

impl Error {
    /// A [`Error::Weights`] for the file at `path`.
    pub(crate) fn weights(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        Error::Weights {
            path: path.into(),
            detail: format!("cannot load weights: {message}"),
        }
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
