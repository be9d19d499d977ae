//! Photos in, gallery operations out: enrol a photo (skipping files already enrolled, by sha256),
//! identify every face of a photo, and find the photos of a folder tree.
//!
//! These take a [`FacePipeline`] (detector + aligner + embedder) and hand its embeddings to the
//! store, search and identification functions of this crate.

use crate::identify::{IdentifyOptions, identify_batch};
use crate::{Error, Gallery, NewFace, Result, SearchIndex};
use facenet_vision::align::dataset::photos_below;
use facenet_vision::tasks::{NO_PERSONS_FOUND, UsedFace, pick_face};
use facenet_vision::{BBox, FacePipeline};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use facenet_vision::align::dataset::PHOTO_EXTENSIONS;

/// What enrolling one photo did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EnrolOutcome {
    /// The photo's most prominent face (or the one asked for) was enrolled with this id.
    Enrolled {
        face_id: i64,
        /// Which face: index, box, score, and how many faces the photo held above the minimum score.
        enrolled_face: UsedFace,
    },
    /// A face of this file (same sha256) is already in the gallery.
    AlreadyEnrolled,
    /// The detector found no face.
    NoFace,
}

/// Enrols face `face` of the photo at `path` (detector order; the most prominent, box area × score, when
/// `None`) as `subject`, unless the gallery already holds this file. Only faces that pass the pipeline's
/// minimum score count. The gallery must be bound to the pipeline's model.
pub fn enroll_photo(
    gallery: &mut Gallery,
    pipeline: &FacePipeline,
    subject: &str,
    path: &Path,
    face: Option<usize>,
) -> Result<EnrolOutcome> {
    let sha256 = sha256_file(path)?;
    if gallery.contains_sha256(&sha256)? {
        return Ok(EnrolOutcome::AlreadyEnrolled);
    }
    let records = pipeline.process_path(path)?;
    let faces_in_photo = records.len();
    if faces_in_photo == 0 {
        return Ok(EnrolOutcome::NoFace);
    }
    let chosen = pick_face(path, records, face)?;
    let used = UsedFace::of(&chosen, faces_in_photo);
    // Another process may have enrolled this photo since the check above: the store's unique index
    // decides, and `None` says it did.
    match gallery.enroll(subject, &[NewFace::from_record(chosen, sha256)])?[0] {
        Some(face_id) => Ok(EnrolOutcome::Enrolled {
            face_id,
            enrolled_face: used,
        }),
        None => Ok(EnrolOutcome::AlreadyEnrolled),
    }
}

/// The warning for an enrolment that picked one face of several by prominence (`None` when the photo
/// held one face, or the face was asked for by index): the wrong person may have been enrolled.
pub fn several_faces_warning(outcome: &EnrolOutcome, face_asked: Option<usize>) -> Option<String> {
    match outcome {
        EnrolOutcome::Enrolled {
            enrolled_face: used, ..
        } if used.faces_in_photo > 1 && face_asked.is_none() => Some(format!(
            "{}: {} faces; enrolled the most prominent, {} (pass --face N to choose another)",
            used.path.display(),
            used.faces_in_photo,
            used.describe()
        )),
        _ => None,
    }
}

/// One face of a photo and who it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceMatch {
    pub path: PathBuf,
    /// The face's index in its photo (detector order); `None` on the row of a photo without a face.
    pub face: Option<usize>,
    /// The face's box; `None` on the row of a photo without a face.
    #[serde(rename = "box")]
    pub bbox: Option<BBox>,
    /// The subject, `unknown`, or `no_persons_found` for a photo without a face.
    pub name: String,
    /// Distance to the best subject in the model's metric (`None` for an empty gallery or no face).
    pub distance: Option<f32>,
}

/// Identifies every face of each photo; one result per photo, in order, so a bad file does not stop
/// the others. A photo without a face gives one row named [`NO_PERSONS_FOUND`].
pub fn identify_photos(
    index: &SearchIndex,
    pipeline: &FacePipeline,
    paths: &[PathBuf],
    options: &IdentifyOptions,
) -> Vec<Result<Vec<FaceMatch>>> {
    pipeline
        .process_paths(paths)
        .into_iter()
        .zip(paths)
        .map(|(records, path)| {
            let records = records?;
            if records.is_empty() {
                return Ok(vec![FaceMatch {
                    path: path.clone(),
                    face: None,
                    bbox: None,
                    name: NO_PERSONS_FOUND.into(),
                    distance: None,
                }]);
            }
            let queries: Vec<&[f32]> = records.iter().map(|r| r.embedding.as_slice()).collect();
            let answers = identify_batch(index, &queries, options);
            Ok(records
                .iter()
                .zip(answers)
                .map(|(r, a)| FaceMatch {
                    path: r.path.clone(),
                    face: Some(r.face),
                    bbox: Some(r.detection.bbox),
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

/// Every photo under `dirs` (recursively, by [`PHOTO_EXTENSIONS`]; anything else given directly is kept
/// whatever its name, so a missing or unreadable file is reported by the command that reads it while
/// the others go on), sorted. Every command that takes photos takes folders through this.
pub fn find_photos(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut photos = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            photos.push(dir.clone());
        } else {
            photos.extend(photos_below(dir)?);
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
