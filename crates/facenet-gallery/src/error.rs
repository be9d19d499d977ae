//! The one error type of facenet-gallery.

use std::path::PathBuf;

/// Errors of facenet-gallery; each message names the gallery file or the bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A gallery that a reading command was given does not exist (or its folder does not).
    #[error("gallery {path}: {what}")]
    Missing { path: PathBuf, what: String },
    /// The file exists but is not a SQLite database, or is damaged.
    #[error("gallery {path}: not a facenet gallery or damaged ({reason})")]
    Corrupt { path: PathBuf, reason: String },
    /// A SQLite database of some other program.
    #[error("gallery {path}: a SQLite database, but not a facenet gallery (application id {application_id:#x})")]
    Foreign { path: PathBuf, application_id: i32 },
    /// Written by a newer facenet.
    #[error("gallery {path}: schema version {found} is newer than this facenet understands ({supported})")]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    /// The gallery holds embeddings of another model.
    #[error(
        "gallery {path} holds embeddings of model {stored:?} ({stored_dim}-D), not {requested:?} ({requested_dim}-D); \
         use the same --model, or another --db"
    )]
    ModelMismatch {
        path: PathBuf,
        stored: String,
        stored_dim: usize,
        requested: String,
        requested_dim: usize,
    },
    /// An operation that needs a model on a gallery that has none yet (nothing enrolled).
    #[error("gallery {path}: empty, no model recorded yet (enroll faces first)")]
    NoModel { path: PathBuf },
    /// A row whose stored embedding does not match the gallery's model or dimension.
    #[error("gallery {path}: face {face_id}: {problem}")]
    BadRow {
        path: PathBuf,
        face_id: i64,
        problem: String,
    },
    /// An embedding or argument the gallery cannot take (names it and why).
    #[error("{0}")]
    Invalid(String),
    /// No subject with this name.
    #[error("gallery {path}: no subject named {name:?}")]
    UnknownSubject { path: PathBuf, name: String },
    /// A subject with this name already exists.
    #[error("gallery {path}: a subject named {name:?} already exists")]
    SubjectExists { path: PathBuf, name: String },
    /// A line of a JSONL import that cannot be read.
    #[error("{path}:{line}: {message}")]
    Import {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A file that cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The ANN index beside the gallery cannot be read or written.
    #[error("ann index {path}: {message}")]
    Index { path: PathBuf, message: String },
    /// Any other SQLite failure, with the gallery it happened on.
    #[error("gallery {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// Any PostgreSQL failure (the server unreachable, a statement refused), with the gallery's URL
    /// (password left out).
    #[error("gallery {path}: {source}")]
    Postgres {
        path: PathBuf,
        #[source]
        source: postgres::Error,
    },
    /// A photo that cannot be read or processed (names the file).
    #[error(transparent)]
    Vision(#[from] facenet_vision::Error),
    /// A failure of facenet-core (clustering, dimensions).
    #[error(transparent)]
    Core(#[from] facenet_core::Error),
}

/// Result with facenet-gallery's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
