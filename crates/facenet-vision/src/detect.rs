//! Running a [`Detector`] over many photos, in parallel, one result per photo (one bad file does not
//! stop the others), and writing annotated copies.

use crate::{Detection, Detector, Error, LoadOptions, Result, draw, load_rgb};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The faces of each photo at `paths`, in order. A photo without a face gives an empty list.
pub fn detect_paths(detector: &dyn Detector, paths: &[PathBuf], load: &LoadOptions) -> Vec<Result<Vec<Detection>>> {
    paths.par_iter().map(|path| detect_path(detector, path, load)).collect()
}

/// The faces of the photo at `path`; errors name the file.
/// Logs (`-v`) the faces found and the time of each photo, (`-vv`) the decode time and size.
pub fn detect_path(detector: &dyn Detector, path: &Path, load: &LoadOptions) -> Result<Vec<Detection>> {
    let start = std::time::Instant::now();
    let image = load_rgb(path, load)?;
    let decoded = start.elapsed();
    let faces = detector.detect(&image).map_err(|e| match e {
        Error::Stage(m) | Error::Invalid(m) => Error::Stage(format!("{}: {m}", path.display())),
        other => other,
    })?;
    tracing::debug!(
        "{}: {}×{} decoded in {:.1} ms",
        path.display(),
        image.width(),
        image.height(),
        decoded.as_secs_f64() * 1e3
    );
    tracing::info!(
        "{}: {} faces in {:.1} ms",
        path.display(),
        faces.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(faces)
}

/// Writes the photo at `source` with `detections` drawn on it ([`draw::annotate`]) as a PNG at `target`.
pub fn write_annotated(source: &Path, detections: &[Detection], load: &LoadOptions, target: &Path) -> Result<()> {
    let mut image = load_rgb(source, load)?;
    draw::annotate(&mut image, detections);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.into(),
            source,
        })?;
    }
    image
        .save(target)
        .map_err(|e| Error::Stage(format!("{}: cannot write: {e}", target.display())))
}
