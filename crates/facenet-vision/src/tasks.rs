//! The jobs the `facenet` CLI runs on photos, as library functions over a [`FacePipeline`]: embed photos
//! into rows, compare the most prominent faces of two photos, recognise unknown photos against a folder
//! of known people (as face_recognition's `face_recognition KNOWN UNKNOWN` does), and write `.npy`.

use crate::{AlignedFace, Embedder, Error, FacePipeline, FaceRecord, LoadOptions, Result, load_rgb};
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One face as `facenet embed` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddingRow {
    pub path: PathBuf,
    /// The face's index in its photo (0 for an aligned chip).
    pub face: usize,
    /// `[x1, y1, x2, y2]`; `None` for an aligned chip.
    #[serde(rename = "box")]
    pub bbox: Option<[f32; 4]>,
    pub score: Option<f32>,
    /// The detector's landmarks as `[x, y]` pairs, when it gives them.
    pub landmarks: Option<Vec<[f32; 2]>>,
    pub embedding: Vec<f32>,
}

impl EmbeddingRow {
    /// The row of a face; `normalize` scales the embedding to unit L2 norm.
    pub fn from_record(record: &FaceRecord, normalize: bool) -> Self {
        let detection = &record.detection;
        Self {
            path: record.path.clone(),
            face: record.face,
            bbox: Some(detection.bbox.to_array()),
            score: Some(detection.score),
            landmarks: detection
                .landmarks
                .as_ref()
                .map(|l| l.points.iter().map(|p| [p.x, p.y]).collect()),
            embedding: maybe_normalized(&record.embedding, normalize),
        }
    }
}

fn maybe_normalized(embedding: &Embedding, normalize: bool) -> Vec<f32> {
    if normalize {
        embedding.normalized().into_vec()
    } else {
        embedding.as_slice().to_vec()
    }
}

/// What became of one input of a batch: its rows, or the error that names it.
pub type PhotoOutcome = (PathBuf, Result<Vec<EmbeddingRow>>);

/// Every face of every photo, one outcome per photo in order; a bad photo does not stop the others.
pub fn embed_photos(pipeline: &FacePipeline, paths: &[PathBuf], normalize: bool) -> Vec<PhotoOutcome> {
    let results = pipeline.process_paths(paths);
    paths
        .iter()
        .cloned()
        .zip(results)
        .map(|(path, result)| {
            (
                path,
                result.map(|records| {
                    records
                        .iter()
                        .map(|r| EmbeddingRow::from_record(r, normalize))
                        .collect()
                }),
            )
        })
        .collect()
}

/// Embeds already-aligned chips (no detection), one outcome per file.
pub fn embed_chips(
    embedder: &dyn Embedder,
    paths: &[PathBuf],
    load: &LoadOptions,
    normalize: bool,
) -> Vec<PhotoOutcome> {
    paths
        .iter()
        .map(|path| {
            let row = load_rgb(path, load)
                .and_then(|image| check_chip_size(embedder, path, image))
                .and_then(|face| embedder.embed(&[face]))
                .map(|embeddings| {
                    let embedding = embeddings
                        .first()
                        .map(|e| maybe_normalized(e, normalize))
                        .unwrap_or_default();
                    vec![EmbeddingRow {
                        path: path.clone(),
                        face: 0,
                        bbox: None,
                        score: None,
                        landmarks: None,
                        embedding,
                    }]
                });
            (path.clone(), row)
        })
        .collect()
}

fn check_chip_size(embedder: &dyn Embedder, path: &Path, image: image::RgbImage) -> Result<AlignedFace> {
    let want = embedder.info().input_size;
    if image.dimensions() != want {
        return Err(Error::Invalid(format!(
            "{}: an aligned chip must be {}×{} for this model, this one is {}×{}",
            path.display(),
            want.0,
            want.1,
            image.width(),
            image.height()
        )));
    }
    Ok(AlignedFace { image })
}

/// The face `compare` and `enroll` use: face `index` (detector order, as `facenet detect` numbers them), or
/// the most prominent (largest box weighted by score). `records` are the faces that passed the pipeline's
/// minimum score; asking for one that did not is an error that says so.
pub fn pick_face(path: &Path, records: Vec<FaceRecord>, index: Option<usize>) -> Result<FaceRecord> {
    let found: Vec<usize> = records.iter().map(|r| r.face).collect();
    let picked = match index {
        Some(i) => records.into_iter().find(|r| r.face == i),
        None => records
            .into_iter()
            .max_by(|a, b| a.detection.prominence().total_cmp(&b.detection.prominence())),
    };
    picked.ok_or_else(|| match index {
        Some(i) if !found.is_empty() => Error::Invalid(format!(
            "{}: no face {i} above the minimum score (faces there: {found:?})",
            path.display()
        )),
        _ => Error::Invalid(format!("{}: no face found above the minimum score", path.display())),
    })
}

/// Which face of a photo a decision used, and how many faces the photo held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsedFace {
    pub path: PathBuf,
    /// The face's index in its photo (detector order).
    pub face: usize,
    /// `[x1, y1, x2, y2]`.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    pub score: f32,
    /// Faces in the photo that passed the minimum score.
    pub faces_in_photo: usize,
}

impl UsedFace {
    /// The face `record`, one of `faces_in_photo`.
    pub fn of(record: &FaceRecord, faces_in_photo: usize) -> Self {
        Self {
            path: record.path.clone(),
            face: record.face,
            bbox: record.detection.bbox.to_array(),
            score: record.detection.score,
            faces_in_photo,
        }
    }

    /// `face 0 of 2, box [367, 79, 616, 428], score 0.9997`.
    pub fn describe(&self) -> String {
        format!(
            "face {} of {}, box {:?}, score {:.4}",
            self.face,
            self.faces_in_photo,
            self.bbox.map(|v| v.round() as i64),
            self.score
        )
    }
}

/// The answer of `compare`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Under the model's metric (squared L2 of unit vectors for FaceNet).
    pub distance: f32,
    pub threshold: f32,
    pub same: bool,
    /// The model's id ([`crate::ModelInfo::id`]).
    pub model: String,
    /// The face of the first photo that was compared.
    pub a: UsedFace,
    /// The face of the second photo that was compared.
    pub b: UsedFace,
}

/// Compares a face of photo `a` with a face of photo `b` (each the most prominent unless an index is
/// given), under the model's metric and `threshold` (the model's default when `None`).
pub fn compare_photos(
    pipeline: &FacePipeline,
    (a, face_a): (&Path, Option<usize>),
    (b, face_b): (&Path, Option<usize>),
    threshold: Option<f32>,
) -> Result<Comparison> {
    let (first, in_a) = picked_face(pipeline, a, face_a)?;
    let (second, in_b) = picked_face(pipeline, b, face_b)?;
    let info = pipeline.model_info();
    let threshold = threshold.unwrap_or(info.threshold);
    let distance = info
        .metric
        .distance(first.embedding.as_slice(), second.embedding.as_slice());
    Ok(Comparison {
        distance,
        threshold,
        same: distance <= threshold,
        model: info.id.clone(),
        a: UsedFace::of(&first, in_a),
        b: UsedFace::of(&second, in_b),
    })
}

/// The picked face of the photo at `path` and the number of faces it holds.
fn picked_face(pipeline: &FacePipeline, path: &Path, index: Option<usize>) -> Result<(FaceRecord, usize)> {
    let records = pipeline.process_path(path)?;
    let count = records.len();
    Ok((pick_face(path, records, index)?, count))
}

/// The name of a face nobody known is within the threshold of (`recognize` prints face_recognition's
/// `unknown_person` for it in its text output).
pub const UNKNOWN: &str = "unknown";
/// The name on the one row of a photo in which no face was found (face_recognition's word).
pub const NO_PERSONS_FOUND: &str = "no_persons_found";

/// One face of an unknown photo, recognised (or not) against the known people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recognition {
    pub path: PathBuf,
    /// The face's index in its photo; `None` on the row of a photo without a face.
    pub face: Option<usize>,
    /// The face's box `[x1, y1, x2, y2]`; `None` on the row of a photo without a face.
    #[serde(rename = "box")]
    pub bbox: Option<[f32; 4]>,
    /// The known person's name (the known photo's file stem), [`UNKNOWN`] when nobody is within the
    /// threshold, or [`NO_PERSONS_FOUND`] for a photo without a face.
    pub name: String,
    /// The distance to that person; `None` for an unknown person.
    pub distance: Option<f32>,
}

/// Known people: a name and the embedding of their face.
pub type KnownPeople = Vec<(String, Embedding)>;

/// The known people: the most prominent face of each photo in `dir`, named by the file's stem. Photos that
/// fail or hold no face are returned as errors (face_recognition warns and skips them).
pub fn load_known_people(pipeline: &FacePipeline, dir: &Path) -> Result<(KnownPeople, Vec<Error>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| Error::Io {
            path: dir.into(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut known = Vec::new();
    let mut errors = Vec::new();
    for (path, result) in paths.iter().zip(pipeline.process_paths(&paths)) {
        match result.and_then(|records| pick_face(path, records, None)) {
            Ok(record) => {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                known.push((name, record.embedding));
            }
            Err(e) => errors.push(e),
        }
    }
    Ok((known, errors))
}

/// Every face of the photo at `path` against `known`: every known person within `threshold`, closest
/// first, or one [`UNKNOWN`] row when nobody is; a photo without a face gives one [`NO_PERSONS_FOUND`]
/// row. An empty `known` is an error (every face would be unknown, which says nothing).
pub fn recognize_photo(
    pipeline: &FacePipeline,
    known: &[(String, Embedding)],
    path: &Path,
    threshold: f32,
) -> Result<Vec<Recognition>> {
    if known.is_empty() {
        return Err(Error::Invalid("no known people to recognise against".into()));
    }
    let metric = pipeline.model_info().metric;
    let records = pipeline.process_path(path)?;
    if records.is_empty() {
        return Ok(vec![Recognition {
            path: path.into(),
            face: None,
            bbox: None,
            name: NO_PERSONS_FOUND.into(),
            distance: None,
        }]);
    }
    let mut rows = Vec::new();
    for record in records {
        let mut matches: Vec<(f32, &str)> = known
            .iter()
            .map(|(name, e)| {
                (
                    metric.distance(e.as_slice(), record.embedding.as_slice()),
                    name.as_str(),
                )
            })
            .filter(|(distance, _)| *distance <= threshold)
            .collect();
        matches.sort_by(|a, b| a.0.total_cmp(&b.0));
        let row = |name: &str, distance| Recognition {
            path: path.into(),
            face: Some(record.face),
            bbox: Some(record.detection.bbox.to_array()),
            name: name.into(),
            distance,
        };
        if matches.is_empty() {
            rows.push(row(UNKNOWN, None));
        }
        rows.extend(matches.into_iter().map(|(d, name)| row(name, Some(d))));
    }
    Ok(rows)
}

/// The distances between the most prominent faces of some photos (`facenet demo`).
#[derive(Debug, Clone, Serialize)]
pub struct DistanceTable {
    pub paths: Vec<PathBuf>,
    pub metric: Metric,
    pub threshold: f32,
    /// `distances[i][j]` between photo i and photo j.
    pub distances: Vec<Vec<f32>>,
}

/// The distance table of the most prominent face of each photo; any photo without a face is an error.
pub fn distance_table(pipeline: &FacePipeline, paths: &[PathBuf]) -> Result<DistanceTable> {
    let faces = paths
        .iter()
        .zip(pipeline.process_paths(paths))
        .map(|(path, records)| pick_face(path, records?, None))
        .collect::<Result<Vec<_>>>()?;
    let info = pipeline.model_info();
    let distances = faces
        .iter()
        .map(|a| {
            faces
                .iter()
                .map(|b| info.metric.distance(a.embedding.as_slice(), b.embedding.as_slice()))
                .collect()
        })
        .collect();
    Ok(DistanceTable {
        paths: paths.to_vec(),
        metric: info.metric,
        threshold: info.threshold,
        distances,
    })
}

/// Writes `rows` (all of length `dim`) as a NumPy `.npy` file of shape `(rows, dim)`, little-endian f32.
pub fn write_npy(path: &Path, rows: &[Vec<f32>], dim: usize) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.into(),
        source,
    };
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}",
        rows.len()
    );
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, ending in '\n'.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + rows.len() * dim * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for row in rows {
        if row.len() != dim {
            return Err(Error::Invalid(format!(
                "{}: rows of {} and {dim} values cannot share one array",
                path.display(),
                row.len()
            )));
        }
        row.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_data_follows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.npy");
        write_npy(&path, &[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]], 2).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (3, 2)") && header.ends_with('\n'), "{header}");
        let data: Vec<f32> = bytes[10 + header_len..]
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn ragged_rows_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_npy(&dir.path().join("e.npy"), &[vec![1.0], vec![1.0, 2.0]], 1).is_err());
    }
}
