//! The SQLite backend of [`crate::Gallery`]: one file, WAL mode, `synchronous = FULL` (a commit that
//! returned survives a killed process and a power cut), a busy timeout so writers queue. The SQL is in
//! [`crate::schema`]; migrations are tracked by `PRAGMA user_version`.

use super::{GalleryModel, NewFace, RawApiKey, RawExampleFace, RawFace, Store, StoredFace, SubjectSummary, VectorRow};
use super::{decode_f32, encode_f32, face_box, face_codes, face_landmarks, unix_now};
use crate::schema;
use crate::{Error, Example, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer or reader waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens the file at `path`; creates it when `create` (its folder must exist) — else it must exist.
    pub fn open(path: &Path, create: bool) -> Result<Self> {
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(Error::Missing {
                    path: path.into(),
                    what: format!("folder {} does not exist", dir.display()),
                });
            }
        } else if !path.is_file() {
            return Err(Error::Missing {
                path: path.into(),
                what: "no such gallery file (enroll or import creates one)".into(),
            });
        }
        let create = if create {
            OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::empty()
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | create | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| corrupt(path, e))?;
        let mut store = Self {
            conn,
            path: path.into(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Wraps a SQLite error with this gallery's path.
    fn sqlite(&self, source: rusqlite::Error) -> Error {
        sqlite_error(&self.path, source)
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
        let sql = |e| sqlite_error(&path, e);
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

    fn query_faces(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<RawFace>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.sqlite(e))?;
        let rows = stmt.query_map(params, read_face_row).map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }
}

impl Store for SqliteStore {
    fn read_meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(schema::GET_META, [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn write_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(schema::SET_META, params![key, value])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn prepare_model(&mut self, _model: &GalleryModel) -> Result<()> {
        Ok(())
    }

    fn drop_search_index(&mut self, _model: &GalleryModel) -> Result<()> {
        Ok(())
    }

    fn insert_faces(&mut self, model: &GalleryModel, items: &[(&str, &NewFace)]) -> Result<Vec<Option<i64>>> {
        let path = self.path.clone();
        let sql = |e| sqlite_error(&path, e);
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
                let inserted = insert_face(&mut insert, subject_id, model, face).map_err(sql)?;
                ids.push((inserted == 1).then(|| tx.last_insert_rowid()));
            }
        }
        tx.commit().map_err(sql)?;
        Ok(ids)
    }

    fn contains_sha256(&self, sha256: &str) -> Result<bool> {
        self.conn
            .query_row(schema::HAS_SHA256, [sha256], |r| r.get(0))
            .map_err(|e| self.sqlite(e))
    }

    fn subjects(&self) -> Result<Vec<SubjectSummary>> {
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

    fn subject_id(&self, name: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(schema::SUBJECT_ID, [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn insert_subject(&mut self, name: &str) -> Result<()> {
        self.conn
            .execute(schema::INSERT_SUBJECT, params![name, unix_now()])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn faces_of(&self, name: &str) -> Result<Vec<RawFace>> {
        self.query_faces(&schema::faces_of_subject(), [name])
    }

    fn for_each_face(&self, page: usize, visit: &mut dyn FnMut(RawFace) -> Result<()>) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let mut after = 0i64;
        loop {
            let rows = self.query_faces(&schema::faces_after(), params![after, page as i64])?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for raw in rows {
                visit(raw)?;
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn load_vectors(&self, after: i64, visit: &mut dyn FnMut(VectorRow) -> Result<()>) -> Result<HashMap<i64, String>> {
        const PAGE_ROWS: i64 = 50_000;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let mut stmt = tx.prepare(schema::VECTORS_AFTER).map_err(|e| self.sqlite(e))?;
        let mut last = after;
        loop {
            let mut rows = stmt.query(params![last, PAGE_ROWS]).map_err(|e| self.sqlite(e))?;
            let mut page = 0;
            while let Some(row) = rows.next().map_err(|e| self.sqlite(e))? {
                let vector = read_vector_row(row).map_err(|e| self.sqlite(e))?;
                last = vector.face_id;
                page += 1;
                visit(vector)?;
            }
            if page < PAGE_ROWS {
                break;
            }
        }
        drop(stmt);
        let mut names = tx.prepare(schema::SUBJECT_NAMES).map_err(|e| self.sqlite(e))?;
        let names = names
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        Ok(names)
    }

    fn delete_subject(&mut self, name: &str) -> Result<()> {
        self.conn
            .execute(schema::DELETE_SUBJECT, [name])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn delete_face(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute(schema::DELETE_FACE, [id])
            .map_err(|e| self.sqlite(e))?
            > 0)
    }

    fn rename_subject(&mut self, from: &str, to: &str) -> Result<()> {
        self.conn
            .execute(schema::RENAME_SUBJECT, [from, to])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn face_count(&self) -> Result<usize> {
        self.conn
            .query_row(schema::COUNT_FACES, [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.sqlite(e))
    }

    fn integrity_check(&self) -> Result<()> {
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

    fn example_of_face(&self, face_id: i64) -> Result<Option<String>> {
        self.conn
            .query_row(schema::EXAMPLE_OF_FACE, [face_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn insert_example(&mut self, image_id: &str, face_id: i64, image: &[u8]) -> Result<()> {
        self.conn
            .execute(schema::INSERT_EXAMPLE, params![image_id, face_id, image])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn examples(&self, subject: Option<&str>, size: usize, offset: usize) -> Result<(Vec<Example>, usize)> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let total: i64 = tx
            .query_row(schema::COUNT_EXAMPLES, [subject], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        let mut stmt = tx.prepare(schema::PAGE_EXAMPLES).map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(params![subject, size as i64, offset as i64], |r| {
                Ok(Example {
                    image_id: r.get(0)?,
                    subject: r.get(1)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        let examples = rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))?;
        Ok((examples, total as usize))
    }

    fn example_image(&self, image_id: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(schema::EXAMPLE_IMAGE, [image_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn example_face(&self, image_id: &str) -> Result<Option<RawExampleFace>> {
        self.conn
            .query_row(schema::EXAMPLE_FACE, [image_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(3)?,
                    r.get(4)?,
                    decode_f32(&r.get::<_, Vec<u8>>(2)?),
                ))
            })
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn face_of_example(&self, image_id: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(schema::FACE_OF_EXAMPLE, [image_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn delete_faces(&mut self, subject: Option<&str>) -> Result<usize> {
        let removed = match subject {
            Some(name) => self.conn.execute(schema::DELETE_FACES_OF_SUBJECT, [name]),
            None => self.conn.execute(schema::DELETE_ALL_FACES, []),
        };
        removed.map_err(|e| self.sqlite(e))
    }

    fn merge_subject(&mut self, from: i64, to: i64) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        tx.execute(schema::MOVE_FACES, [from, to]).map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_SUBJECT_BY_ID, [from])
            .map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn delete_all_subjects(&mut self) -> Result<usize> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let count: i64 = tx
            .query_row(schema::COUNT_SUBJECTS, [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_ALL_FACES, []).map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_ALL_SUBJECTS, [])
            .map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(count as usize)
    }

    fn face_of_source(&self, subject_id: i64, sha256: &str, face_index: usize) -> Result<i64> {
        self.conn
            .query_row(
                schema::FACE_OF_SOURCE,
                params![subject_id, sha256, face_index as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))
    }

    fn insert_api_key(&mut self, service: &str, key_sha256: &str) -> Result<i64> {
        self.conn
            .execute(schema::INSERT_API_KEY, params![service, key_sha256, unix_now()])
            .map_err(|e| self.sqlite(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn api_keys(&self) -> Result<Vec<RawApiKey>> {
        let mut stmt = self.conn.prepare(schema::LIST_API_KEYS).map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    fn revoke_api_key(&mut self, id: i64) -> Result<bool> {
        let changed = self
            .conn
            .execute(schema::REVOKE_API_KEY, params![id, unix_now()])
            .map_err(|e| self.sqlite(e))?;
        Ok(changed > 0)
    }

    fn import_subjects(&mut self, subjects: &[SubjectSummary]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        for subject in subjects {
            tx.execute(
                schema::IMPORT_SUBJECT,
                params![subject.id, subject.name, subject.created_at],
            )
            .map_err(|e| self.sqlite(e))?;
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn import_api_keys(&mut self, keys: &[RawApiKey]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        for (id, service, sha256, created_at, revoked_at) in keys {
            tx.execute(
                schema::IMPORT_API_KEY,
                params![id, service, sha256, created_at, revoked_at],
            )
            .map_err(|e| self.sqlite(e))?;
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn import_faces(&mut self, faces: &[(i64, &StoredFace)]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        {
            let mut insert = tx.prepare_cached(schema::IMPORT_FACE).map_err(|e| self.sqlite(e))?;
            for &(subject_id, stored) in faces {
                let model = GalleryModel {
                    id: stored.model_id.clone(),
                    dim: stored.face.embedding.dim(),
                    metric: facenet_core::distance::Metric::SquaredL2,
                    threshold: 0.0,
                };
                let mut values = face_values(subject_id, &model, &stored.face, stored.created_at);
                values.push(Box::new(stored.id));
                insert
                    .execute(rusqlite::params_from_iter(values.iter()))
                    .map_err(|e| self.sqlite(e))?;
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn searcher(&self, _model: &GalleryModel) -> Result<Option<super::PgSearch>> {
        Ok(None)
    }
}

fn read_face_row(r: &Row) -> rusqlite::Result<RawFace> {
    let source = match (
        r.get::<_, Option<String>>(7)?,
        r.get::<_, Option<String>>(8)?,
        r.get::<_, Option<i64>>(9)?,
    ) {
        (Some(path), Some(sha256), Some(index)) => Some(super::FaceSource {
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
        embedding: decode_f32(&r.get::<_, Vec<u8>>(4)?),
        source,
        bbox,
        landmarks: r.get(14)?,
        score: r.get(15)?,
        created_at: r.get(16)?,
    })
}

fn read_vector_row(row: &Row) -> rusqlite::Result<VectorRow> {
    Ok(VectorRow {
        face_id: row.get(0)?,
        subject_id: row.get(1)?,
        model_id: row.get(2)?,
        dim: row.get(3)?,
        embedding: decode_f32(row.get_ref(4)?.as_blob()?),
        codes: row.get(5)?,
        scale: row.get(6)?,
    })
}

/// Binds one face to [`schema::INSERT_FACE`]; 1 when stored, 0 when already there.
fn insert_face(
    statement: &mut rusqlite::Statement,
    subject_id: i64,
    model: &GalleryModel,
    face: &NewFace,
) -> rusqlite::Result<usize> {
    let values = face_values(subject_id, model, face, unix_now());
    statement.execute(rusqlite::params_from_iter(values.iter()))
}

/// The 16 values of [`schema::INSERT_FACE`], in its order.
fn face_values(subject_id: i64, model: &GalleryModel, face: &NewFace, created_at: i64) -> Vec<Box<dyn ToSql>> {
    let (codes, scale) = face_codes(face);
    let bbox = face_box(face);
    let source = face.source.as_ref();
    vec![
        Box::new(subject_id),
        Box::new(model.id.clone()),
        Box::new(model.dim as i64),
        Box::new(encode_f32(face.embedding.as_slice())),
        Box::new(codes),
        Box::new(scale),
        Box::new(source.map(|s| s.path.clone())),
        Box::new(source.map(|s| s.sha256.clone())),
        Box::new(source.map(|s| s.face_index as i64)),
        Box::new(bbox[0]),
        Box::new(bbox[1]),
        Box::new(bbox[2]),
        Box::new(bbox[3]),
        Box::new(face_landmarks(face)),
        Box::new(face.detection.as_ref().map(|d| d.score as f64)),
        Box::new(created_at),
    ]
}

fn corrupt(path: &Path, source: rusqlite::Error) -> Error {
    Error::Corrupt {
        path: path.into(),
        reason: source.to_string(),
    }
}

fn sqlite_error(path: &Path, source: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: path.into(),
        source,
    }
}
