//! `--db postgres://…`: a URL is never taken for a file name (an unreachable server is a clear error
//! naming the URL, password left out, and no folder `postgres:` appears), and `gallery migrate` copies
//! a gallery SQLite → PostgreSQL → SQLite with ids, names and embeddings bit for bit and one checksum.

mod common;

use common::{facenet, text};
use facenet::core::distance::Metric;
use facenet::gallery::synthetic::SyntheticFaces;
use facenet::gallery::{Gallery, GalleryModel, NewFace, StoredFace};
use std::path::Path;
use std::process::Command;

#[test]
fn an_unreachable_server_is_a_clear_error_and_never_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://nobody:s3cret@127.0.0.1:1/faces";
    for args in [
        vec!["enroll", "--db", url, "--name", "ann", "photo.jpg"],
        vec!["gallery", "--db", url, "list"],
        vec!["keys", "create", "--db", url, "--service", "recognition"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_facenet"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr.contains("postgres://nobody:***@127.0.0.1:1/faces"),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains("s3cret"),
            "{args:?}: the password is left out: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(entries.is_empty(), "nothing created beside: {entries:?}");
}

fn every_face(path_or_url: &str) -> Vec<StoredFace> {
    let gallery = Gallery::open_location(&facenet::gallery::GalleryLocation::parse(path_or_url), false).unwrap();
    let mut faces = Vec::new();
    gallery
        .for_each_face(100, |face| {
            faces.push(face);
            Ok(())
        })
        .unwrap();
    faces
}

fn checksums(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.rsplit_once("checksum ").map(|(_, sum)| sum.to_string()))
        .collect()
}

fn migrate(from: &str, to: &str) -> String {
    let out = facenet(&["gallery", "migrate", "--from", from, "--to", to]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let sums = checksums(&stdout);
    assert_eq!(sums.len(), 2, "{stdout}");
    assert_eq!(sums[0], sums[1], "the same checksum on both sides: {stdout}");
    sums[0].clone()
}

#[test]
fn migrate_to_postgres_and_back_is_bit_exact() {
    let Some(server) = std::env::var("FACENET_TEST_PG_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("SKIPPED: FACENET_TEST_PG_URL not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("g.db");
    let model = GalleryModel {
        id: "synthetic".into(),
        dim: 16,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    };
    let mut gallery = Gallery::open_for(&source, &model).unwrap();
    let faces = SyntheticFaces::new(30, 3, 16, 0.3, 8);
    for (identity, embedding) in faces.iter() {
        gallery
            .enroll(&format!("person {identity}"), &[NewFace::bare(embedding)])
            .unwrap();
    }
    gallery.remove_subject("person 3").unwrap(); // ids with a gap
    gallery.add_subject("nobody yet").unwrap();
    drop(gallery);
    let url = fresh_database(&server);
    let there = migrate(text(&source), &url);
    let back = dir.path().join("back.db");
    let again = migrate(&url, text(&back));
    assert_eq!(there, again);
    let (original, copied, returned) = (every_face(text(&source)), every_face(&url), every_face(text(&back)));
    assert_eq!(original.len(), 87);
    for (a, b) in original.iter().zip(&copied).chain(original.iter().zip(&returned)) {
        assert_eq!(
            (a.id, &a.subject, &a.model_id, a.created_at),
            (b.id, &b.subject, &b.model_id, b.created_at)
        );
        let bits = |f: &StoredFace| {
            f.face
                .embedding
                .as_slice()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(a), bits(b), "face {}", a.id);
    }
    assert_eq!((copied.len(), returned.len()), (87, 87));
    let names = |p: &Path| -> Vec<String> {
        Gallery::open_existing(p)
            .unwrap()
            .subjects()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(names(&source), names(&back), "subjects, the empty one included");
    // a target that is not empty is refused
    let out = facenet(&["gallery", "migrate", "--from", text(&source), "--to", text(&back)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

fn fresh_database(server: &str) -> String {
    let name = format!("facenet_cli_{:016x}", rand::random::<u64>());
    let mut client = postgres::Client::connect(server, postgres::NoTls).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}
