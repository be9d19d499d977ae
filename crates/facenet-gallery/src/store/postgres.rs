//! The PostgreSQL + pgvector backend of [`crate::Gallery`] (the SQL is in [`crate::pg_schema`]). One
//! connection per gallery (the sync `postgres` client); every write is one transaction. A connection the
//! server dropped (restart, failover) is reopened, retrying for [`RECONNECT_FOR`], and the transaction
//! that failed is run again — safe because a write that did not commit left nothing, and one that did
//! commit (its reply lost with the connection) is recognised: each new face carries a write token made
//! once per call, and migration rows carry their ids. Search runs server-side through
//! [`PgSearch`] on the model's HNSW index.
//!
//! HNSW settings ride on the URL as query parameters, taken out before the URL reaches libpq's parser:
//! `hnsw_m` (default 16), `hnsw_ef_construction` (64) — used when a model's index is created — and
//! `hnsw_ef_search` (40), per connection (pgvector's defaults).
//!
//! The client blocks on a runtime of its own and must not be called on a thread that drives async tasks
//! (facenet-server calls the gallery on blocking threads); [`PgSearch`] and dropping a connection run on
//! a thread of their own, so both are safe anywhere.

use super::{GalleryModel, NewFace, RawApiKey, RawExampleFace, RawFace, Store, StoredFace, SubjectSummary, VectorRow};
use super::{face_box, face_codes, face_landmarks, unix_now};
use crate::pg_schema as sql;
use crate::{Error, Example, Result};
use pgvector::Vector;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a dropped connection is retried before the operation fails.
pub(crate) const RECONNECT_FOR: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const PAGE_ROWS: i64 = 50_000;

/// Where to connect and the HNSW settings, parsed from the gallery URL.
#[derive(Clone)]
struct PgOptions {
    config: Config,
    m: u32,
    ef_construction: u32,
    ef_search: u32,
}

impl PgOptions {
    fn parse(url: &str, path: &Path) -> Result<Self> {
        let bad = |what: String| Error::Invalid(format!("gallery {}: {what}", path.display()));
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut m, mut ef_construction, mut ef_search) = (16, 64, 40);
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "hnsw_m" => &mut m,
                "hnsw_ef_construction" => &mut ef_construction,
                "hnsw_ef_search" => &mut ef_search,
                _ => {
                    kept.push(pair);
                    continue;
                }
            };
            *slot = value
                .parse::<u32>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| bad(format!("{key}={value}: expected a positive whole number")))?;
        }
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config = Config::from_str(&url).map_err(|e| bad(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("facenet");
        Ok(Self {
            config,
            m,
            ef_construction,
            ef_search,
        })
    }
}

pub(crate) struct PgStore {
    client: RefCell<Option<Client>>,
    options: PgOptions,
    path: PathBuf,
}

impl PgStore {
    /// Connects to `url` and brings its schema up to date.
    pub fn open(url: &str, path: &Path) -> Result<Self> {
        let options = PgOptions::parse(url, path)?;
        let client = options.config.connect(NoTls).map_err(|e| pg_error(path, e))?;
        let mut store = Self {
            client: RefCell::new(Some(client)),
            options,
            path: path.into(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations the database lacks, in one transaction under an advisory lock.
    fn migrate(&mut self) -> Result<()> {
        let found = self.run(|client| {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&sql::MIGRATION_LOCK])?;
            tx.batch_execute(sql::PREPARE)?;
            let found: i32 = tx.query_one(sql::SCHEMA_VERSION, &[])?.get(0);
            if found < sql::VERSION {
                for (i, migration) in sql::MIGRATIONS.iter().enumerate().skip(found as usize) {
                    tx.batch_execute(migration)?;
                    tx.execute(sql::RECORD_VERSION, &[&(i as i32 + 1)])?;
                }
                if found == 0 {
                    let id = format!("{:016x}", rand::random::<u64>());
                    tx.execute(sql::SET_META, &[&"gallery_id", &id])?;
                }
                tx.commit()?;
            }
            Ok(found)
        })?;
        if found > sql::VERSION {
            return Err(Error::TooNew {
                path: self.path.clone(),
                found: found.into(),
                supported: sql::VERSION.into(),
            });
        }
        Ok(())
    }

    /// [`Store::insert_faces`] with a write token per face, generated once per call so that every retry
    /// of the transaction carries the same tokens: a face an earlier attempt committed is found by its
    /// token and reported with its id, not stored again.
    fn insert_with_tokens(
        &mut self,
        model: &GalleryModel,
        items: &[(&str, &NewFace)],
        tokens: &[String],
    ) -> Result<Vec<Option<i64>>> {
        let rows: Vec<FaceValues> = items.iter().map(|(_, face)| FaceValues::of(face)).collect();
        self.run(|client| {
            let mut tx = client.transaction()?;
            let ensure = tx.prepare(sql::ENSURE_SUBJECT)?;
            let find = tx.prepare(sql::SUBJECT_ID)?;
            let insert = tx.prepare(sql::INSERT_FACE)?;
            let of_token = tx.prepare(sql::FACE_OF_TOKEN)?;
            let mut subject_ids: HashMap<&str, i64> = HashMap::new();
            let mut ids = Vec::with_capacity(items.len());
            for (((subject, _), values), token) in items.iter().zip(&rows).zip(tokens) {
                let subject_id = match subject_ids.get(subject) {
                    Some(&id) => id,
                    None => {
                        tx.execute(&ensure, &[subject, &unix_now()])?;
                        let id: i64 = tx.query_one(&find, &[subject])?.get(0);
                        subject_ids.insert(subject, id);
                        id
                    }
                };
                let (dim, created_at) = (model.dim as i32, unix_now());
                let mut params = values.params(&subject_id, &model.id, &dim, &created_at);
                params.push(token);
                let inserted = match tx.query_opt(&insert, &params)? {
                    Some(row) => Some(row),
                    None => tx.query_opt(&of_token, &[&subject_id, token])?,
                };
                ids.push(inserted.map(|row| row.get(0)));
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    /// Runs `op` on the connection; when the connection was lost, reconnects (for up to
    /// [`RECONNECT_FOR`]) and runs `op` again. `op` must be one whole transaction or one statement.
    fn run<T>(&self, mut op: impl FnMut(&mut Client) -> Result<T, postgres::Error>) -> Result<T> {
        let deadline = Instant::now() + RECONNECT_FOR;
        let mut slot = self.client.borrow_mut();
        loop {
            let client = match slot.as_mut() {
                Some(client) if !client.is_closed() => client,
                _ => {
                    *slot = Some(self.reconnect(deadline)?);
                    slot.as_mut().expect("just connected")
                }
            };
            match op(client) {
                Ok(value) => return Ok(value),
                Err(e) if connection_lost(client, &e) && Instant::now() < deadline => {
                    tracing::warn!("gallery {}: connection lost ({e}), reconnecting", self.path.display());
                    *slot = None;
                }
                Err(e) => return Err(pg_error(&self.path, e)),
            }
        }
    }

    /// Runs a read that visits rows: never repeated (a visitor must not see a row twice), but a lost
    /// connection is reopened for the next call.
    fn run_once<T>(&self, op: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut op = Some(op);
        let mut outcome = None;
        self.run(|client| {
            let op = op.take().expect("a visiting read runs once");
            outcome = Some(op(client));
            Ok(())
        })?;
        outcome.expect("the read ran")
    }

    fn reconnect(&self, deadline: Instant) -> Result<Client> {
        let mut wait = Duration::from_millis(100);
        loop {
            match self.options.config.connect(NoTls) {
                Ok(client) => return Ok(client),
                Err(e) if Instant::now() + wait < deadline => {
                    tracing::warn!("gallery {}: {e}; retrying in {wait:?}", self.path.display());
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(pg_error(&self.path, e)),
            }
        }
    }

    fn query_faces(&self, query: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<RawFace>> {
        self.run(|c| c.query(query, params))?
            .iter()
            .map(|row| read_face_row(row).map_err(|e| pg_error(&self.path, e)))
            .collect()
    }

    fn pg(&self, e: postgres::Error) -> Error {
        pg_error(&self.path, e)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        close_off_thread(self.client.get_mut().take());
    }
}

impl Store for PgStore {
    fn read_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.run(|c| c.query_opt(sql::GET_META, &[&key]))?.map(|r| r.get(0)))
    }

    fn write_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.run(|c| c.execute(sql::SET_META, &[&key, &value]))?;
        Ok(())
    }

    fn prepare_model(&mut self, model: &GalleryModel) -> Result<()> {
        let create = sql::create_hnsw_index(&model.id, model.dim, self.options.m, self.options.ef_construction);
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&sql::MIGRATION_LOCK])?;
            tx.batch_execute(&create)?;
            tx.commit()
        })
    }

    fn drop_search_index(&mut self, model: &GalleryModel) -> Result<()> {
        let drop = sql::drop_hnsw_index(&model.id, model.dim);
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&sql::MIGRATION_LOCK])?;
            tx.batch_execute(&drop)?;
            tx.commit()
        })
    }

    fn insert_faces(&mut self, model: &GalleryModel, items: &[(&str, &NewFace)]) -> Result<Vec<Option<i64>>> {
        let tokens: Vec<String> = items.iter().map(|_| write_token()).collect();
        self.insert_with_tokens(model, items, &tokens)
    }

    fn contains_sha256(&self, sha256: &str) -> Result<bool> {
        Ok(self.run(|c| c.query_one(sql::HAS_SHA256, &[&sha256]))?.get(0))
    }

    fn subjects(&self) -> Result<Vec<SubjectSummary>> {
        Ok(self
            .run(|c| c.query(sql::LIST_SUBJECTS, &[]))?
            .iter()
            .map(|r| SubjectSummary {
                id: r.get(0),
                name: r.get(1),
                created_at: r.get(2),
                faces: r.get::<_, i64>(3) as usize,
            })
            .collect())
    }

    fn subject_id(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.run(|c| c.query_opt(sql::SUBJECT_ID, &[&name]))?.map(|r| r.get(0)))
    }

    fn insert_subject(&mut self, name: &str) -> Result<()> {
        self.run(|c| c.execute(sql::INSERT_SUBJECT, &[&name, &unix_now()]))?;
        Ok(())
    }

    fn faces_of(&self, name: &str) -> Result<Vec<RawFace>> {
        self.query_faces(&sql::faces_of_subject(), &[&name])
    }

    fn for_each_face(&self, page: usize, visit: &mut dyn FnMut(RawFace) -> Result<()>) -> Result<()> {
        let path = self.path.clone();
        let query = sql::faces_after();
        self.run_once(|client| {
            let pg = |e| pg_error(&path, e);
            let mut tx = client.build_transaction().read_only(true);
            tx = tx.isolation_level(postgres::IsolationLevel::RepeatableRead);
            let mut tx = tx.start().map_err(pg)?;
            let statement = tx.prepare(&query).map_err(pg)?;
            let mut after = 0i64;
            loop {
                let rows = tx.query(&statement, &[&after, &(page as i64)]).map_err(pg)?;
                let Some(last) = rows.last() else { break };
                after = last.get(0);
                for row in &rows {
                    visit(read_face_row(row).map_err(pg)?)?;
                }
            }
            tx.commit().map_err(pg)
        })
    }

    fn load_vectors(&self, after: i64, visit: &mut dyn FnMut(VectorRow) -> Result<()>) -> Result<HashMap<i64, String>> {
        let path = self.path.clone();
        self.run_once(|client| {
            let pg = |e| pg_error(&path, e);
            let mut tx = client
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()
                .map_err(pg)?;
            let statement = tx.prepare(sql::VECTORS_AFTER).map_err(pg)?;
            let mut last = after;
            loop {
                let rows = tx.query(&statement, &[&last, &PAGE_ROWS]).map_err(pg)?;
                for row in &rows {
                    let vector = read_vector_row(row).map_err(pg)?;
                    last = vector.face_id;
                    visit(vector)?;
                }
                if (rows.len() as i64) < PAGE_ROWS {
                    break;
                }
            }
            let names = tx
                .query(sql::SUBJECT_NAMES, &[])
                .map_err(pg)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            tx.commit().map_err(pg)?;
            Ok(names)
        })
    }

    fn delete_subject(&mut self, name: &str) -> Result<()> {
        self.run(|c| c.execute(sql::DELETE_SUBJECT, &[&name]))?;
        Ok(())
    }

    fn delete_face(&mut self, id: i64) -> Result<bool> {
        Ok(self.run(|c| c.execute(sql::DELETE_FACE, &[&id]))? > 0)
    }

    fn rename_subject(&mut self, from: &str, to: &str) -> Result<()> {
        self.run(|c| c.execute(sql::RENAME_SUBJECT, &[&from, &to]))?;
        Ok(())
    }

    fn face_count(&self) -> Result<usize> {
        Ok(self.run(|c| c.query_one(sql::COUNT_FACES, &[]))?.get::<_, i64>(0) as usize)
    }

    fn integrity_check(&self) -> Result<()> {
        let found: i32 = self.run(|c| c.query_one(sql::SCHEMA_VERSION, &[]))?.get(0);
        if found == sql::VERSION {
            Ok(())
        } else {
            Err(Error::Corrupt {
                path: self.path.clone(),
                reason: format!("schema version {found}, expected {}", sql::VERSION),
            })
        }
    }

    fn example_of_face(&self, face_id: i64) -> Result<Option<String>> {
        Ok(self
            .run(|c| c.query_opt(sql::EXAMPLE_OF_FACE, &[&face_id]))?
            .map(|r| r.get(0)))
    }

    fn insert_example(&mut self, image_id: &str, face_id: i64, image: &[u8]) -> Result<()> {
        self.run(|c| c.execute(sql::INSERT_EXAMPLE, &[&image_id, &face_id, &image]))?;
        Ok(())
    }

    fn examples(&self, subject: Option<&str>, size: usize, offset: usize) -> Result<(Vec<Example>, usize)> {
        let (size, offset) = (size as i64, offset as i64);
        self.run(|c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let total: i64 = tx.query_one(sql::COUNT_EXAMPLES, &[&subject])?.get(0);
            let examples = tx
                .query(sql::PAGE_EXAMPLES, &[&subject, &size, &offset])?
                .iter()
                .map(|r| Example {
                    image_id: r.get(0),
                    subject: r.get(1),
                })
                .collect();
            tx.commit()?;
            Ok((examples, total as usize))
        })
    }

    fn example_image(&self, image_id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .run(|c| c.query_opt(sql::EXAMPLE_IMAGE, &[&image_id]))?
            .map(|r| r.get(0)))
    }

    fn example_face(&self, image_id: &str) -> Result<Option<RawExampleFace>> {
        let row = self.run(|c| c.query_opt(sql::EXAMPLE_FACE, &[&image_id]))?;
        row.map(|r| {
            let embedding: Vector = r.try_get(4).map_err(|e| self.pg(e))?;
            Ok((
                r.get(0),
                r.get(1),
                r.get(2),
                r.get::<_, i32>(3).into(),
                embedding.to_vec(),
            ))
        })
        .transpose()
    }

    fn face_of_example(&self, image_id: &str) -> Result<Option<i64>> {
        Ok(self
            .run(|c| c.query_opt(sql::FACE_OF_EXAMPLE, &[&image_id]))?
            .map(|r| r.get(0)))
    }

    fn delete_faces(&mut self, subject: Option<&str>) -> Result<usize> {
        let removed = match subject {
            Some(name) => self.run(|c| c.execute(sql::DELETE_FACES_OF_SUBJECT, &[&name]))?,
            None => self.run(|c| c.execute(sql::DELETE_ALL_FACES, &[]))?,
        };
        Ok(removed as usize)
    }

    fn merge_subject(&mut self, from: i64, to: i64) -> Result<()> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute(sql::MOVE_FACES, &[&from, &to])?;
            tx.execute(sql::DELETE_SUBJECT_BY_ID, &[&from])?;
            tx.commit()
        })
    }

    fn delete_all_subjects(&mut self) -> Result<usize> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            let count: i64 = tx.query_one(sql::COUNT_SUBJECTS, &[])?.get(0);
            tx.execute(sql::DELETE_ALL_FACES, &[])?;
            tx.execute(sql::DELETE_ALL_SUBJECTS, &[])?;
            tx.commit()?;
            Ok(count as usize)
        })
    }

    fn face_of_source(&self, subject_id: i64, sha256: &str, face_index: usize) -> Result<i64> {
        let index = face_index as i64;
        Ok(self
            .run(|c| c.query_one(sql::FACE_OF_SOURCE, &[&subject_id, &sha256, &index]))?
            .get(0))
    }

    fn insert_api_key(&mut self, service: &str, key_sha256: &str) -> Result<i64> {
        Ok(self
            .run(|c| c.query_one(sql::INSERT_API_KEY, &[&service, &key_sha256, &unix_now()]))?
            .get(0))
    }

    fn api_keys(&self) -> Result<Vec<RawApiKey>> {
        Ok(self
            .run(|c| c.query(sql::LIST_API_KEYS, &[]))?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect())
    }

    fn revoke_api_key(&mut self, id: i64) -> Result<bool> {
        Ok(self.run(|c| c.execute(sql::REVOKE_API_KEY, &[&id, &unix_now()]))? > 0)
    }

    fn import_subjects(&mut self, subjects: &[SubjectSummary]) -> Result<()> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            let insert = tx.prepare(sql::IMPORT_SUBJECT)?;
            for subject in subjects {
                tx.execute(&insert, &[&subject.id, &subject.name, &subject.created_at])?;
            }
            tx.batch_execute(sql::BUMP_SEQUENCES)?;
            tx.commit()
        })
    }

    fn import_faces(&mut self, faces: &[(i64, &StoredFace)]) -> Result<()> {
        let rows: Vec<FaceValues> = faces.iter().map(|(_, stored)| FaceValues::of(&stored.face)).collect();
        self.run(|c| {
            let mut tx = c.transaction()?;
            let insert = tx.prepare(sql::IMPORT_FACE)?;
            for ((subject_id, stored), values) in faces.iter().zip(&rows) {
                let dim = stored.face.embedding.dim() as i32;
                let mut params = values.params(subject_id, &stored.model_id, &dim, &stored.created_at);
                params.push(&stored.id);
                tx.execute(&insert, &params)?;
            }
            tx.batch_execute(sql::BUMP_SEQUENCES)?;
            tx.commit()
        })
    }

    fn import_api_keys(&mut self, keys: &[RawApiKey]) -> Result<()> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            let insert = tx.prepare(sql::IMPORT_API_KEY)?;
            for (id, service, sha256, created_at, revoked_at) in keys {
                tx.execute(&insert, &[id, service, sha256, created_at, revoked_at])?;
            }
            tx.batch_execute(sql::BUMP_API_KEY_SEQUENCE)?;
            tx.commit()
        })
    }

    fn searcher(&self, model: &GalleryModel) -> Result<Option<PgSearch>> {
        PgSearch::connect(&self.options, &self.path, model).map(Some)
    }
}

/// Server-side nearest-neighbour search on a PostgreSQL gallery: its own connection, `hnsw.ef_search`
/// set from the URL, one query per batch (a lateral join over the batch's vectors). Each call runs on a
/// thread of its own, so it is safe from async code.
pub(crate) struct PgSearch {
    client: Mutex<Option<Client>>,
    path: PathBuf,
    query: String,
}

impl PgSearch {
    fn connect(options: &PgOptions, path: &Path, model: &GalleryModel) -> Result<Self> {
        let config = options.config.clone();
        // The HNSW engine always uses the index: on small tables or with a large ef_search the planner
        // would rather scan every row (seconds, not milliseconds, at 512-D).
        let setup = format!("SET hnsw.ef_search = {}; SET enable_seqscan = off", options.ef_search);
        let client = on_own_thread(move || {
            let mut client = config.connect(NoTls)?;
            client.batch_execute(&setup)?;
            Ok(client)
        })
        .map_err(|e| pg_error(path, e))?;
        Ok(Self {
            client: Mutex::new(Some(client)),
            path: path.into(),
            query: sql::nearest_batch(&model.id, model.dim),
        })
    }

    /// The ids of the `k` faces nearest to each query by the HNSW index (approximate), nearest first.
    pub fn nearest(&self, queries: &[&[f32]], k: usize) -> Result<Vec<Vec<i64>>> {
        let texts: Vec<String> = queries.iter().map(|q| vector_text(q)).collect();
        let mut guard = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let client = guard.as_mut().expect("the search connection is open until drop");
        let query = &self.query;
        let rows = std::thread::scope(|scope| {
            scope
                .spawn(|| client.query(query.as_str(), &[&texts, &(k as i64)]))
                .join()
                .expect("the search thread should not panic")
        })
        .map_err(|e| pg_error(&self.path, e))?;
        let mut out = vec![Vec::with_capacity(k); queries.len()];
        for row in rows {
            let (i, id): (i64, i64) = (row.get(0), row.get(1));
            out[(i - 1) as usize].push(id);
        }
        Ok(out)
    }
}

impl Drop for PgSearch {
    fn drop(&mut self) {
        close_off_thread(self.client.get_mut().unwrap_or_else(|p| p.into_inner()).take());
    }
}

/// A new random write token (a UUID, as text).
fn write_token() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string()
}

/// pgvector's text form, `[v1,v2,…]` (Rust prints the shortest text that reads back to the same f32).
fn vector_text(values: &[f32]) -> String {
    let inner: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("[{}]", inner.join(","))
}

/// Runs `op` on a new thread and waits for it (the sync client must not run on an async thread).
fn on_own_thread<T: Send>(op: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(op).join().expect("a gallery thread should not panic"))
}

/// Closes a connection on a thread of its own (closing blocks; see the module doc).
fn close_off_thread(client: Option<Client>) {
    if let Some(client) = client {
        on_own_thread(move || drop(client));
    }
}

/// Whether `error` means the connection is gone (the server restarted, shut down or the network
/// failed), so a new connection may succeed.
fn connection_lost(client: &Client, error: &postgres::Error) -> bool {
    if client.is_closed() || error.is_closed() {
        return true;
    }
    match error.code() {
        // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
        None => error.as_db_error().is_none(),
    }
}

/// The values of one face as bound to [`sql::INSERT_FACE`].
struct FaceValues {
    embedding: Vector,
    codes: Vec<u8>,
    scale: f64,
    source_path: Option<String>,
    source_sha256: Option<String>,
    face_index: Option<i64>,
    bbox: [Option<f64>; 4],
    landmarks: Option<String>,
    score: Option<f64>,
}

impl FaceValues {
    fn of(face: &NewFace) -> Self {
        let (codes, scale) = face_codes(face);
        let source = face.source.as_ref();
        Self {
            embedding: Vector::from(face.embedding.as_slice().to_vec()),
            codes,
            scale,
            source_path: source.map(|s| s.path.clone()),
            source_sha256: source.map(|s| s.sha256.clone()),
            face_index: source.map(|s| s.face_index as i64),
            bbox: face_box(face),
            landmarks: face_landmarks(face),
            score: face.detection.as_ref().map(|d| d.score as f64),
        }
    }

    /// The parameters $1–$16 of [`sql::INSERT_FACE`] (which adds the write token) and of
    /// [`sql::IMPORT_FACE`] (which adds the id).
    fn params<'a>(
        &'a self,
        subject_id: &'a i64,
        model_id: &'a String,
        dim: &'a i32,
        created_at: &'a i64,
    ) -> Vec<&'a (dyn ToSql + Sync)> {
        let [x1, y1, x2, y2] = &self.bbox;
        vec![
            subject_id,
            model_id,
            dim,
            &self.embedding,
            &self.codes,
            &self.scale,
            &self.source_path,
            &self.source_sha256,
            &self.face_index,
            x1,
            y1,
            x2,
            y2,
            &self.landmarks,
            &self.score,
            created_at,
        ]
    }
}

fn read_face_row(r: &Row) -> Result<RawFace, postgres::Error> {
    let source = match (
        r.try_get::<_, Option<String>>(5)?,
        r.try_get::<_, Option<String>>(6)?,
        r.try_get::<_, Option<i64>>(7)?,
    ) {
        (Some(path), Some(sha256), Some(index)) => Some(super::FaceSource {
            path,
            sha256,
            face_index: index as usize,
        }),
        _ => None,
    };
    let corner = |i| r.try_get::<_, Option<f64>>(i).map(|v| v.map(|v| v as f32));
    let bbox = match (corner(8)?, corner(9)?, corner(10)?, corner(11)?) {
        (Some(x1), Some(y1), Some(x2), Some(y2)) => Some([x1, y1, x2, y2]),
        _ => None,
    };
    let embedding: Vector = r.try_get(4)?;
    Ok(RawFace {
        id: r.try_get(0)?,
        subject: r.try_get(1)?,
        model_id: r.try_get(2)?,
        dim: r.try_get::<_, i32>(3)?.into(),
        embedding: embedding.to_vec(),
        source,
        bbox,
        landmarks: r.try_get(12)?,
        score: r.try_get::<_, Option<f64>>(13)?.map(|v| v as f32),
        created_at: r.try_get(14)?,
    })
}

fn read_vector_row(r: &Row) -> Result<VectorRow, postgres::Error> {
    let embedding: Vector = r.try_get(4)?;
    Ok(VectorRow {
        face_id: r.try_get(0)?,
        subject_id: r.try_get(1)?,
        model_id: r.try_get(2)?,
        dim: r.try_get::<_, i32>(3)?.into(),
        embedding: embedding.to_vec(),
        codes: r.try_get(5)?,
        scale: r.try_get(6)?,
    })
}

fn pg_error(path: &Path, source: postgres::Error) -> Error {
    Error::Postgres {
        path: path.into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use facenet_core::Embedding;
    use facenet_core::distance::Metric;

    /// A store on a new database of the test server, or `None` (with a note) without one.
    fn fresh_store() -> Option<PgStore> {
        let Ok(server) = std::env::var("FACENET_TEST_PG_URL") else {
            eprintln!("SKIPPED: FACENET_TEST_PG_URL not set");
            return None;
        };
        let name = format!("facenet_unit_{:016x}", rand::random::<u64>());
        let mut admin = Client::connect(&server, NoTls).expect("the test server should answer");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = format!("{}/{name}", server.rsplit_once('/').expect("a URL with a database").0);
        Some(PgStore::open(&url, Path::new(&url)).unwrap())
    }

    #[test]
    fn a_retried_insert_whose_first_attempt_committed_stores_nothing_twice() {
        let Some(mut store) = fresh_store() else { return };
        let model = GalleryModel {
            id: "m".into(),
            dim: 2,
            metric: Metric::SquaredL2,
            threshold: 1.0,
        };
        let bare = NewFace::bare(Embedding::new(vec![0.6, 0.8]));
        let items = [("ann", &bare), ("ann", &bare), ("bob", &bare)];
        let tokens: Vec<String> = items.iter().map(|_| write_token()).collect();
        let first = store.insert_with_tokens(&model, &items, &tokens).unwrap();
        // The same transaction again, as `run` does after a reply lost with the connection.
        let retried = store.insert_with_tokens(&model, &items, &tokens).unwrap();
        assert_eq!(first, retried, "the retry reports the faces the first attempt stored");
        assert!(first.iter().all(Option::is_some));
        assert_eq!(store.face_count().unwrap(), 3, "no face stored twice");
        let fresh = store.insert_faces(&model, &items).unwrap();
        assert!(
            fresh.iter().all(|id| id.is_some() && !first.contains(id)),
            "new calls get new tokens"
        );
        assert_eq!(store.face_count().unwrap(), 6);
    }
}
