//! Writing a synthetic set to disk in the folder-per-identity layout every loader reads:
//! `DIR/identity/0001.png`, or LFW's own names and image counts (`DIR/Name/Name_0001.jpg`) so the real LFW
//! protocol files (pairs.txt, people.txt) run end to end on synthetic faces.

use super::{SynthSpec, render_photo};
use crate::{Error, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// LFW's 5,749 identity names with their image counts (13,233 images), one `name<TAB>count` a line.
const LFW_NAMES: &str = include_str!("../../data/lfw-names.txt");

/// Which names and counts to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `identity_count × per_identity` photos as `DIR/0001/0001.png`.
    Numbered,
    /// LFW's names and counts as `DIR/Name/Name_0001.jpg` (the spec's counts are ignored).
    Lfw,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SynthSummary {
    pub identities: usize,
    pub images: usize,
    pub out: PathBuf,
}

/// LFW's identity names and image counts, in the order of its name list.
pub fn lfw_names() -> Vec<(&'static str, usize)> {
    LFW_NAMES
        .lines()
        .filter_map(|line| {
            let (name, count) = line.split_once('\t')?;
            Some((name, count.trim().parse().ok()?))
        })
        .collect()
}

/// Renders every photo (in parallel) and writes it under `out`; `on_photo` is called once per photo
/// written (for a progress bar). Errors name the file that could not be written.
pub fn write_dataset(
    spec: &SynthSpec,
    layout: Layout,
    out: &Path,
    on_photo: &(dyn Fn() + Sync),
) -> Result<SynthSummary> {
    let jobs = photo_jobs(spec, layout);
    let folders: std::collections::BTreeSet<&str> = jobs.iter().map(|j| j.folder.as_str()).collect();
    for folder in &folders {
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir, source })?;
    }
    jobs.par_iter().try_for_each(|job| {
        let photo = render_photo(spec, job.identity, job.image);
        let path = out.join(&job.folder).join(&job.file);
        photo
            .save(&path)
            .map_err(|e| Error::Invalid(format!("{}: cannot write: {e}", path.display())))?;
        on_photo();
        Ok::<(), Error>(())
    })?;
    Ok(SynthSummary {
        identities: folders.len(),
        images: jobs.len(),
        out: out.to_path_buf(),
    })
}

/// One photo to render: which identity and photo, and where it goes.
struct PhotoJob {
    identity: usize,
    image: usize,
    folder: String,
    file: String,
}

fn photo_jobs(spec: &SynthSpec, layout: Layout) -> Vec<PhotoJob> {
    match layout {
        Layout::Numbered => (0..spec.identities)
            .flat_map(|i| {
                (0..spec.per_identity).map(move |k| PhotoJob {
                    identity: i,
                    image: k,
                    folder: format!("{:04}", i + 1),
                    file: format!("{:04}.png", k + 1),
                })
            })
            .collect(),
        Layout::Lfw => lfw_names()
            .into_iter()
            .enumerate()
            .flat_map(|(i, (name, count))| {
                (0..count).map(move |k| PhotoJob {
                    identity: i,
                    image: k,
                    folder: name.to_string(),
                    file: format!("{name}_{:04}.jpg", k + 1),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfw_list_has_all_identities_and_images() {
        let names = lfw_names();
        assert_eq!(names.len(), 5749);
        assert_eq!(names.iter().map(|(_, n)| n).sum::<usize>(), 13233);
        assert!(names.iter().any(|(n, c)| *n == "George_W_Bush" && *c == 530));
    }

    #[test]
    fn numbered_layout_writes_a_folder_per_identity() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            identities: 2,
            per_identity: 3,
            size: 24,
            seed: 1,
        };
        let summary = write_dataset(&spec, Layout::Numbered, dir.path(), &|| {}).unwrap();
        assert_eq!((summary.identities, summary.images), (2, 6));
        assert!(dir.path().join("0002/0003.png").is_file());
        let again = tempfile::tempdir().unwrap();
        write_dataset(&spec, Layout::Numbered, again.path(), &|| {}).unwrap();
        let bytes = |d: &Path| std::fs::read(d.join("0001/0002.png")).unwrap();
        assert_eq!(bytes(dir.path()), bytes(again.path()));
    }
}
