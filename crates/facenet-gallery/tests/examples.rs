//! Examples (faces added through the server, with a UUID and their photo), the subject operations of
//! CompreFace's API, API keys, and the migration that adds them to existing galleries.

use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_gallery::keys::hash_api_key;
use facenet_gallery::{Error, FaceSource, Gallery, GalleryModel, NewFace};

fn model() -> GalleryModel {
    GalleryModel {
        id: "synthetic".into(),
        dim: 4,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

fn face(photo: u8) -> NewFace {
    NewFace {
        embedding: Embedding::new(vec![photo as f32, 1.0, 0.0, 0.5]),
        source: Some(FaceSource {
            path: format!("upload-{photo}"),
            sha256: format!("{photo:064x}"),
            face_index: 0,
        }),
        detection: None,
    }
}

fn gallery(dir: &tempfile::TempDir) -> Gallery {
    Gallery::open_for(&dir.path().join("g.db"), &model()).unwrap()
}

#[test]
fn an_example_keeps_its_photo_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    let added = g.add_example("alice", &face(1), b"photo one").unwrap();
    assert_eq!(added.subject, "alice");
    assert_eq!(added.image_id.len(), 36, "a UUID: {}", added.image_id);
    drop(g);
    let g = Gallery::open_existing(&dir.path().join("g.db")).unwrap();
    assert_eq!(g.example_image(&added.image_id).unwrap().unwrap(), b"photo one");
    let found = g.example_face(&added.image_id).unwrap().unwrap();
    assert_eq!(
        (found.subject.as_str(), found.embedding.as_slice()),
        ("alice", &[1.0, 1.0, 0.0, 0.5][..])
    );
    assert_eq!(g.example_image("no-such-id").unwrap(), None);
}

#[test]
fn adding_the_same_photo_twice_returns_the_first_example() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    let first = g.add_example("alice", &face(1), b"p").unwrap();
    let second = g.add_example("alice", &face(1), b"p").unwrap();
    assert_eq!(first, second);
    assert_eq!(g.face_count().unwrap(), 1);
}

#[test]
fn examples_are_paged_in_order_and_filtered_by_subject() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    let ids: Vec<String> = (0..5)
        .map(|i| {
            g.add_example(if i % 2 == 0 { "a" } else { "b" }, &face(i), &[i])
                .unwrap()
                .image_id
        })
        .collect();
    let page = g.examples(None, 1, 2).unwrap();
    assert_eq!(page.total, 5);
    let got: Vec<&str> = page.examples.iter().map(|e| e.image_id.as_str()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[3].as_str()]);
    let of_b = g.examples(Some("b"), 0, 10).unwrap();
    assert_eq!(of_b.total, 2);
    assert!(of_b.examples.iter().all(|e| e.subject == "b"));
}

#[test]
fn removing_examples_subjects_and_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    let a1 = g.add_example("a", &face(1), b"1").unwrap();
    g.add_example("a", &face(2), b"2").unwrap();
    g.add_example("b", &face(3), b"3").unwrap();
    assert_eq!(g.remove_example(&a1.image_id).unwrap(), Some(a1.clone()));
    assert_eq!(g.remove_example(&a1.image_id).unwrap(), None);
    assert_eq!(
        g.example_image(&a1.image_id).unwrap(),
        None,
        "the photo goes with its face"
    );
    assert_eq!(g.remove_faces(Some("a")).unwrap(), 1);
    assert_eq!(g.subjects().unwrap().len(), 2, "removing faces keeps the subject");
    assert_eq!(g.remove_all_subjects().unwrap(), 2);
    assert_eq!(
        (g.face_count().unwrap(), g.examples(None, 0, 10).unwrap().total),
        (0, 0)
    );
}

#[test]
fn adding_a_subject_and_renaming_onto_an_existing_one_merges() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    g.add_subject("empty").unwrap();
    assert!(matches!(g.add_subject("empty"), Err(Error::SubjectExists { .. })));
    g.add_example("a", &face(1), b"1").unwrap();
    g.add_example("b", &face(2), b"2").unwrap();
    g.rename_or_merge_subject("a", "b").unwrap();
    let names: Vec<String> = g.subjects().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["b", "empty"]);
    assert_eq!(g.faces_of("b").unwrap().len(), 2);
    g.rename_or_merge_subject("b", "c").unwrap();
    assert_eq!(g.faces_of("c").unwrap().len(), 2);
}

#[test]
fn api_keys_are_stored_hashed_and_can_be_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = gallery(&dir);
    let key = g.create_api_key("recognition").unwrap();
    assert!(g.create_api_key("billing").is_err());
    let keys = g.api_keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key_sha256, hash_api_key(&key.key));
    assert_eq!(keys[0].service, "recognition");
    let raw = std::fs::read(dir.path().join("g.db")).unwrap();
    assert!(
        !raw.windows(key.key.len()).any(|w| w == key.key.as_bytes()),
        "the key itself is never stored"
    );
    assert!(g.revoke_api_key(key.id).unwrap());
    assert!(!g.revoke_api_key(key.id).unwrap());
    assert!(g.api_keys().unwrap()[0].revoked_at.is_some());
}

#[test]
fn a_schema_2_gallery_is_migrated_and_keeps_its_faces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let mut g = Gallery::open_for(&path, &model()).unwrap();
    g.enroll("old", &[face(9)]).unwrap();
    drop(g);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("DROP TABLE examples; DROP TABLE api_keys; PRAGMA user_version = 2;")
            .unwrap();
    }
    let mut g = Gallery::open_existing(&path).unwrap();
    assert_eq!(g.faces_of("old").unwrap().len(), 1);
    let added = g.add_example("new", &face(1), b"x").unwrap();
    assert_eq!(g.example_image(&added.image_id).unwrap().unwrap(), b"x");
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, facenet_gallery::schema::VERSION);
}
