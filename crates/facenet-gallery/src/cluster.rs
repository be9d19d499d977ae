//! Grouping an unlabelled photo collection by person (FaceNet Sec. 1 and Fig. 7: "clustering … finds all
//! pictures of one person"), contact sheets and folders of links per cluster, and threshold tuning on
//! faces with known identities.
//!
//! The algorithms and the quality measures are `facenet_core::cluster`'s; this module applies them to
//! pipeline output ([`FaceRecord`]s) and to a gallery's labelled embeddings. The faces of one photo are
//! different people: [`cluster_records`] passes that to both methods as a cannot-link constraint.

use crate::{Error, Result};
use facenet_core::cluster::{
    CannotLink, Linkage, Scores, agglomerative, bcubed_scores, chinese_whispers, pairwise_scores,
};
use facenet_core::distance::Metric;
use facenet_vision::draw::{CAPTION_GLYPH, caption};
use facenet_vision::{BBox, FaceRecord, LoadOptions, RgbImage, load_rgb};
use image::imageops::{self, FilterType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which clustering algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterMethod {
    /// Average-linkage agglomerative clustering cut at the threshold (FaceNet's choice).
    Agglomerative,
    /// dlib's Chinese whispers on the "closer than threshold" graph.
    ChineseWhispers,
}

/// How to cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterOptions {
    pub method: ClusterMethod,
    /// Faces (or clusters, for agglomerative) farther apart than this, in `metric`, are different people.
    pub threshold: f32,
    pub metric: Metric,
    /// Passes of Chinese whispers (dlib's default: 100).
    pub iterations: usize,
    pub seed: u64,
}

impl ClusterOptions {
    pub fn new(method: ClusterMethod, threshold: f32, metric: Metric) -> Self {
        Self {
            method,
            threshold,
            metric,
            iterations: 100,
            seed: 0,
        }
    }
}

/// One label per embedding; embeddings `cannot_link` groups together end in different clusters.
pub fn cluster_labels<V: AsRef<[f32]> + Sync>(
    embeddings: &[V],
    options: &ClusterOptions,
    cannot_link: CannotLink,
) -> Result<Vec<usize>> {
    Ok(match options.method {
        ClusterMethod::Agglomerative => agglomerative(
            embeddings,
            options.metric,
            options.threshold,
            Linkage::Average,
            cannot_link,
        )?,
        ClusterMethod::ChineseWhispers => chinese_whispers(
            embeddings,
            options.metric,
            options.threshold,
            options.iterations,
            options.seed,
            cannot_link,
        )?,
    })
}

/// One group id per record: the index of its photo among the distinct paths.
pub fn photo_groups(records: &[FaceRecord]) -> Vec<usize> {
    group_ids(records.iter().map(|r| Some(r.path.as_path())))
}

/// One group id per key, numbered in order of first appearance; every `None` is a group of its own (a
/// face whose photo is not known is constrained by nothing).
pub fn group_ids<K: Eq + std::hash::Hash>(keys: impl IntoIterator<Item = Option<K>>) -> Vec<usize> {
    let mut ids: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut next = 0;
    keys.into_iter()
        .map(|key| {
            let id = match key {
                Some(key) => *ids.entry(key).or_insert(next),
                None => next,
            };
            if id == next {
                next += 1;
            }
            id
        })
        .collect()
}

/// A face in a cluster: the photo and where in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterFace {
    pub path: PathBuf,
    /// The face's index in its photo.
    pub face: usize,
    #[serde(rename = "box")]
    pub bbox: BBox,
}

/// One person's faces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// 0 for the largest cluster, 1 for the next, …
    pub id: usize,
    pub faces: Vec<ClusterFace>,
}

/// Groups the faces of `records` by person, never putting two faces of one photo in one cluster;
/// clusters come largest first (ties: first seen first).
pub fn cluster_records(records: &[FaceRecord], options: &ClusterOptions) -> Result<Vec<Cluster>> {
    let groups = photo_groups(records);
    let labels = cluster_labels(
        &records.iter().map(|r| r.embedding.as_slice()).collect::<Vec<_>>(),
        options,
        CannotLink::groups(&groups),
    )?;
    let mut groups: Vec<Vec<ClusterFace>> = vec![Vec::new(); labels.iter().max().map_or(0, |m| m + 1)];
    for (record, label) in records.iter().zip(labels) {
        groups[label].push(ClusterFace {
            path: record.path.clone(),
            face: record.face,
            bbox: record.detection.bbox,
        });
    }
    groups.sort_by_key(|faces| std::cmp::Reverse(faces.len()));
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(id, faces)| Cluster { id, faces })
        .collect())
}

/// Side of a face tile in a contact sheet, in pixels.
pub const TILE: u32 = 112;
/// Height of the caption strip under each tile: the photo's file name and the face's index.
pub const CAPTION: u32 = CAPTION_GLYPH + 4;
/// Tiles per row of a contact sheet.
pub const SHEET_COLUMNS: u32 = 10;
/// Faces shown per contact sheet at most (the first ones).
pub const SHEET_MAX_FACES: usize = 100;

/// A grid of the cluster's face crops (each box grown by 20 % and squared, scaled to [`TILE`]), each
/// captioned with [`caption_text`] in a [`CAPTION`] strip below it, at most [`SHEET_MAX_FACES`],
/// [`SHEET_COLUMNS`] per row. Each photo is read once.
pub fn contact_sheet(faces: &[ClusterFace], load: &LoadOptions) -> Result<RgbImage> {
    let shown = &faces[..faces.len().min(SHEET_MAX_FACES)];
    let columns = SHEET_COLUMNS.min(shown.len().max(1) as u32);
    let rows = (shown.len() as u32).div_ceil(columns).max(1);
    let mut sheet = RgbImage::new(columns * TILE, rows * (TILE + CAPTION));
    let mut by_photo: BTreeMap<&Path, Vec<(usize, &ClusterFace)>> = BTreeMap::new();
    for (slot, face) in shown.iter().enumerate() {
        by_photo.entry(face.path.as_path()).or_default().push((slot, face));
    }
    for (path, slots) in by_photo {
        let photo = load_rgb(path, load)?;
        for (slot, face) in slots {
            let tile = face_tile(&photo, &face.bbox);
            let (x, y) = (
                (slot as u32 % columns) * TILE,
                (slot as u32 / columns) * (TILE + CAPTION),
            );
            imageops::replace(&mut sheet, &tile, x as i64, y as i64);
            let top = (y + TILE + (CAPTION - CAPTION_GLYPH) / 2) as i64;
            caption(
                &mut sheet,
                &caption_text(face),
                x as i64 + 1,
                top,
                image::Rgb([255, 255, 255]),
            );
        }
    }
    Ok(sheet)
}

/// `NAME #FACE` for a tile: the photo's file name and the face's index, the name cut to its last
/// characters (after `~`) to fit under [`TILE`].
pub fn caption_text(face: &ClusterFace) -> String {
    let name = face
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = format!(" #{}", face.face);
    let room = ((TILE - 2) / CAPTION_GLYPH) as usize - suffix.len();
    let chars: Vec<char> = name.chars().collect();
    let name = if chars.len() <= room {
        name
    } else {
        std::iter::once('~')
            .chain(chars[chars.len() + 1 - room..].iter().copied())
            .collect()
    };
    name + &suffix
}

/// Writes `cluster_NNN.png`, the contact sheet of each cluster, into `dir`; returns their paths.
pub fn write_contact_sheets(clusters: &[Cluster], dir: &Path, load: &LoadOptions) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.into(),
        source,
    })?;
    clusters
        .iter()
        .map(|cluster| {
            let path = dir.join(format!("cluster_{:03}.png", cluster.id));
            contact_sheet(&cluster.faces, load)?
                .save(&path)
                .map_err(|e| Error::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e),
                })?;
            Ok(path)
        })
        .collect()
}

/// The face's box grown by 20 %, made square, clamped to the photo, scaled to TILE × TILE.
fn face_tile(photo: &RgbImage, bbox: &BBox) -> RgbImage {
    let centre = bbox.center();
    let side = bbox.width().max(bbox.height()) * 1.2;
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max.saturating_sub(1));
    let (x1, y1) = (
        clamp(centre.x - side / 2.0, photo.width()),
        clamp(centre.y - side / 2.0, photo.height()),
    );
    let (x2, y2) = (
        clamp(centre.x + side / 2.0, photo.width()),
        clamp(centre.y + side / 2.0, photo.height()),
    );
    let crop = imageops::crop_imm(photo, x1, y1, (x2 - x1).max(1), (y2 - y1).max(1)).to_image();
    imageops::resize(&crop, TILE, TILE, FilterType::Triangle)
}

/// Writes `out_dir/cluster_NNN/` folders holding a link (a copy where links are unsupported) to every
/// photo with a face in that cluster.
pub fn link_clusters(clusters: &[Cluster], out_dir: &Path) -> Result<()> {
    for cluster in clusters {
        let dir = out_dir.join(format!("cluster_{:03}", cluster.id));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let mut photos: Vec<&Path> = cluster.faces.iter().map(|f| f.path.as_path()).collect();
        photos.dedup();
        for (i, photo) in photos.into_iter().enumerate() {
            let name = photo
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let link = dir.join(format!("{i:04}_{name}"));
            let target = std::path::absolute(photo).map_err(|source| Error::Io {
                path: photo.into(),
                source,
            })?;
            make_link(&target, &link).map_err(|source| Error::Io {
                path: link.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link)?;
    }
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

/// Makes `dir` ready for a clustering run's output (contact sheets or `--link` folders): created if
/// missing; an empty folder is used as it is. A run owns its output, so a folder that is not empty is
/// refused unless `overwrite`, which removes what an earlier run wrote there (`cluster_*` entries) and
/// still refuses a folder holding anything else (so a mistyped folder of the user's is never emptied).
pub fn prepare_output_dir(dir: &Path, overwrite: bool) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if !dir.exists() {
        return std::fs::create_dir(dir).map_err(io(dir));
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(io(dir))?;
    if entries.is_empty() {
        return Ok(());
    }
    if !overwrite {
        return Err(Error::Invalid(format!(
            "{}: not empty (an earlier run's output?); pass --overwrite to replace it, or choose another folder",
            dir.display()
        )));
    }
    if let Some(foreign) = entries.iter().find(|p| !is_cluster_output(p)) {
        return Err(Error::Invalid(format!(
            "{}: holds {}, which no clustering run writes; not clearing it (choose another folder)",
            dir.display(),
            foreign.display()
        )));
    }
    for entry in entries {
        let removed = if entry.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(&entry)
        } else {
            std::fs::remove_file(&entry)
        };
        removed.map_err(io(&entry))?;
    }
    Ok(())
}

fn is_cluster_output(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("cluster_"))
}

/// Clustering quality at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub threshold: f32,
    pub clusters: usize,
    pub pairwise: Scores,
    pub bcubed: Scores,
}

/// Clusters labelled embeddings at each threshold (under `cannot_link`) and scores the result against the
/// labels.
pub fn evaluate<V: AsRef<[f32]> + Sync, L: Eq + std::hash::Hash>(
    embeddings: &[V],
    labels: &[L],
    thresholds: &[f32],
    options: &ClusterOptions,
    cannot_link: CannotLink,
) -> Result<Vec<Evaluation>> {
    thresholds
        .iter()
        .map(|&threshold| {
            let predicted = cluster_labels(embeddings, &ClusterOptions { threshold, ..*options }, cannot_link)?;
            Ok(Evaluation {
                threshold,
                clusters: predicted.iter().max().map_or(0, |m| m + 1),
                pairwise: pairwise_scores(labels, &predicted)?,
                bcubed: bcubed_scores(labels, &predicted)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticFaces;
    use facenet_vision::Detection;

    fn separable() -> (Vec<Vec<f32>>, Vec<usize>) {
        let faces = SyntheticFaces::new(30, 8, 128, 0.4, 17);
        faces.iter().map(|(identity, e)| (e.into_vec(), identity)).unzip()
    }

    #[test]
    fn both_methods_reach_f_099_on_separable_identities() {
        let (embeddings, labels) = separable();
        for method in [ClusterMethod::Agglomerative, ClusterMethod::ChineseWhispers] {
            let options = ClusterOptions::new(method, 1.0, Metric::SquaredL2);
            let eval = evaluate(&embeddings, &labels, &[1.0], &options, CannotLink::none()).unwrap()[0];
            assert!(eval.bcubed.f >= 0.99 && eval.pairwise.f >= 0.99, "{method:?}: {eval:?}");
            assert_eq!(eval.clusters, 30, "{method:?}");
        }
    }

    #[test]
    fn a_sweep_shows_the_precision_recall_trade_off() {
        let (embeddings, labels) = separable();
        let options = ClusterOptions::new(ClusterMethod::Agglomerative, 0.0, Metric::SquaredL2);
        let sweep = evaluate(&embeddings, &labels, &[0.01, 1.0, 3.9], &options, CannotLink::none()).unwrap();
        // Too strict: every face alone (recall low); too loose: one cluster (precision low).
        assert_eq!(sweep[0].clusters, 240);
        assert!(sweep[0].bcubed.precision == 1.0 && sweep[0].bcubed.recall < 0.2);
        assert_eq!(sweep[2].clusters, 1);
        assert!(sweep[2].bcubed.recall == 1.0 && sweep[2].bcubed.precision < 0.1);
    }

    #[test]
    fn records_group_largest_first() {
        let faces = SyntheticFaces::new(3, 4, 32, 0.3, 2);
        let mut records: Vec<FaceRecord> = faces
            .iter()
            .enumerate()
            .map(|(i, (_, embedding))| FaceRecord {
                path: format!("p{i}.jpg").into(),
                face: 0,
                detection: Detection {
                    bbox: BBox::new(0.0, 0.0, 10.0, 10.0),
                    score: 1.0,
                    landmarks: None,
                },
                embedding,
            })
            .collect();
        records.truncate(10); // identity 2 keeps 2 faces
        let clusters = cluster_records(
            &records,
            &ClusterOptions::new(ClusterMethod::ChineseWhispers, 1.0, Metric::SquaredL2),
        )
        .unwrap();
        assert_eq!(clusters.iter().map(|c| c.faces.len()).collect::<Vec<_>>(), [4, 4, 2]);
        assert_eq!(clusters[2].faces[0].path, PathBuf::from("p8.jpg"));
    }

    #[test]
    fn two_faces_of_one_photo_never_share_a_cluster() {
        let record = |path: &str, face: usize, x: f32| FaceRecord {
            path: path.into(),
            face,
            detection: Detection {
                bbox: BBox::new(0.0, 0.0, 10.0, 10.0),
                score: 1.0,
                landmarks: None,
            },
            embedding: facenet_core::Embedding::new(vec![x, 1.0]),
        };
        // Both faces of group.jpg lie within the threshold of each other and of a.jpg's face.
        let records = [
            record("a.jpg", 0, 0.0),
            record("group.jpg", 0, 0.1),
            record("group.jpg", 1, 0.2),
        ];
        assert_eq!(photo_groups(&records), [0, 1, 1]);
        for method in [ClusterMethod::Agglomerative, ClusterMethod::ChineseWhispers] {
            let clusters = cluster_records(&records, &ClusterOptions::new(method, 1.0, Metric::L2)).unwrap();
            assert_eq!(clusters.len(), 2, "{method:?}: {clusters:?}");
            for cluster in &clusters {
                let in_group = cluster
                    .faces
                    .iter()
                    .filter(|f| f.path == Path::new("group.jpg"))
                    .count();
                assert_eq!(in_group, 1, "{method:?}: {clusters:?}");
            }
        }
    }

    #[test]
    fn captions_name_the_file_and_face_and_keep_the_end_of_long_names() {
        let face = |path: &str, face: usize| ClusterFace {
            path: path.into(),
            face,
            bbox: BBox::new(0.0, 0.0, 1.0, 1.0),
        };
        assert_eq!(caption_text(&face("trip/IMG_1.jpg", 3)), "IMG_1.jpg #3");
        let long = caption_text(&face("x/IMG_20190101_123456.jpg", 12));
        assert_eq!(long, "~3456.jpg #12");
        assert!(long.len() as u32 * CAPTION_GLYPH <= TILE - 2);
    }

    #[test]
    fn unknown_photos_are_groups_of_their_own() {
        assert_eq!(
            group_ids([Some("x"), None, Some("y"), Some("x"), None]),
            [0, 1, 2, 0, 3]
        );
    }

    #[test]
    fn contact_sheets_tile_face_crops_and_links_point_at_photos() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("a.png");
        RgbImage::from_fn(200, 100, |x, _| {
            if x < 100 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        })
        .save(&photo)
        .unwrap();
        let face = |x1: f32| ClusterFace {
            path: photo.clone(),
            face: 0,
            bbox: BBox::new(x1 + 30.0, 30.0, x1 + 70.0, 70.0),
        };
        let sheet = contact_sheet(&[face(0.0), face(100.0)], &LoadOptions::default()).unwrap();
        assert_eq!(sheet.dimensions(), (2 * TILE, TILE + CAPTION));
        // Under each tile, its caption: exactly `caption` of "a.png #0" on black.
        let mut expected = RgbImage::new(TILE, CAPTION);
        caption(&mut expected, "a.png #0", 1, 2, image::Rgb([255, 255, 255]));
        assert!(expected.pixels().any(|p| p.0 == [255, 255, 255]));
        for x0 in [0, TILE] {
            let strip = imageops::crop_imm(&sheet, x0, TILE, TILE, CAPTION).to_image();
            assert_eq!(strip, expected);
        }
        assert_eq!(sheet.get_pixel(TILE / 2, TILE / 2).0, [255, 0, 0]);
        assert_eq!(sheet.get_pixel(TILE + TILE / 2, TILE / 2).0, [0, 0, 255]);
        let missing = ClusterFace {
            path: dir.path().join("gone.jpg"),
            ..face(0.0)
        };
        assert!(
            contact_sheet(&[missing], &LoadOptions::default())
                .unwrap_err()
                .to_string()
                .contains("gone.jpg")
        );

        let clusters = [Cluster {
            id: 0,
            faces: vec![face(0.0), face(100.0)],
        }];
        link_clusters(&clusters, &dir.path().join("out")).unwrap();
        let linked = dir.path().join("out/cluster_000/0000_a.png");
        assert_eq!(std::fs::read(&linked).unwrap(), std::fs::read(&photo).unwrap());
        assert_eq!(
            std::fs::read_dir(dir.path().join("out/cluster_000")).unwrap().count(),
            1
        );
    }
}
