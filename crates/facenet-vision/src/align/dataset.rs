//! Preprocessing a photo collection into aligned face crops, the equivalent of davidsandberg/facenet's
//! `align_dataset_mtcnn.py`: a folder-per-identity dataset (`ROOT/identity/photo.jpg`) becomes
//! `OUT/identity/photo.png`, one crop per photo (its most prominent face), photos in parallel (rayon).
//! Resumable: a photo whose crop already exists is skipped. A photo that fails is reported in its
//! result and the others go on; a photo without a face is an outcome, not an error.

use crate::{Aligner, Detector, Error, FaceAligner, LoadOptions, Result, load_rgb};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One photo and where its crop goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CropTask {
    pub source: PathBuf,
    pub target: PathBuf,
}

/// What happened to one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CropOutcome {
    /// The crop was written; the photo had this many faces.
    Written { faces: usize },
    /// The crop existed already.
    Skipped,
    /// No face was found; nothing was written.
    NoFace,
}

/// File extensions read as photos in a folder (lowercase; any case matches). Every command that takes
/// folders finds photos by this list.
pub const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif"];

/// Where each photo's output goes (crops, and drawings of `facenet detect --draw`): a photo `p` gives
/// `out_dir/p-stem.png`; a folder `D` gives `out_dir/rel.png` for every photo `D/rel` below it (so
/// `D/identity/x.jpg` → `out_dir/identity/x.png`, relative folders kept). Sorted by source path. Two
/// photos that would write one file (`x/a.jpg` and `y/a.jpg` given as files, or `a.jpg` and `a.png`)
/// are an error naming both, before anything is written: outputs never overwrite each other.
pub fn crop_tasks(inputs: &[PathBuf], out_dir: &Path) -> Result<Vec<CropTask>> {
    let mut tasks = Vec::new();
    for input in inputs {
        if input.is_dir() {
            for photo in photos_below(input)? {
                let relative = photo.strip_prefix(input).unwrap_or(&photo).with_extension("png");
                tasks.push(CropTask {
                    target: out_dir.join(relative),
                    source: photo,
                });
            }
        } else {
            let stem = input
                .file_stem()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("face"));
            tasks.push(CropTask {
                source: input.clone(),
                target: out_dir.join(stem).with_extension("png"),
            });
        }
    }
    tasks.sort_by(|a, b| a.source.cmp(&b.source));
    refuse_shared_targets(&tasks)?;
    Ok(tasks)
}

fn refuse_shared_targets(tasks: &[CropTask]) -> Result<()> {
    let mut by_target: std::collections::HashMap<&Path, &Path> = std::collections::HashMap::new();
    for task in tasks {
        if let Some(first) = by_target.insert(&task.target, &task.source) {
            return Err(Error::Invalid(format!(
                "{} and {} would both be written to {}; give their folder instead, or run them separately",
                first.display(),
                task.source.display(),
                task.target.display()
            )));
        }
    }
    Ok(())
}

/// Every photo (by extension) below `dir`, recursively.
pub fn photos_below(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        path: dir.into(),
        source,
    };
    let mut photos = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            photos.extend(photos_below(&path)?);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            photos.push(path);
        } else {
            tracing::debug!(
                "skipping {}: not a photo ({})",
                path.display(),
                PHOTO_EXTENSIONS.join(", ")
            );
        }
    }
    Ok(photos)
}

/// Crops the most prominent face of `task.source` into `task.target` (PNG), unless the target exists.
pub fn crop_photo(
    detector: &dyn Detector,
    aligner: &Aligner,
    load: &LoadOptions,
    task: &CropTask,
) -> Result<CropOutcome> {
    if task.target.exists() {
        return Ok(CropOutcome::Skipped);
    }
    let image = load_rgb(&task.source, load)?;
    let in_photo = |e: Error| match e {
        Error::Stage(m) | Error::Invalid(m) => Error::Stage(format!("{}: {m}", task.source.display())),
        other => other,
    };
    let detections = detector.detect(&image).map_err(in_photo)?;
    let Some(face) = detections
        .iter()
        .max_by(|a, b| a.prominence().total_cmp(&b.prominence()))
    else {
        return Ok(CropOutcome::NoFace);
    };
    let crop = aligner.align(&image, face).map_err(in_photo)?.image;
    let write_err = |source| Error::Io {
        path: task.target.clone(),
        source,
    };
    if let Some(dir) = task.target.parent() {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    // Write then rename, so an interrupted run never leaves a half crop that a resumed run would skip.
    let partial = task.target.with_extension("partial.png");
    crop.save(&partial)
        .map_err(|e| Error::Stage(format!("{}: cannot write: {e}", partial.display())))?;
    std::fs::rename(&partial, &task.target).map_err(write_err)?;
    Ok(CropOutcome::Written {
        faces: detections.len(),
    })
}

/// [`crop_photo`] for every task, in parallel; `on_done` is called after each photo (progress bars).
/// One result per task, in order.
pub fn crop_all(
    detector: &dyn Detector,
    aligner: &Aligner,
    load: &LoadOptions,
    tasks: &[CropTask],
    on_done: &(dyn Fn(&CropTask, &Result<CropOutcome>) + Sync),
) -> Vec<Result<CropOutcome>> {
    tasks
        .par_iter()
        .map(|task| {
            let outcome = crop_photo(detector, aligner, load, task);
            on_done(task, &outcome);
            outcome
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BBox, Detection};
    use image::RgbImage;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Finds one face covering the middle of any photo wider than 10 px, none in smaller ones.
    struct CentreDetector;

    impl Detector for CentreDetector {
        fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>> {
            let (w, h) = (image.width() as f32, image.height() as f32);
            Ok(if w > 10.0 {
                vec![Detection {
                    bbox: BBox::new(w / 4.0, h / 4.0, 3.0 * w / 4.0, 3.0 * h / 4.0),
                    score: 0.9,
                    landmarks: None,
                }]
            } else {
                vec![]
            })
        }
    }

    #[test]
    fn crops_a_folder_per_identity_dataset_resumably_and_survives_a_bad_file() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        for (who, name, size) in [("alice", "a1.png", 40), ("alice", "a2.png", 8), ("bob", "b1.png", 30)] {
            std::fs::create_dir_all(data.join(who)).unwrap();
            RgbImage::new(size, size).save(data.join(who).join(name)).unwrap();
        }
        std::fs::write(data.join("bob").join("broken.jpg"), b"not a jpeg").unwrap();
        let out = root.path().join("out");
        let tasks = crop_tasks(std::slice::from_ref(&data), &out).unwrap();
        assert_eq!(tasks.len(), 4);
        assert_eq!(tasks[0].target, out.join("alice").join("a1.png"));

        let aligner = Aligner::tight(16, 0.0, 16).unwrap();
        let done = AtomicUsize::new(0);
        let results = crop_all(&CentreDetector, &aligner, &LoadOptions::default(), &tasks, &|_, _| {
            done.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(done.load(Ordering::Relaxed), 4);
        assert_eq!(results[0].as_ref().unwrap(), &CropOutcome::Written { faces: 1 });
        assert_eq!(results[1].as_ref().unwrap(), &CropOutcome::NoFace);
        assert_eq!(results[2].as_ref().unwrap(), &CropOutcome::Written { faces: 1 });
        assert!(results[3].as_ref().unwrap_err().to_string().contains("broken.jpg"));
        let crop = image::open(out.join("bob").join("b1.png")).unwrap();
        assert_eq!((crop.width(), crop.height()), (16, 16));

        let again = crop_all(&CentreDetector, &aligner, &LoadOptions::default(), &tasks, &|_, _| {});
        assert_eq!(again[0].as_ref().unwrap(), &CropOutcome::Skipped);
        assert_eq!(again[2].as_ref().unwrap(), &CropOutcome::Skipped);
    }

    #[test]
    fn two_photos_that_would_write_one_file_are_an_error_naming_both() {
        let root = tempfile::tempdir().unwrap();
        let (x, y) = (root.path().join("x/a.jpg"), root.path().join("y/a.jpg"));
        let out = root.path().join("out");
        let err = crop_tasks(&[x.clone(), y.clone()], &out).unwrap_err().to_string();
        assert!(
            err.contains(x.to_str().unwrap()) && err.contains(y.to_str().unwrap()) && err.contains("a.png"),
            "{err}"
        );
        // Given as folders, their relative paths keep them apart.
        for dir in ["x", "y"] {
            std::fs::create_dir_all(root.path().join(dir).join("trip")).unwrap();
            RgbImage::new(4, 4)
                .save(root.path().join(dir).join("trip/a.png"))
                .unwrap();
        }
        let tasks = crop_tasks(&[root.path().into()], &out).unwrap();
        let targets: Vec<_> = tasks.iter().map(|t| t.target.clone()).collect();
        assert_eq!(targets, [out.join("x/trip/a.png"), out.join("y/trip/a.png")]);
        // Same stem, two extensions, one folder: a collision too.
        RgbImage::new(4, 4).save(root.path().join("x/trip/a.bmp")).unwrap();
        assert!(crop_tasks(&[root.path().into()], &out).is_err());
    }
}
