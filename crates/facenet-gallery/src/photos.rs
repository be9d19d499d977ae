//! Photos in, gallery operations out: enrol a photo (skipping files already enrolled, by sha256),
//! identify every face of a photo, and find the photos of a folder tree.
//!
//! These take a [`FacePipeline`] (detector + aligner + embedder) and hand its embeddings to the
//! store, search and identification functions of this crate.

use crate::identify::{IdentifyOptions, identify_batch};
use crate::{Error, Gallery, NewFace, Result, SearchIndex};
use facenet_vision::{BBox, FacePipeline};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// File extensions read as photos (lowercase).
pub const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif"];

/// What enrolling one photo did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EnrolOutcome {
    /// The photo's most prominent face was enrolled with this id.
    Enrolled { face_id: i64, faces_in_photo: usize },
    /// A face of this file (same sha256) is already in the gallery.
    AlreadyEnrolled,
    /// The detector found no face.
    NoFace,
}

/// Enrols the most prominent face (box area × score) of the photo at `path` as `subject`, unless the
/// gallery already holds this file. The gallery must be bound to the pipeline's model.
pub fn enroll_photo(
    gallery: &mut Gallery,
    pipeline: &FacePipeline,
    subject: &str,
    path: &Path,
) -> Result<EnrolOutcome> {
    let sha256 = sha256_file(path)?;
    if gallery.contains_sha256(&sha256)? {
        return Ok(EnrolOutcome::AlreadyEnrolled);
    }
    let records = pipeline.process_path(path)?;
    let faces_in_photo = records.len();
    let Some(best) = records
        .into_iter()
        .max_by(|a, b| a.detection.prominence().total_cmp(&b.detection.prominence()))
    else {
        return Ok(EnrolOutcome::NoFace);
    };
    let ids = gallery.enroll(subject, &[NewFace::from_record(best, sha256)])?;
    Ok(EnrolOutcome::Enrolled {
        face_id: ids[0],
        faces_in_photo,
    })
}

/// One face of a photo and who it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceMatch {
    pub path: PathBuf,
    #[serde(rename = "box")]
    pub bbox: BBox,
    /// The subject, or `unknown`.
    pub name: String,
    /// Distance to the best subject in the model's metric (`None` for an empty gallery).
    pub distance: Option<f32>,
}

/// Identifies every face of each photo; one result per photo, in order, so a bad file does not stop
/// the others.
pub fn identify_photos(
    index: &SearchIndex,
    pipeline: &FacePipeline,
    paths: &[PathBuf],
    options: &IdentifyOptions,
) -> Vec<Result<Vec<FaceMatch>>> {
    pipeline
        .process_paths(paths)
        .into_iter()
        .map(|records| {
            let records = records?;
            let queries: Vec<&[f32]> = records.iter().map(|r| r.embedding.as_slice()).collect();
            let answers = identify_batch(index, &queries, options);
            Ok(records
                .iter()
                .zip(answers)
                .map(|(r, a)| FaceMatch {
                    path: r.path.clone(),
                    bbox: r.detection.bbox,
                    name: a.name,
                    distance: a.distance,
                })
                .collect())
        })
        .collect()
}

/// Lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String> {
    facenet_assets::files::sha256_file(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

/// Every photo under `dirs` (recursively; files given directly are kept), sorted, by extension.
pub fn find_photos(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut photos = Vec::new();
    for dir in dirs {
        if dir.is_file() {
            photos.push(dir.clone());
        } else {
            walk(dir, &mut photos)?;
        }
    }
    photos.sort();
    Ok(photos)
}

/// A folder-per-identity tree: each subfolder of `root` is a subject named after it, holding its photos.
pub fn identity_folders(root: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let mut subjects = Vec::new();
    for dir in sorted_entries(root)? {
        if dir.is_dir() {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            subjects.push((name, find_photos(std::slice::from_ref(&dir))?));
        }
    }
    Ok(subjects)
}

fn walk(dir: &Path, photos: &mut Vec<PathBuf>) -> Result<()> {
    for path in sorted_entries(dir)? {
        if path.is_dir() {
            walk(&path, photos)?;
        } else if is_photo(&path) {
            photos.push(path);
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        path: dir.into(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_string() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            sha256_file(&dir.path().join("missing"))
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
    }

    #[test]
    fn photos_and_identity_folders_are_found_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "bob/2.JPG",
            "bob/1.png",
            "alice/x/deep.jpeg",
            "alice/notes.txt",
            "top.webp",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        let names = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&find_photos(&[dir.path().into()]).unwrap()),
            ["alice/x/deep.jpeg", "bob/1.png", "bob/2.JPG", "top.webp"]
        );
        let folders = identity_folders(dir.path()).unwrap();
        assert_eq!(
            folders.iter().map(|(n, p)| (n.as_str(), p.len())).collect::<Vec<_>>(),
            [("alice", 1), ("bob", 2)]
        );
    }
}
