//! [`Gallery`]: the SQLite file that holds subjects and their faces (WAL mode, `synchronous = FULL`, so
//! a commit that returned survives a killed process and a power cut), bound to one embedding model.

use crate::schema;
use crate::{Error, Result};
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_core::quantize::Quantized;
use facenet_vision::{BBox, Detection, FaceLandmarks, FaceRecord, ModelInfo};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// An open gallery file.
pub struct Gallery {
    conn: Connection,
    path: PathBuf,
    id: String,
    model: Option<GalleryModel>,
}

/// How long a writer or reader waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Gallery {
    /// Opens the gallery at `path`, creating the file if missing (its folder must exist: a typo in the
    /// folder is an error, not a new tree). Refuses files that are not facenet galleries, and galleries
    /// written by a newer schema. Only commands that add faces (enrol, import) should create a gallery;
    /// the others use [`Gallery::open_existing`].
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(Error::Missing {
                path: path.into(),
                what: format!("folder {} does not exist", dir.display()),
            });
        }
        Self::open_with(path, OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens the gallery at `path`, which must exist: reading a gallery never creates one, so a
    /// mistyped `--db` is an error instead of an empty gallery that answers `unknown`.
    pub fn open_existing(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::Missing {
                path: path.into(),
                what: "no such gallery file (enroll or import creates one)".into(),
            });
        }
        Self::open_with(path, OpenFlags::empty())
    }

    fn open_with(path: &Path, create: OpenFlags) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | create | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| corrupt(path, e))?;
        let mut gallery = Self {
            conn,
            path: path.into(),
            id: String::new(),
            model: None,
        };
        gallery.configure()?;
        gallery.migrate()?;
        gallery.id = gallery.read_meta("gallery_id")?.ok_or_else(|| Error::Corrupt {
            path: path.into(),
            reason: "no gallery id".into(),
        })?;
        gallery.model = gallery
            .read_meta("model")?
            .map(|json| {
                serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                    path: path.into(),
                    reason: format!("model record: {e}"),
                })
            })
            .transpose()?;
        Ok(gallery)
    }

    /// Opens (or creates, see [`Gallery::open`]) the gallery at `path` for embeddings of `model`: a new or
    /// empty gallery records the model, a gallery of another model (id or dim) is refused.
    pub fn open_for(path: &Path, model: &GalleryModel) -> Result<Self> {
        let mut gallery = Self::open(path)?;
        gallery.bind_model(model)?;
        Ok(gallery)
    }

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
                self.conn
                    .execute(schema::SET_META, params!["model", json])
                    .map_err(|e| self.sqlite(e))?;
                self.model = Some(model.clone());
                Ok(())
            }
        }
    }

    /// Enrols `faces` as `subject` (created if new) in one transaction; returns their ids, `None` for a
    /// face already stored (see [`Gallery::enroll_batch`]). When this returns, the faces are on disk.
    pub fn enroll(&mut self, subject: &str, faces: &[NewFace]) -> Result<Vec<Option<i64>>> {
        let items: Vec<(&str, &NewFace)> = faces.iter().map(|f| (subject, f)).collect();
        self.enroll_batch(&items)
    }

    /// Enrols (subject, face) pairs, subjects created as needed, all in one transaction (bulk loads:
    /// one commit for many faces); returns the face ids in order. A face whose subject, photo sha256 and
    /// face index are already stored is not stored again and gets `None`: the unique index decides inside
    /// the write transaction, so concurrent enrols and repeated imports cannot duplicate a face.
    pub fn enroll_batch(&mut self, items: &[(&str, &NewFace)]) -> Result<Vec<Option<i64>>> {
        let model = self.require_model()?.clone();
        for (subject, face) in items {
            if subject.trim().is_empty() {
                return Err(Error::Invalid("subject name: empty".into()));
            }
            check_embedding(&model, &face.embedding)?;
        }
        let path = self.path.clone();
        let sql = |e| Error::Sqlite {
            path: path.clone(),
            source: e,
        };
        // Immediate: take the write lock before the first read, so two writers queue (busy timeout)
        // instead of one failing when it upgrades a read transaction.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut ids = Vec::with_capacity(items.len());
        {
            let mut find_subject = tx.prepare_cached(schema::SUBJECT_ID).map_err(sql)?;
            let mut insert_subject = tx.prepare_cached(schema::INSERT_SUBJECT).map_err(sql)?;
            let mut insert = tx.prepare_cached(schema::INSERT_FACE).map_err(sql)?;
            let mut subject_ids: HashMap<&str, i64> = HashMap::new();
            for &(subject, face) in items {
                let subject_id = match subject_ids.get(subject) {
                    Some(&id) => id,
                    None => {
                        let id = match find_subject
                            .query_row([subject], |r| r.get::<_, i64>(0))
                            .optional()
                            .map_err(sql)?
                        {
                            Some(id) => id,
                            None => insert_subject.insert(params![subject, unix_now()]).map_err(sql)?,
                        };
                        subject_ids.insert(subject, id);
                        id
                    }
                };
                let inserted = face_params(subject_id, &model, face).insert(&mut insert).map_err(sql)?;
                ids.push((inserted == 1).then(|| tx.last_insert_rowid()));
            }
        }
        tx.commit().map_err(sql)?;
        Ok(ids)
    }

    /// Whether a face from a photo with this sha256 is enrolled.
    pub fn contains_sha256(&self, sha256: &str) -> Result<bool> {
        self.conn
            .query_row(schema::HAS_SHA256, [sha256], |r| r.get(0))
            .map_err(|e| self.sqlite(e))
    }

    /// Every subject, by name, with its face count.
    pub fn subjects(&self) -> Result<Vec<SubjectSummary>> {
        let mut stmt = self.conn.prepare(schema::LIST_SUBJECTS).map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SubjectSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    created_at: r.get(2)?,
                    faces: r.get::<_, i64>(3)? as usize,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// The faces of subject `name`, oldest first.
    pub fn faces_of(&self, name: &str) -> Result<Vec<StoredFace>> {
        self.subject_id(name)?;
        let mut stmt = self
            .conn
            .prepare(&schema::faces_of_subject())
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt.query_map([name], read_face_row).map_err(|e| self.sqlite(e))?;
        rows.map(|row| row.map_err(|e| self.sqlite(e)).and_then(|raw| self.check_row(raw)))
            .collect()
    }

    /// Calls `visit` on every face in id order, reading `page` rows at a time inside one read
    /// transaction (a consistent snapshot while another process writes).
    pub fn for_each_face(&self, page: usize, mut visit: impl FnMut(StoredFace) -> Result<()>) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let mut stmt = tx.prepare(&schema::faces_after()).map_err(|e| self.sqlite(e))?;
        let mut after = 0i64;
        loop {
            let rows: Vec<RawFace> = stmt
                .query_map(params![after, page as i64], read_face_row)
                .map_err(|e| self.sqlite(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.sqlite(e))?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.id;
            for raw in rows {
                visit(self.check_row(raw)?)?;
            }
        }
    }

    /// Removes subject `name` and all its faces; returns how many faces went.
    pub fn remove_subject(&mut self, name: &str) -> Result<usize> {
        let faces = self.faces_of(name)?.len();
        self.conn
            .execute(schema::DELETE_SUBJECT, [name])
            .map_err(|e| self.sqlite(e))?;
        Ok(faces)
    }

    /// Removes one face by id; `false` when there is no such face.
    pub fn remove_face(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute(schema::DELETE_FACE, [id])
            .map_err(|e| self.sqlite(e))?
            > 0)
    }

    /// Renames subject `from` to `to` (refused if `to` exists).
    pub fn rename_subject(&mut self, from: &str, to: &str) -> Result<()> {
        self.subject_id(from)?;
        if to.trim().is_empty() {
            return Err(Error::Invalid("subject name: empty".into()));
        }
        if self.subject_id(to).is_ok() {
            return Err(Error::SubjectExists {
                path: self.path.clone(),
                name: to.into(),
            });
        }
        self.conn
            .execute(schema::RENAME_SUBJECT, [from, to])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The number of enrolled faces.
    pub fn face_count(&self) -> Result<usize> {
        self.conn
            .query_row(schema::COUNT_FACES, [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.sqlite(e))
    }

    /// `PRAGMA integrity_check`: `Ok` when SQLite finds the file sound, else the problems it lists.
    pub fn integrity_check(&self) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.sqlite(e))?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        if lines == ["ok"] {
            Ok(())
        } else {
            Err(Error::Corrupt {
                path: self.path.clone(),
                reason: lines.join("; "),
            })
        }
    }

    /// The connection, for the crate's readers of vectors (search).
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Wraps a SQLite error with this gallery's path.
    pub(crate) fn sqlite(&self, source: rusqlite::Error) -> Error {
        Error::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// An error for face `face_id` that does not match the gallery.
    pub(crate) fn bad_row(&self, face_id: i64, problem: String) -> Error {
        Error::BadRow {
            path: self.path.clone(),
            face_id,
            problem,
        }
    }

    fn subject_id(&self, name: &str) -> Result<i64> {
        self.conn
            .query_row(schema::SUBJECT_ID, [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| Error::UnknownSubject {
                path: self.path.clone(),
                name: name.into(),
            })
    }

    fn configure(&self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.sqlite(e))?;
        // The first read of the file: a file that is not SQLite fails here.
        let application_id: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| corrupt(&self.path, e))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| corrupt(&self.path, e))?;
        if application_id != schema::APPLICATION_ID && !(application_id == 0 && tables == 0) {
            return Err(Error::Foreign {
                path: self.path.clone(),
                application_id,
            });
        }
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| corrupt(&self.path, e))?;
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.sqlite(e))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Applies the migrations this file lacks, in one write transaction.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let sql = |e| Error::Sqlite {
            path: path.clone(),
            source: e,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql)?;
        if found > schema::VERSION {
            return Err(Error::TooNew {
                path: path.clone(),
                found,
                supported: schema::VERSION,
            });
        }
        if found < schema::VERSION {
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID)
                .map_err(sql)?;
            for migration in &schema::MIGRATIONS[found as usize..] {
                tx.execute_batch(migration).map_err(sql)?;
            }
            tx.pragma_update(None, "user_version", schema::VERSION).map_err(sql)?;
            if found == 0 {
                let id = format!("{:016x}", rand::random::<u64>());
                tx.execute(schema::SET_META, params!["gallery_id", id]).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    fn read_meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(schema::GET_META, [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Checks a row against the gallery's model and decodes it.
    fn check_row(&self, raw: RawFace) -> Result<StoredFace> {
        let model = self.require_model()?;
        let embedding = self.check_vector(raw.id, &raw.model_id, raw.dim, &raw.embedding)?;
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
        debug_assert_eq!(model.dim, embedding.dim());
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

    /// The embedding of face `id` from its BLOB, refused unless its model and size are the gallery's.
    pub(crate) fn check_vector(&self, id: i64, model_id: &str, dim: i64, blob: &[u8]) -> Result<Embedding> {
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
        if blob.len() != model.dim * 4 {
            return Err(self.bad_row(
                id,
                format!("embedding of {} bytes, expected {}", blob.len(), model.dim * 4),
            ));
        }
        Ok(Embedding::new(decode_f32(blob)))
    }
}

/// A face row before it is checked.
struct RawFace {
    id: i64,
    subject: String,
    model_id: String,
    dim: i64,
    embedding: Vec<u8>,
    source: Option<FaceSource>,
    bbox: Option<[f32; 4]>,
    landmarks: Option<String>,
    score: Option<f32>,
    created_at: i64,
}

fn read_face_row(r: &Row) -> rusqlite::Result<RawFace> {
    let source = match (
        r.get::<_, Option<String>>(7)?,
        r.get::<_, Option<String>>(8)?,
        r.get::<_, Option<i64>>(9)?,
    ) {
        (Some(path), Some(sha256), Some(index)) => Some(FaceSource {
            path,
            sha256,
            face_index: index as usize,
        }),
        _ => None,
    };
    let bbox = match (r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?) {
        (Some(x1), Some(y1), Some(x2), Some(y2)) => Some([x1, y1, x2, y2]),
        _ => None,
    };
    Ok(RawFace {
        id: r.get(0)?,
        subject: r.get(1)?,
        model_id: r.get(2)?,
        dim: r.get(3)?,
        embedding: r.get(4)?,
        source,
        bbox,
        landmarks: r.get(14)?,
        score: r.get(15)?,
        created_at: r.get(16)?,
    })
}

/// The values bound to [`schema::INSERT_FACE`].
struct FaceParams {
    subject_id: i64,
    model_id: String,
    dim: i64,
    embedding: Vec<u8>,
    codes: Vec<u8>,
    scale: f64,
    source: (Option<String>, Option<String>, Option<i64>),
    bbox: [Option<f64>; 4],
    landmarks: Option<String>,
    score: Option<f64>,
    created_at: i64,
}

impl FaceParams {
    fn insert(&self, statement: &mut rusqlite::Statement) -> rusqlite::Result<usize> {
        statement.execute(params![
            self.subject_id,
            self.model_id,
            self.dim,
            self.embedding,
            self.codes,
            self.scale,
            self.source.0,
            self.source.1,
            self.source.2,
            self.bbox[0],
            self.bbox[1],
            self.bbox[2],
            self.bbox[3],
            self.landmarks,
            self.score,
            self.created_at
        ])
    }
}

fn face_params(subject_id: i64, model: &GalleryModel, face: &NewFace) -> FaceParams {
    let values = face.embedding.as_slice();
    let quantized = Quantized::new(values);
    let detection = face.detection.as_ref();
    let bbox = detection
        .map(|d| d.bbox.to_array().map(|v| Some(v as f64)))
        .unwrap_or([None; 4]);
    FaceParams {
        subject_id,
        model_id: model.id.clone(),
        dim: model.dim as i64,
        embedding: encode_f32(values),
        codes: quantized.codes.iter().map(|&c| c as u8).collect(),
        scale: quantized.scale as f64,
        source: match &face.source {
            Some(s) => (Some(s.path.clone()), Some(s.sha256.clone()), Some(s.face_index as i64)),
            None => (None, None, None),
        },
        bbox,
        landmarks: detection
            .and_then(|d| d.landmarks.as_ref())
            .map(|l| serde_json::to_string(l).expect("landmarks should serialise to JSON")),
        score: detection.map(|d| d.score as f64),
        created_at: unix_now(),
    }
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

/// Little-endian f32 bytes.
pub(crate) fn encode_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The inverse of [`encode_f32`] (the length is checked by the caller).
pub(crate) fn decode_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn corrupt(path: &Path, source: rusqlite::Error) -> Error {
    Error::Corrupt {
        path: path.into(),
        reason: source.to_string(),
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
