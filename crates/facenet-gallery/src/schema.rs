//! The gallery's SQL: numbered migrations applied in order, tracked by `PRAGMA user_version`, and the
//! application id that marks a SQLite file as a facenet gallery.
//!
//! Tables: `meta` (key → value: model id, dim, metric, threshold), `subjects` (one per identity) and
//! `faces` (one per enrolled face: embedding as little-endian f32 BLOB, its int8 codes and scale, the
//! model id and dim it was made with, source file and sha256, box, landmarks as JSON, detection score;
//! unique per subject, sha256 and face index), `examples` (a face added through the server: its UUID and
//! photo) and `api_keys` (the server's keys, hashed).
//! All SQL of the crate lives in this file.

/// `PRAGMA application_id` of a facenet gallery: "FNGa".
pub const APPLICATION_ID: i32 = 0x464E_4761;

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE subjects (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         created_at INTEGER NOT NULL
     );
     CREATE TABLE faces (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
         model_id TEXT NOT NULL,
         dim INTEGER NOT NULL,
         embedding BLOB NOT NULL,
         codes BLOB NOT NULL,
         code_scale REAL NOT NULL,
         source_path TEXT,
         source_sha256 TEXT,
         face_index INTEGER,
         box_x1 REAL, box_y1 REAL, box_x2 REAL, box_y2 REAL,
         landmarks TEXT,
         score REAL,
         created_at INTEGER NOT NULL
     );
     CREATE INDEX faces_subject ON faces(subject_id);
     CREATE INDEX faces_sha256 ON faces(source_sha256);",
    // 2: one row per (subject, photo sha256, face index): duplicates that concurrent enrols or a repeated
    // import stored are removed (the oldest row kept), and a unique index keeps them out from now on.
    // Faces without a source (NULL sha256) are never duplicates of each other.
    "DELETE FROM faces WHERE source_sha256 IS NOT NULL AND id NOT IN (
         SELECT MIN(id) FROM faces WHERE source_sha256 IS NOT NULL
         GROUP BY subject_id, source_sha256, face_index);
     CREATE UNIQUE INDEX faces_source ON faces(subject_id, source_sha256, face_index);",
    // 3: the server's examples (a face added over HTTP: its UUID and the photo's bytes, for download) and
    // API keys (sha256 of the key, the service it belongs to, revoked keys kept with their time).
    "CREATE TABLE IF NOT EXISTS examples (
         image_id TEXT PRIMARY KEY,
         face_id INTEGER NOT NULL UNIQUE REFERENCES faces(id) ON DELETE CASCADE,
         image BLOB NOT NULL
     );
     CREATE TABLE IF NOT EXISTS api_keys (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         service TEXT NOT NULL,
         key_sha256 TEXT NOT NULL UNIQUE,
         created_at INTEGER NOT NULL,
         revoked_at INTEGER
     );",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

pub const GET_META: &str = "SELECT value FROM meta WHERE key = ?1";
pub const SET_META: &str =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

pub const SUBJECT_ID: &str = "SELECT id FROM subjects WHERE name = ?1";
pub const INSERT_SUBJECT: &str = "INSERT INTO subjects (name, created_at) VALUES (?1, ?2)";
pub const RENAME_SUBJECT: &str = "UPDATE subjects SET name = ?2 WHERE name = ?1";
pub const DELETE_SUBJECT: &str = "DELETE FROM subjects WHERE name = ?1";
pub const LIST_SUBJECTS: &str = "SELECT s.id, s.name, s.created_at, COUNT(f.id)
     FROM subjects s LEFT JOIN faces f ON f.subject_id = s.id GROUP BY s.id ORDER BY s.name";

pub const INSERT_FACE: &str = "INSERT INTO faces (subject_id, model_id, dim, embedding, codes, code_scale,
     source_path, source_sha256, face_index, box_x1, box_y1, box_x2, box_y2, landmarks, score, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
     ON CONFLICT (subject_id, source_sha256, face_index) DO NOTHING";
/// [`INSERT_FACE`] with the face's id (?17), for migrations.
pub const IMPORT_FACE: &str = "INSERT INTO faces (subject_id, model_id, dim, embedding, codes, code_scale,
     source_path, source_sha256, face_index, box_x1, box_y1, box_x2, box_y2, landmarks, score, created_at, id)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
pub const IMPORT_SUBJECT: &str = "INSERT INTO subjects (id, name, created_at) VALUES (?1, ?2, ?3)";
pub const DELETE_FACE: &str = "DELETE FROM faces WHERE id = ?1";
pub const COUNT_FACES: &str = "SELECT COUNT(*) FROM faces";
pub const HAS_SHA256: &str = "SELECT EXISTS(SELECT 1 FROM faces WHERE source_sha256 = ?1)";

/// Every column of a face with its subject's name; [`faces_of_subject`] and [`faces_after`] add
/// their filter to it.
const FACE_COLUMNS: &str = "SELECT f.id, s.name, f.model_id, f.dim, f.embedding, f.codes, f.code_scale,
     f.source_path, f.source_sha256, f.face_index, f.box_x1, f.box_y1, f.box_x2, f.box_y2, f.landmarks, f.score,
     f.created_at FROM faces f JOIN subjects s ON s.id = f.subject_id";

pub fn faces_of_subject() -> String {
    format!("{FACE_COLUMNS} WHERE s.name = ?1 ORDER BY f.id")
}

/// Faces with id > ?1, in id order, at most ?2 of them (paged reads of the whole gallery).
pub fn faces_after() -> String {
    format!("{FACE_COLUMNS} WHERE f.id > ?1 ORDER BY f.id LIMIT ?2")
}

/// Only what search needs: id, subject, model, dim, embedding, codes, scale; faces with id > ?1, paged.
pub const VECTORS_AFTER: &str = "SELECT f.id, f.subject_id, f.model_id, f.dim, f.embedding, f.codes, f.code_scale
     FROM faces f WHERE f.id > ?1 ORDER BY f.id LIMIT ?2";
pub const SUBJECT_NAMES: &str = "SELECT id, name FROM subjects";

pub const EXAMPLE_OF_FACE: &str = "SELECT image_id FROM examples WHERE face_id = ?1";
pub const FACE_OF_SOURCE: &str =
    "SELECT id FROM faces WHERE subject_id = ?1 AND source_sha256 = ?2 AND face_index = ?3";
pub const INSERT_EXAMPLE: &str = "INSERT INTO examples (image_id, face_id, image) VALUES (?1, ?2, ?3)";
pub const COUNT_EXAMPLES: &str = "SELECT COUNT(*) FROM examples e JOIN faces f ON f.id = e.face_id
     JOIN subjects s ON s.id = f.subject_id WHERE ?1 IS NULL OR s.name = ?1";
pub const PAGE_EXAMPLES: &str = "SELECT e.image_id, s.name FROM examples e JOIN faces f ON f.id = e.face_id
     JOIN subjects s ON s.id = f.subject_id WHERE ?1 IS NULL OR s.name = ?1 ORDER BY f.id LIMIT ?2 OFFSET ?3";
pub const EXAMPLE_IMAGE: &str = "SELECT image FROM examples WHERE image_id = ?1";
pub const EXAMPLE_FACE: &str = "SELECT e.face_id, s.name, f.embedding, f.model_id, f.dim FROM examples e
     JOIN faces f ON f.id = e.face_id JOIN subjects s ON s.id = f.subject_id WHERE e.image_id = ?1";
pub const DELETE_FACES_OF_SUBJECT: &str =
    "DELETE FROM faces WHERE subject_id = (SELECT id FROM subjects WHERE name = ?1)";
pub const DELETE_ALL_FACES: &str = "DELETE FROM faces";
pub const DELETE_ALL_SUBJECTS: &str = "DELETE FROM subjects";
pub const COUNT_SUBJECTS: &str = "SELECT COUNT(*) FROM subjects";
pub const MOVE_FACES: &str = "UPDATE OR IGNORE faces SET subject_id = ?2 WHERE subject_id = ?1";
pub const DELETE_SUBJECT_BY_ID: &str = "DELETE FROM subjects WHERE id = ?1";

pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (service, key_sha256, created_at) VALUES (?1, ?2, ?3)";
/// An API key with its id, for migrations.
pub const IMPORT_API_KEY: &str =
    "INSERT INTO api_keys (id, service, key_sha256, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)";
pub const LIST_API_KEYS: &str = "SELECT id, service, key_sha256, created_at, revoked_at FROM api_keys ORDER BY id";
pub const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";
pub const FACE_OF_EXAMPLE: &str = "SELECT face_id FROM examples WHERE image_id = ?1";
