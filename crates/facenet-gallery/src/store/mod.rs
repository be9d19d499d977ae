//! [`Gallery`]: subjects and their faces, bound to one embedding model, in one of two backends behind one
//! interface: a SQLite file ([`sqlite`], the embedded default: WAL, `synchronous = FULL`) or a PostgreSQL
//! database with pgvector ([`postgres`], for galleries shared by several servers). The rules (names,
//! embedding checks, model binding, row decoding) live here once; a backend only runs the SQL
//! ([`Store`]). [`GalleryLocation`] tells a file from a `postgres://` URL.

mod location;
mod postgres;
mod sqlite;

pub use location::GalleryLocation;
pub(crate) use postgres::PgSearch;

use crate::{Error, Example, Result};
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_vision::{BBox, Detection, FaceLandmarks, FaceRecord, ModelInfo};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The model a gallery's embeddings come from; a gallery holds embeddings of one model only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalleryModel {
    /// The model's id (`ModelInfo::id`), e.g. `dlib_resnet_v1`.
    pub id: String,
    /// Embedding size.
    pub dim: usize,
    /// The distance the threshold is expressed in.
    pub metric: Metric,
    /// The model's verification threshold: beyond it two faces are different people.
    pub threshold: f32,
}

impl From<&ModelInfo> for GalleryModel {
    fn from(info: &ModelInfo) -> Self {
        Self {
            id: info.id.clone(),
            dim: info.dim,
            metric: info.metric,
            threshold: info.threshold,
        }
    }
}

/// Where an enrolled face came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceSource {
    pub path: String,
    /// sha256 of the photo file, lowercase hex (how `enroll` skips photos it already holds).
    pub sha256: String,
    /// The face's index in its photo.
    pub face_index: usize,
}

/// A face to enrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFace {
    pub embedding: Embedding,
    #[serde(default)]
    pub source: Option<FaceSource>,
    #[serde(default)]
    pub detection: Option<Detection>,
}

impl NewFace {
    /// A face with no source or detection (synthetic or imported embeddings).
    pub fn bare(embedding: Embedding) -> Self {
        Self {
            embedding,
            source: None,
            detection: None,
        }
    }

    /// A face the pipeline found in a photo whose file hashes to `sha256`.
    pub fn from_record(record: FaceRecord, sha256: String) -> Self {
        let source = FaceSource {
            path: record.path.display().to_string(),
            sha256,
            face_index: record.face,
        };
        Self {
            embedding: record.embedding,
            source: Some(source),
            detection: Some(record.detection),
        }
    }
}

/// A face as stored: what was enrolled, plus its id, subject and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFace {
    pub id: i64,
    pub subject: String,
    pub model_id: String,
    #[serde(flatten)]
    pub face: NewFace,
    /// Unix seconds.
    pub created_at: i64,
}

/// One subject with its number of faces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectSummary {
    pub id: i64,
    pub name: String,
    pub faces: usize,
    /// Unix seconds.
    pub created_at: i64,
}

/// A face row as a backend reads it, before it is checked against the gallery's model.
pub(crate) struct RawFace {
    pub id: i64,
    pub subject: String,
    pub model_id: String,
    pub dim: i64,
    pub embedding: Vec<f32>,
    pub source: Option<FaceSource>,
    pub bbox: Option<[f32; 4]>,
    pub landmarks: Option<String>,
    pub score: Option<f32>,
    pub created_at: i64,
}

/// What search reads of a face: ids, model, the f32 embedding and its int8 codes.
pub(crate) struct VectorRow {
    pub face_id: i64,
    pub subject_id: i64,
    pub model_id: String,
    pub dim: i64,
    pub embedding: Vec<f32>,
    pub codes: Vec<u8>,
    pub scale: f64,
}

/// An example's face as a backend reads it: face id, subject, model, dim, embedding.
pub(crate) type RawExampleFace = (i64, String, String, i64, Vec<f32>);

/// An API key row: id, service, sha256 hex, created, revoked.
pub(crate) type RawApiKey = (i64, String, String, i64, Option<i64>);

/// The SQL a backend runs; every rule around it is in [`Gallery`]. Reads take `&self`, writes `&mut
/// self`; each write is one transaction. Errors already name the gallery.
pub(crate) trait Store: Send {
    fn read_meta(&self, key: &str) -> Result<Option<String>>;
    fn write_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// Called once a model is recorded (and on every open of a bound gallery): the backend's per-model
    /// structures (PostgreSQL: the model's HNSW index).
    fn prepare_model(&mut self, model: &GalleryModel) -> Result<()>;
    /// Drops the model's server-side search index before a bulk load ([`Gallery::bulk_load`]); a
    /// later [`Store::prepare_model`] builds it again. Nothing to do on SQLite.
    fn drop_search_index(&mut self, model: &GalleryModel) -> Result<()>;
    /// Inserts the faces in one transaction, subjects created as needed; `None` for a face whose
    /// (subject, sha256, face index) is already stored.
    fn insert_faces(&mut self, model: &GalleryModel, items: &[(&str, &NewFace)]) -> Result<Vec<Option<i64>>>;
    fn contains_sha256(&self, sha256: &str) -> Result<bool>;
    fn subjects(&self) -> Result<Vec<SubjectSummary>>;
    fn subject_id(&self, name: &str) -> Result<Option<i64>>;
    fn insert_subject(&mut self, name: &str) -> Result<()>;
    fn faces_of(&self, name: &str) -> Result<Vec<RawFace>>;
    /// Every face in id order, `page` rows at a time, in one read snapshot.
    fn for_each_face(&self, page: usize, visit: &mut dyn FnMut(RawFace) -> Result<()>) -> Result<()>;
    /// The vectors of faces with id > `after` in id order, then the subject names, in one read snapshot.
    fn load_vectors(&self, after: i64, visit: &mut dyn FnMut(VectorRow) -> Result<()>) -> Result<HashMap<i64, String>>;
    fn delete_subject(&mut self, name: &str) -> Result<()>;
    fn delete_face(&mut self, id: i64) -> Result<bool>;
    fn rename_subject(&mut self, from: &str, to: &str) -> Result<()>;
    fn face_count(&self) -> Result<usize>;
    fn integrity_check(&self) -> Result<()>;
    fn example_of_face(&self, face_id: i64) -> Result<Option<String>>;
    fn insert_example(&mut self, image_id: &str, face_id: i64, image: &[u8]) -> Result<()>;
    /// One page of examples (of `subject` or all), and how many there are in all.
    fn examples(&self, subject: Option<&str>, size: usize, offset: usize) -> Result<(Vec<Example>, usize)>;
    fn example_image(&self, image_id: &str) -> Result<Option<Vec<u8>>>;
    fn example_face(&self, image_id: &str) -> Result<Option<RawExampleFace>>;
    fn face_of_example(&self, image_id: &str) -> Result<Option<i64>>;
    /// Deletes the faces of `subject`, or every face; how many went.
    fn delete_faces(&mut self, subject: Option<&str>) -> Result<usize>;
    /// Moves `from`'s faces to `to` (those `to` holds already stay out) and deletes `from`, in one
    /// transaction.
    fn merge_subject(&mut self, from: i64, to: i64) -> Result<()>;
    /// Deletes every subject and face in one transaction; how many subjects went.
    fn delete_all_subjects(&mut self) -> Result<usize>;
    fn face_of_source(&self, subject_id: i64, sha256: &str, face_index: usize) -> Result<i64>;
    fn insert_api_key(&mut self, service: &str, key_sha256: &str) -> Result<i64>;
    fn api_keys(&self) -> Result<Vec<RawApiKey>>;
    fn revoke_api_key(&mut self, id: i64) -> Result<bool>;
    /// Stores `subjects` with their ids, names and times (a migration into an empty gallery).
    fn import_subjects(&mut self, subjects: &[SubjectSummary]) -> Result<()>;
    /// Stores faces with their ids, subject ids and times, in one transaction (a migration).
    fn import_faces(&mut self, faces: &[(i64, &StoredFace)]) -> Result<()>;
    /// Stores API keys with their ids, times and revocations, in one transaction (a migration).
    fn import_api_keys(&mut self, keys: &[RawApiKey]) -> Result<()>;
    /// A separate connection for server-side nearest-neighbour queries (PostgreSQL only).
    fn searcher(&self, model: &GalleryModel) -> Result<Option<PgSearch>>;
}

/// An open gallery: a SQLite file or a PostgreSQL database.
pub struct Gallery {
    store: Box<dyn Store>,
    path: PathBuf,
    id: String,
    model: Option<GalleryModel>,
}

impl Gallery {
    /// Opens the gallery at `path`, creating the file if missing (its folder must exist: a typo in the
    /// folder is an error, not a new tree). Refuses files that are not facenet galleries, and galleries
    /// written by a newer schema. Only commands that add faces (enrol, import) should create a gallery;
    /// the others use [`Gallery::open_existing`].
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_location(&GalleryLocation::File(path.into()), true)
    }

    /// Opens the gallery at `path`, which must exist: reading a gallery never creates one, so a
    /// mistyped `--db` is an error instead of an empty gallery that answers `unknown`.
    pub fn open_existing(path: &Path) -> Result<Self> {
        Self::open_location(&GalleryLocation::File(path.into()), false)
    }

    /// Opens the gallery at `location`: a SQLite file (created when `create` and missing, see
    /// [`Gallery::open`]) or a PostgreSQL database (its schema created or migrated on open, in one
    /// transaction; the database itself must exist).
    pub fn open_location(location: &GalleryLocation, create: bool) -> Result<Self> {
        let path = location.display_path();
        let store: Box<dyn Store> = match location {
            GalleryLocation::File(file) => Box::new(sqlite::SqliteStore::open(file, create)?),
            GalleryLocation::Postgres(url) => Box::new(postgres::PgStore::open(url, &path)?),
        };
        let mut gallery = Self {
            store,
            path,
            id: String::new(),
            model: None,
        };
        gallery.id = gallery.store.read_meta("gallery_id")?.ok_or_else(|| Error::Corrupt {
            path: gallery.path.clone(),
            reason: "no gallery id".into(),
        })?;
        gallery.model = gallery
            .store
            .read_meta("model")?
            .map(|json| {
                serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                    path: gallery.path.clone(),
                    reason: format!("model record: {e}"),
                })
            })
            .transpose()?;
        if let Some(model) = gallery.model.clone() {
            gallery.store.prepare_model(&model)?;
        }
        Ok(gallery)
    }

    /// Opens (or creates, see [`Gallery::open`]) the gallery at `path` for embeddings of `model`: a new or
    /// empty gallery records the model, a gallery of another model (id or dim) is refused.
    pub fn open_for(path: &Path, model: &GalleryModel) -> Result<Self> {
        let mut gallery = Self::open(path)?;
        gallery.bind_model(model)?;
        Ok(gallery)
    }

    /// [`Gallery::open_for`] at any location.
    pub fn open_location_for(location: &GalleryLocation, model: &GalleryModel) -> Result<Self> {
        let mut gallery = Self::open_location(location, true)?;
        gallery.bind_model(model)?;
        Ok(gallery)
    }

    /// The gallery's file, or for PostgreSQL its URL with the password left out.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A random id given to the gallery when it was created (tells apart two files at one path).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model of the gallery's embeddings; `None` until the first enrol.
    pub fn model(&self) -> Option<&GalleryModel> {
        self.model.as_ref()
    }

    /// The model, or [`Error::NoModel`] for a gallery nothing was enrolled in.
    pub fn require_model(&self) -> Result<&GalleryModel> {
        self.model.as_ref().ok_or_else(|| Error::NoModel {
            path: self.path.clone(),
        })
    }

    /// Records `model` as the gallery's model, or checks it is the one recorded.
    pub fn bind_model(&mut self, model: &GalleryModel) -> Result<()> {
        match &self.model {
            Some(stored) if stored.id != model.id || stored.dim != model.dim => Err(Error::ModelMismatch {
                path: self.path.clone(),
                stored: stored.id.clone(),
                stored_dim: stored.dim,
                requested: model.id.clone(),
                requested_dim: model.dim,
            }),
            Some(_) => Ok(()),
            None => {
                let json = serde_json::to_string(model).expect("a model should serialise to JSON");
                self.store.write_meta("model", &json)?;
                self.store.prepare_model(model)?;
                self.model = Some(model.clone());
                Ok(())
            }
        }
    }

    /// Checks that faces embedded by `probe` may be searched in this gallery: the gallery's own model, or
    /// one that declares it compatible with the gallery's model ([`ModelInfo::compatible_with`], a
    /// harmonic training run of FaceNet Sec. 6) and has its dimension. A gallery with no model yet
    /// records `probe`'s (as [`Gallery::bind_model`]). Anything else is [`Error::ModelMismatch`].
    pub fn accept_probes(&mut self, probe: &ModelInfo) -> Result<()> {
        match &self.model {
            Some(stored) if probe.dim == stored.dim && probe.compatible_with.contains(&stored.id) => Ok(()),
            _ => self.bind_model(&GalleryModel::from(probe)),
        }
    }

    /// Enrols `faces` as `subject` (created if new) in one transaction; returns their ids, `None` for a
    /// face already stored (see [`Gallery::enroll_batch`]). When this returns, the faces are on disk.
    pub fn enroll(&mut self, subject: &str, faces: &[NewFace]) -> Result<Vec<Option<i64>>> {
        let items: Vec<(&str, &NewFace)> = faces.iter().map(|f| (subject, f)).collect();
        self.enroll_batch(&items)
    }

    /// Runs `load` (enrolments, an import, a migration) with the model's server-side HNSW index
    /// dropped, then builds the index once over every face: on PostgreSQL, building it after a load of
    /// N faces costs far less than keeping it current through N inserts. The index is built again also
    /// when `load` fails (its error is returned). Meanwhile HNSW searches of other processes on this
    /// gallery scan every face: use it for a first load or in a maintenance window. On SQLite (whose
    /// HNSW index beside the file is brought up to date when next opened) it only runs `load`.
    pub fn bulk_load<T>(&mut self, load: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let model = self.require_model()?.clone();
        self.store.drop_search_index(&model)?;
        let loaded = load(self);
        let rebuilt = self.store.prepare_model(&model);
        let value = loaded?;
        rebuilt?;
        Ok(value)
    }

    /// Enrols (subject, face) pairs, subjects created as needed, all in one transaction (bulk loads:
    /// one commit for many faces); returns the face ids in order. A face whose subject, photo sha256 and
    /// face index are already stored is not stored again and gets `None`: the unique index decides inside
    /// the write transaction, so concurrent enrols and repeated imports cannot duplicate a face.
    pub fn enroll_batch(&mut self, items: &[(&str, &NewFace)]) -> Result<Vec<Option<i64>>> {
        let model = self.require_model()?.clone();
        for (subject, face) in items {
            check_name(subject)?;
            check_embedding(&model, &face.embedding)?;
        }
        self.store.insert_faces(&model, items)
    }

    /// Whether a face from a photo with this sha256 is enrolled.
    pub fn contains_sha256(&self, sha256: &str) -> Result<bool> {
        self.store.contains_sha256(sha256)
    }

    /// Every subject, by name, with its face count.
    pub fn subjects(&self) -> Result<Vec<SubjectSummary>> {
        self.store.subjects()
    }

    /// The faces of subject `name`, oldest first.
    pub fn faces_of(&self, name: &str) -> Result<Vec<StoredFace>> {
        self.subject_id(name)?;
        self.store
            .faces_of(name)?
            .into_iter()
            .map(|raw| self.check_row(raw))
            .collect()
    }

    /// Calls `visit` on every face in id order, reading `page` rows at a time inside one read
    /// transaction (a consistent snapshot while another process writes). `visit` must not call the
    /// gallery.
    pub fn for_each_face(&self, page: usize, mut visit: impl FnMut(StoredFace) -> Result<()>) -> Result<()> {
        self.store
            .for_each_face(page.max(1), &mut |raw| visit(self.check_row(raw)?))
    }

    /// Removes subject `name` and all its faces; returns how many faces went.
    pub fn remove_subject(&mut self, name: &str) -> Result<usize> {
        let faces = self.faces_of(name)?.len();
        self.store.delete_subject(name)?;
        Ok(faces)
    }

    /// Removes one face by id; `false` when there is no such face.
    pub fn remove_face(&mut self, id: i64) -> Result<bool> {
        self.store.delete_face(id)
    }

    /// Renames subject `from` to `to` (refused if `to` exists).
    pub fn rename_subject(&mut self, from: &str, to: &str) -> Result<()> {
        self.subject_id(from)?;
        check_name(to)?;
        if self.store.subject_id(to)?.is_some() {
            return Err(Error::SubjectExists {
                path: self.path.clone(),
                name: to.into(),
            });
        }
        self.store.rename_subject(from, to)
    }

    /// The number of enrolled faces.
    pub fn face_count(&self) -> Result<usize> {
        self.store.face_count()
    }

    /// SQLite's `PRAGMA integrity_check` (PostgreSQL: the server answers and the schema is current):
    /// `Ok` when the gallery is sound, else the problems found.
    pub fn integrity_check(&self) -> Result<()> {
        self.store.integrity_check()
    }

    /// The backend, for the crate's other modules (examples, keys, search).
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(crate) fn store_mut(&mut self) -> &mut dyn Store {
        self.store.as_mut()
    }

    /// An error for face `face_id` that does not match the gallery.
    pub(crate) fn bad_row(&self, face_id: i64, problem: String) -> Error {
        Error::BadRow {
            path: self.path.clone(),
            face_id,
            problem,
        }
    }

    pub(crate) fn subject_id(&self, name: &str) -> Result<i64> {
        self.store.subject_id(name)?.ok_or_else(|| Error::UnknownSubject {
            path: self.path.clone(),
            name: name.into(),
        })
    }

    /// Checks a row against the gallery's model and decodes it.
    fn check_row(&self, raw: RawFace) -> Result<StoredFace> {
        let embedding = self.check_vector(raw.id, &raw.model_id, raw.dim, raw.embedding)?;
        let landmarks: Option<FaceLandmarks> = match raw.landmarks {
            Some(json) => {
                Some(serde_json::from_str(&json).map_err(|e| self.bad_row(raw.id, format!("landmarks: {e}")))?)
            }
            None => None,
        };
        let detection = match (raw.bbox, raw.score) {
            (Some([x1, y1, x2, y2]), Some(score)) => Some(Detection {
                bbox: BBox::new(x1, y1, x2, y2),
                score,
                landmarks,
            }),
            _ => None,
        };
        Ok(StoredFace {
            id: raw.id,
            subject: raw.subject,
            model_id: raw.model_id,
            face: NewFace {
                embedding,
                source: raw.source,
                detection,
            },
            created_at: raw.created_at,
        })
    }

    /// The embedding of face `id`, refused unless its model and size are the gallery's.
    pub(crate) fn check_vector(&self, id: i64, model_id: &str, dim: i64, values: Vec<f32>) -> Result<Embedding> {
        let model = self.require_model()?;
        if model_id != model.id || dim != model.dim as i64 {
            return Err(self.bad_row(
                id,
                format!(
                    "embedding of model {model_id:?} ({dim}-D), gallery is {:?} ({}-D)",
                    model.id, model.dim
                ),
            ));
        }
        if values.len() != model.dim {
            return Err(self.bad_row(
                id,
                format!("embedding of {} values, expected {}", values.len(), model.dim),
            ));
        }
        Ok(Embedding::new(values))
    }
}

/// A subject name: anything but blank.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::Invalid("subject name: empty".into()));
    }
    Ok(())
}

fn check_embedding(model: &GalleryModel, embedding: &Embedding) -> Result<()> {
    if embedding.dim() != model.dim {
        return Err(Error::Invalid(format!(
            "embedding of {} values, the gallery's model {:?} makes {}",
            embedding.dim(),
            model.id,
            model.dim
        )));
    }
    if embedding.as_slice().iter().any(|v| !v.is_finite()) {
        return Err(Error::Invalid("embedding with a non-finite value".into()));
    }
    Ok(())
}

/// The int8 codes and scale stored beside a face's f32 embedding (search's first pass).
pub(crate) fn face_codes(face: &NewFace) -> (Vec<u8>, f64) {
    let quantized = facenet_core::quantize::Quantized::new(face.embedding.as_slice());
    (
        quantized.codes.iter().map(|&c| c as u8).collect(),
        quantized.scale as f64,
    )
}

/// The box as stored (f64 columns), or four `None`.
pub(crate) fn face_box(face: &NewFace) -> [Option<f64>; 4] {
    face.detection
        .as_ref()
        .map(|d| d.bbox.to_array().map(|v| Some(v as f64)))
        .unwrap_or([None; 4])
}

/// The landmarks as stored (JSON).
pub(crate) fn face_landmarks(face: &NewFace) -> Option<String> {
    face.detection
        .as_ref()
        .and_then(|d| d.landmarks.as_ref())
        .map(|l| serde_json::to_string(l).expect("landmarks should serialise to JSON"))
}

/// Little-endian f32 bytes.
pub(crate) fn encode_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The inverse of [`encode_f32`]; a length that is not a multiple of 4 gives no values (and the row
/// check refuses it).
pub(crate) fn decode_f32(bytes: &[u8]) -> Vec<f32> {
    if !bytes.len().is_multiple_of(4) {
        return Vec::new();
    }
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
