//! The two gallery backends for the behaviour suites: a temp SQLite file, and a fresh PostgreSQL
//! database per test on the server at `FACENET_TEST_PG_URL` (scripts/pg_test_server.sh; without the
//! variable the PostgreSQL half skips with one loud line).

#![allow(dead_code)] // each test binary uses part of it

use facenet_gallery::GalleryLocation;
use std::path::PathBuf;

/// A place for one test's gallery; keeps its temp folder alive.
pub struct Backend {
    pub name: &'static str,
    pub location: GalleryLocation,
    _dir: Option<tempfile::TempDir>,
}

pub fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    Backend {
        name: "sqlite",
        location: GalleryLocation::File(dir.path().join("gallery.db")),
        _dir: Some(dir),
    }
}

/// The server's URL, or `None` after printing why the PostgreSQL half is skipped.
pub fn pg_server() -> Option<String> {
    match std::env::var("FACENET_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED: FACENET_TEST_PG_URL not set");
            None
        }
    }
}

/// A new empty database on the server at `server`, as a gallery URL.
pub fn fresh_database(server: &str) -> String {
    let name = format!("facenet_test_{:016x}", rand::random::<u64>());
    let mut client = postgres::Client::connect(server, postgres::NoTls).expect("the test server should answer");
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (head, _) = server.rsplit_once('/').expect("a URL with a database");
    format!("{head}/{name}")
}

pub fn postgres() -> Option<Backend> {
    let server = pg_server()?;
    Some(Backend {
        name: "postgres",
        location: GalleryLocation::Postgres(fresh_database(&server)),
        _dir: None,
    })
}

/// SQLite, plus PostgreSQL when a server is given.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![sqlite()];
    all.extend(postgres());
    all
}

/// scripts/pg_test_server.sh of this checkout.
pub fn pg_script() -> PathBuf {
    std::env::var_os("FACENET_TEST_PG_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg_test_server.sh"))
}

/// How many HNSW indexes the faces table of the PostgreSQL gallery at `location` has (`None` on SQLite).
pub fn hnsw_indexes(location: &GalleryLocation) -> Option<i64> {
    let GalleryLocation::Postgres(url) = location else {
        return None;
    };
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("the test server should answer");
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'faces' AND indexdef LIKE '%USING hnsw%'",
            &[],
        )
        .unwrap();
    Some(row.get(0))
}
