//! Folder-per-identity face sets (`DIR/identity/photo.{jpg,png}`: CASIA-WebFace, VGGFace2, LFW, the
//! synthetic sets of [`crate::synth`]) for training and evaluation.
//!
//! [`FaceDataset::open`] lists the tree, decodes every photo once in parallel through a [`FaceLoader`]
//! (aligned crops are resized; raw photos are detected and aligned on the fly when a detector and an
//! aligner are given) and drops, with a [`ScanReport`], unreadable files and identities left with fewer
//! than two photos (they cannot form an anchor-positive pair). Training batches are then loaded in
//! parallel with [`FaceLoader::load_batch`] and [`Augment`]ed; [`Prefetcher`] prepares the next batches
//! on a background thread while the current one trains.

mod augment;
mod loader;
mod prefetch;

pub use augment::Augment;
pub use loader::{FaceLoader, Preprocess, fit};
pub use prefetch::Prefetcher;

use crate::{Error, Result};
use facenet_core::mining::Sample;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The file extensions read as photos (case-insensitive).
const PHOTO_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// One identity: its folder name and its photos, sorted by file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFolder {
    pub name: String,
    pub photos: Vec<PathBuf>,
}

/// A usable folder-per-identity set: every identity has at least two readable photos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceDataset {
    pub root: PathBuf,
    pub identities: Vec<IdentityFolder>,
}

/// What [`FaceDataset::open`] left out, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanReport {
    /// Files that could not be read, decoded or aligned, with the error.
    pub unreadable: Vec<String>,
    /// Identities skipped for having fewer than two usable photos: (name, photos left).
    pub skipped_identities: Vec<(String, usize)>,
}

impl FaceDataset {
    /// Lists `root`, checks every photo with `loader` (in parallel) and keeps identities with ≥ 2 photos.
    pub fn open(root: &Path, loader: &FaceLoader) -> Result<(Self, ScanReport)> {
        let listed = list_identities(root)?;
        let mut report = ScanReport::default();
        let mut identities = Vec::with_capacity(listed.len());
        for mut identity in listed {
            let checks: Vec<Result<()>> = identity.photos.par_iter().map(|p| loader.load(p).map(|_| ())).collect();
            let mut kept = Vec::with_capacity(identity.photos.len());
            for (photo, check) in identity.photos.into_iter().zip(checks) {
                match check {
                    Ok(()) => kept.push(photo),
                    Err(e) => report.unreadable.push(e.to_string()),
                }
            }
            identity.photos = kept;
            if identity.photos.len() < 2 {
                report.skipped_identities.push((identity.name, identity.photos.len()));
            } else {
                identities.push(identity);
            }
        }
        Ok((
            Self {
                root: root.to_path_buf(),
                identities,
            },
            report,
        ))
    }

    /// Photo count per identity, in identity order (what [`facenet_core::mining::sample_batch`] takes).
    pub fn photos_per_identity(&self) -> Vec<usize> {
        self.identities.iter().map(|i| i.photos.len()).collect()
    }

    /// The number of photos.
    pub fn photo_count(&self) -> usize {
        self.identities.iter().map(|i| i.photos.len()).sum()
    }

    /// Every identity's first `per_identity` photos (or all it has), grouped by identity: an evaluation set.
    pub fn first_photos(&self, per_identity: usize) -> Vec<Sample> {
        let photos = |(identity, id): (usize, &IdentityFolder)| {
            (0..id.photos.len().min(per_identity)).map(move |image| Sample { identity, image })
        };
        self.identities.iter().enumerate().flat_map(photos).collect()
    }

    /// Splits off the last `held_out` identities (in name order) as a test set of unseen identities.
    pub fn split_held_out(mut self, held_out: usize) -> Result<(Self, Self)> {
        if held_out >= self.identities.len() {
            return Err(Error::Invalid(format!(
                "cannot hold out {held_out} of {} identities in {}",
                self.identities.len(),
                self.root.display()
            )));
        }
        let test = self.identities.split_off(self.identities.len() - held_out);
        let root = self.root.clone();
        Ok((self, Self { root, identities: test }))
    }
}

/// The identity folders under `root` (sorted) and their photo files (sorted); files of other types are
/// ignored, loose files at the top level too.
fn list_identities(root: &Path) -> Result<Vec<IdentityFolder>> {
    let mut identities = Vec::new();
    for dir in sorted_entries(root)? {
        if !dir.is_dir() {
            continue;
        }
        let photos = sorted_entries(&dir)?
            .into_iter()
            .filter(|p| p.is_file() && is_photo(p))
            .collect();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        identities.push(IdentityFolder { name, photos });
    }
    if identities.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: no identity folders (expected DIR/identity/photo.jpg)",
            root.display()
        )));
    }
    Ok(identities)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Layout, SynthSpec, write_dataset};

    #[test]
    fn open_skips_small_identities_and_unreadable_files_and_reports_them() {
        let dir = tempfile::tempdir().unwrap();
        write_dataset(
            &SynthSpec {
                identities: 3,
                per_identity: 3,
                size: 24,
                seed: 2,
            },
            Layout::Numbered,
            dir.path(),
            &|| {},
        )
        .unwrap();
        std::fs::write(dir.path().join("0001/0002.png"), b"not a png").unwrap();
        std::fs::write(dir.path().join("0001/notes.txt"), b"ignored").unwrap();
        std::fs::remove_file(dir.path().join("0002/0001.png")).unwrap();
        std::fs::remove_file(dir.path().join("0002/0002.png")).unwrap();
        let (dataset, report) = FaceDataset::open(dir.path(), &FaceLoader::crops(24, 24)).unwrap();
        assert_eq!(
            dataset.identities.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["0001", "0003"]
        );
        assert_eq!(dataset.photos_per_identity(), [2, 3]);
        assert_eq!(
            dataset
                .first_photos(2)
                .iter()
                .map(|s| (s.identity, s.image))
                .collect::<Vec<_>>(),
            [(0, 0), (0, 1), (1, 0), (1, 1)]
        );
        assert_eq!(report.unreadable.len(), 1);
        assert!(report.unreadable[0].contains("0002.png"), "{}", report.unreadable[0]);
        assert_eq!(report.skipped_identities, [("0002".to_string(), 1)]);
    }

    #[test]
    fn missing_or_empty_root_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = FaceDataset::open(dir.path(), &FaceLoader::crops(24, 24)).unwrap_err();
        assert!(err.to_string().contains(&dir.path().display().to_string()));
        assert!(FaceDataset::open(&dir.path().join("absent"), &FaceLoader::crops(24, 24)).is_err());
    }
}
