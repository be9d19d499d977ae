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

const PHOTO_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif"];

/// The tasks for `inputs` into `out_dir`: a photo `p` gives `out_dir/p-stem.png`; a folder `D` gives
/// `out_dir/rel.png` for every photo `D/rel` below it (so `D/identity/x.jpg` → `out_dir/identity/x.png`).
/// Sorted by source path.
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
    Ok(tasks)
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
}
