//! The one error type of facenet-vision.

use std::path::PathBuf;

/// Errors of facenet-vision; each message names the file and the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not an image this build can decode, or its data is broken (truncated, corrupt).
    #[error("{}: not a readable image: {message}", path.display())]
    Decode { path: PathBuf, message: String },
    /// The declared size exceeds the pixel limit; refused before decoding (decompression bombs).
    #[error("{}: image is {width}×{height} = {pixels} pixels, over the limit of {limit} (raise --max-pixels to allow it)", path.display(), pixels = *width as u64 * *height as u64)]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        limit: u64,
    },
    /// A dlib model file (shape predictor) that is truncated or corrupt: the file, the item, the byte offset.
    #[error("{}: {source}", path.display())]
    DlibFile {
        path: PathBuf,
        #[source]
        source: crate::DlibFormatError,
    },
    /// An argument outside what the operation accepts.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A computation of facenet-core failed (metrics over too few pairs, mismatched dimensions).
    #[error(transparent)]
    Core(#[from] facenet_core::Error),
    /// A stage (detector, aligner, embedder) failed; the message says which and why.
    #[error("{0}")]
    Stage(String),
}

/// Result with facenet-vision's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
