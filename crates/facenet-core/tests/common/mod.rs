//! A fake embedder for protocol runs: images of one person embed close together, so a run must give a
//! high accuracy only if it pairs the right files.

use facenet_core::Embedding;
use std::path::{Path, PathBuf};

/// A unit vector drawn from `seed` (a tiny LCG: deterministic on every platform).
fn vector(seed: u64, dim: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..dim)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect()
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
}

/// The person's direction plus a little noise from the file: `person/…/file` → person = the first folder
/// below `root`.
pub fn fake_embedding(root: &Path, path: &Path) -> Embedding {
    let relative = path.strip_prefix(root).expect("the image should be under the tree");
    let person = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let base = vector(hash(&person), 16);
    let noise = vector(hash(&relative.to_string_lossy()), 16);
    Embedding::new(base.iter().zip(&noise).map(|(b, n)| b + 0.3 * n).collect()).normalized()
}

/// Creates an empty file at `root/relative` (the fake embedder never reads it).
pub fn touch(root: &Path, relative: &Path) -> PathBuf {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    path
}

/// `../shared/data/<relative>` of the workspace, or `$FACENET_SHARED/data/<relative>`, when present.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("FACENET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = root.join("data").join(relative);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "note: {} not found (set FACENET_SHARED): skipping the test on the real file",
            path.display()
        );
        None
    }
}

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// A temporary folder in memory (/dev/shm) when the system has one: a stand-in LFW tree is ~13,000
/// files and folders, slow to create on a loaded disk.
pub fn scratch_dir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary folder should be creatable")
}
