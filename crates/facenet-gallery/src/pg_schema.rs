//! The gallery's SQL on PostgreSQL + pgvector (the [`crate::schema`] of the PostgreSQL backend): numbered
//! migrations applied in order on open, each recorded in `schema_versions`, all in one transaction under
//! an advisory lock (two processes opening a new database at once do not race).
//!
//! Tables as on SQLite (migrations 1–3 there): `meta`, `subjects`, `faces` (the embedding as pgvector's
//! `vector`, its int8 codes and scale, model id and dim, source, box, landmarks, score; unique per
//! subject, sha256 and face index), `examples` and `api_keys`. Each model gets a partial HNSW index on
//! `embedding::vector(dim)` (pgvector README, "Indexing" and "Can I store vectors with different
//! dimensions in the same column?"). Migration 2 adds each face's write token (PostgreSQL only: a
//! SQLite commit cannot lose its reply).

/// `pg_advisory_xact_lock` key of migrations: "FNGa", as SQLite's application id.
pub const MIGRATION_LOCK: i64 = 0x464E_4761;

pub const PREPARE: &str = "CREATE EXTENSION IF NOT EXISTS vector;
     CREATE TABLE IF NOT EXISTS schema_versions (
         version INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
     );";
pub const SCHEMA_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_versions";
pub const RECORD_VERSION: &str = "INSERT INTO schema_versions (version) VALUES ($1)";

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's migrations 1 to 3.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE subjects (
         id BIGSERIAL PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         created_at BIGINT NOT NULL
     );
     CREATE TABLE faces (
         id BIGSERIAL PRIMARY KEY,
         subject_id BIGINT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
         model_id TEXT NOT NULL,
         dim INTEGER NOT NULL,
         embedding vector NOT NULL,
         codes BYTEA NOT NULL,
         code_scale DOUBLE PRECISION NOT NULL,
         source_path TEXT,
         source_sha256 TEXT,
         face_index BIGINT,
         box_x1 DOUBLE PRECISION, box_y1 DOUBLE PRECISION, box_x2 DOUBLE PRECISION, box_y2 DOUBLE PRECISION,
         landmarks TEXT,
         score DOUBLE PRECISION,
         created_at BIGINT NOT NULL
     );
     CREATE INDEX faces_subject ON faces(subject_id);
     CREATE INDEX faces_sha256 ON faces(source_sha256);
     CREATE UNIQUE INDEX faces_source ON faces(subject_id, source_sha256, face_index);
     CREATE TABLE examples (
         image_id TEXT PRIMARY KEY,
         face_id BIGINT NOT NULL UNIQUE REFERENCES faces(id) ON DELETE CASCADE,
         image BYTEA NOT NULL
     );
     CREATE TABLE api_keys (
         id BIGSERIAL PRIMARY KEY,
         service TEXT NOT NULL,
         key_sha256 TEXT NOT NULL UNIQUE,
         created_at BIGINT NOT NULL,
         revoked_at BIGINT
     );",
    // 2: the write token of each face: a retried insert whose first attempt committed (its reply lost
    // with the connection) finds its faces by token instead of storing them twice. Unique with the
    // subject, as Citus requires of a table distributed by subject (docs/scale-out.md).
    "ALTER TABLE faces ADD COLUMN insert_token UUID;
     CREATE UNIQUE INDEX faces_insert_token ON faces(subject_id, insert_token);",
];

/// The schema version this build writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;

pub const GET_META: &str = "SELECT value FROM meta WHERE key = $1";
pub const SET_META: &str =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub const SUBJECT_ID: &str = "SELECT id FROM subjects WHERE name = $1";
/// Creates the subject unless another transaction did; the id follows from [`SUBJECT_ID`].
pub const ENSURE_SUBJECT: &str =
    "INSERT INTO subjects (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
pub const INSERT_SUBJECT: &str = "INSERT INTO subjects (name, created_at) VALUES ($1, $2)";
pub const RENAME_SUBJECT: &str = "UPDATE subjects SET name = $2 WHERE name = $1";
pub const DELETE_SUBJECT: &str = "DELETE FROM subjects WHERE name = $1";
pub const LIST_SUBJECTS: &str = "SELECT s.id, s.name, s.created_at, COUNT(f.id)
     FROM subjects s LEFT JOIN faces f ON f.subject_id = s.id GROUP BY s.id ORDER BY s.name COLLATE \"C\"";

/// A new face with its write token ($17); no row when the face's source (subject, sha256, face index)
/// or its token is stored already ([`FACE_OF_TOKEN`] tells which).
pub const INSERT_FACE: &str = "INSERT INTO faces (subject_id, model_id, dim, embedding, codes, code_scale,
     source_path, source_sha256, face_index, box_x1, box_y1, box_x2, box_y2, landmarks, score, created_at,
     insert_token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::TEXT::UUID)
     ON CONFLICT DO NOTHING RETURNING id";
/// The face an earlier attempt of the same insert stored.
pub const FACE_OF_TOKEN: &str = "SELECT id FROM faces WHERE subject_id = $1 AND insert_token = $2::TEXT::UUID";
/// A face with its id ($17), for migrations; [`BUMP_SEQUENCES`] afterwards. The migration imports (faces,
/// subjects, API keys) skip rows whose id is there: a retried batch whose first attempt committed.
pub const IMPORT_FACE: &str = "INSERT INTO faces (subject_id, model_id, dim, embedding, codes, code_scale,
     source_path, source_sha256, face_index, box_x1, box_y1, box_x2, box_y2, landmarks, score, created_at, id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (id) DO NOTHING";
pub const IMPORT_SUBJECT: &str =
    "INSERT INTO subjects (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
/// New ids continue after the largest imported one.
pub const BUMP_SEQUENCES: &str =
    "SELECT setval(pg_get_serial_sequence('faces', 'id'), GREATEST((SELECT MAX(id) FROM faces), 1));
     SELECT setval(pg_get_serial_sequence('subjects', 'id'), GREATEST((SELECT MAX(id) FROM subjects), 1));";
pub const DELETE_FACE: &str = "DELETE FROM faces WHERE id = $1";
pub const COUNT_FACES: &str = "SELECT COUNT(*) FROM faces";
pub const HAS_SHA256: &str = "SELECT EXISTS(SELECT 1 FROM faces WHERE source_sha256 = $1)";

const FACE_COLUMNS: &str = "SELECT f.id, s.name, f.model_id, f.dim, f.embedding, f.source_path, f.source_sha256,
     f.face_index, f.box_x1, f.box_y1, f.box_x2, f.box_y2, f.landmarks, f.score, f.created_at
     FROM faces f JOIN subjects s ON s.id = f.subject_id";

pub fn faces_of_subject() -> String {
    format!("{FACE_COLUMNS} WHERE s.name = $1 ORDER BY f.id")
}

/// Faces with id > $1, in id order, at most $2 of them.
pub fn faces_after() -> String {
    format!("{FACE_COLUMNS} WHERE f.id > $1 ORDER BY f.id LIMIT $2")
}

pub const VECTORS_AFTER: &str = "SELECT id, subject_id, model_id, dim, embedding, codes, code_scale
     FROM faces WHERE id > $1 ORDER BY id LIMIT $2";
pub const SUBJECT_NAMES: &str = "SELECT id, name FROM subjects";

pub const EXAMPLE_OF_FACE: &str = "SELECT image_id FROM examples WHERE face_id = $1";
pub const FACE_OF_SOURCE: &str =
    "SELECT id FROM faces WHERE subject_id = $1 AND source_sha256 = $2 AND face_index = $3";
pub const INSERT_EXAMPLE: &str = "INSERT INTO examples (image_id, face_id, image) VALUES ($1, $2, $3)";
pub const COUNT_EXAMPLES: &str = "SELECT COUNT(*) FROM examples e JOIN faces f ON f.id = e.face_id
     JOIN subjects s ON s.id = f.subject_id WHERE $1::TEXT IS NULL OR s.name = $1";
pub const PAGE_EXAMPLES: &str = "SELECT e.image_id, s.name FROM examples e JOIN faces f ON f.id = e.face_id
     JOIN subjects s ON s.id = f.subject_id WHERE $1::TEXT IS NULL OR s.name = $1 ORDER BY f.id LIMIT $2 OFFSET $3";
pub const EXAMPLE_IMAGE: &str = "SELECT image FROM examples WHERE image_id = $1";
pub const EXAMPLE_FACE: &str = "SELECT e.face_id, s.name, f.model_id, f.dim, f.embedding FROM examples e
     JOIN faces f ON f.id = e.face_id JOIN subjects s ON s.id = f.subject_id WHERE e.image_id = $1";
pub const FACE_OF_EXAMPLE: &str = "SELECT face_id FROM examples WHERE image_id = $1";
pub const DELETE_FACES_OF_SUBJECT: &str =
    "DELETE FROM faces WHERE subject_id = (SELECT id FROM subjects WHERE name = $1)";
pub const DELETE_ALL_FACES: &str = "DELETE FROM faces";
pub const DELETE_ALL_SUBJECTS: &str = "DELETE FROM subjects";
pub const COUNT_SUBJECTS: &str = "SELECT COUNT(*) FROM subjects";
/// `from`'s faces ($1) to `to` ($2), except those `to` holds already (SQLite's `UPDATE OR IGNORE`).
pub const MOVE_FACES: &str = "UPDATE faces f SET subject_id = $2 WHERE f.subject_id = $1 AND NOT EXISTS (
     SELECT 1 FROM faces g WHERE g.subject_id = $2 AND g.source_sha256 = f.source_sha256
     AND g.face_index = f.face_index)";
pub const DELETE_SUBJECT_BY_ID: &str = "DELETE FROM subjects WHERE id = $1";

pub const INSERT_API_KEY: &str =
    "INSERT INTO api_keys (service, key_sha256, created_at) VALUES ($1, $2, $3) RETURNING id";
/// An API key with its id, for migrations; [`BUMP_API_KEY_SEQUENCE`] afterwards.
pub const IMPORT_API_KEY: &str =
    "INSERT INTO api_keys (id, service, key_sha256, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING";
pub const BUMP_API_KEY_SEQUENCE: &str =
    "SELECT setval(pg_get_serial_sequence('api_keys', 'id'), GREATEST((SELECT MAX(id) FROM api_keys), 1))";
pub const LIST_API_KEYS: &str = "SELECT id, service, key_sha256, created_at, revoked_at FROM api_keys ORDER BY id";
pub const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";

/// The name of model `model_id`'s HNSW index: letters and digits of the id, its dim and a hash (two ids
/// that differ only in punctuation get two indexes).
pub fn hnsw_index_name(model_id: &str, dim: usize) -> String {
    let clean: String = model_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(30)
        .collect::<String>()
        .to_lowercase();
    let hash = model_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    format!("faces_hnsw_{clean}_{dim}_{:08x}", hash as u32)
}

/// A SQL string literal (the model id in the partial index's predicate and the queries that use it:
/// the planner matches a partial index only against a literal).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The HNSW index of one model (squared L2 order is L2 order: `vector_l2_ops`).
pub fn create_hnsw_index(model_id: &str, dim: usize, m: u32, ef_construction: u32) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON faces USING hnsw ((embedding::vector({dim})) vector_l2_ops)
         WITH (m = {m}, ef_construction = {ef_construction}) WHERE model_id = {}",
        hnsw_index_name(model_id, dim),
        literal(model_id)
    )
}

/// Drops the HNSW index of one model (before a bulk load; [`create_hnsw_index`] builds it again).
pub fn drop_hnsw_index(model_id: &str, dim: usize) -> String {
    format!("DROP INDEX IF EXISTS {}", hnsw_index_name(model_id, dim))
}

/// The `$2` nearest faces of model `model_id` to each query of `$1` (text vectors), as (query number from
/// 1, face id) rows, nearest first within a query: one round trip for a batch of queries.
pub fn nearest_batch(model_id: &str, dim: usize) -> String {
    format!(
        "SELECT q.i, n.id FROM unnest($1::TEXT[]) WITH ORDINALITY AS q(v, i)
         CROSS JOIN LATERAL (SELECT f.id FROM faces f WHERE f.model_id = {}
             ORDER BY f.embedding::vector({dim}) <-> q.v::vector({dim}) LIMIT $2) n
         ORDER BY q.i",
        literal(model_id)
    )
}
