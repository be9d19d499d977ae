//! The cache's manifest: one entry per installed file, with its provenance and licence.

use crate::{AssetFile, Error, Package, Result, registry::Kind};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One installed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub kind: Kind,
    pub bytes: u64,
    pub sha256: String,
    pub licence: String,
    /// The registry package it came from, and that package's version and archive.
    pub package: String,
    pub version: String,
    pub archive: String,
    pub archive_sha256: String,
}

impl ManifestEntry {
    pub fn new(package: &Package, file: &AssetFile) -> Self {
        Self {
            name: file.name.into(),
            kind: file.kind,
            bytes: file.bytes,
            sha256: file.sha256.into(),
            licence: package.licence.into(),
            package: package.name.into(),
            version: package.version.into(),
            archive: package.archive.into(),
            archive_sha256: package.archive_sha256.into(),
        }
    }
}

/// All installed files, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub entries: Vec<ManifestEntry>,
}

impl Manifest {
    /// Reads `path`; a missing file is an empty manifest.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
                path: path.into(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes `path` atomically (temp file in the same folder, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("a manifest should always serialise");
        crate::cache::write_atomically(path, &json)
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&ManifestEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Adds or replaces the entry with the same name.
    pub fn upsert(&mut self, entry: ManifestEntry) {
        self.entries.retain(|e| e.name != entry.name);
        self.entries.push(entry);
        self.entries.sort_by(|a, b| a.name.cmp(&b.name));
    }
}
