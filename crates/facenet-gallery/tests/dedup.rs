//! One face per (subject, photo sha256, face index): concurrent enrols, a repeated import and galleries
//! that already hold duplicates (migrated on open); and reading a gallery never creates one.

use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_gallery::{Error, FaceSource, Gallery, GalleryModel, NewFace, jsonl};
use std::path::Path;

fn model() -> GalleryModel {
    GalleryModel {
        id: "synthetic".into(),
        dim: 8,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

/// Face `index` of photo `photo` (its sha256 made from the photo number).
fn photo_face(photo: usize, index: usize) -> NewFace {
    NewFace {
        embedding: Embedding::new((0..8).map(|i| (photo * 10 + index + i) as f32 / 100.0).collect()),
        source: Some(FaceSource {
            path: format!("photos/{photo}.jpg"),
            sha256: format!("{photo:064x}"),
            face_index: index,
        }),
        detection: None,
    }
}

#[test]
fn concurrent_enrols_of_the_same_photos_store_each_face_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(Gallery::open_for(&path, &model()).unwrap());
    let faces: Vec<NewFace> = (0..3).map(|photo| photo_face(photo, 0)).collect();
    let stored: Vec<usize> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut gallery = Gallery::open_for(&path, &model()).unwrap();
                    let mut new = 0;
                    for face in &faces {
                        // one transaction per face, as `facenet enroll` does per photo
                        new += gallery.enroll("obama", std::slice::from_ref(face)).unwrap()[0]
                            .iter()
                            .count();
                    }
                    new
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let gallery = Gallery::open_existing(&path).unwrap();
    assert_eq!(gallery.face_count().unwrap(), 3);
    assert_eq!(
        stored.iter().sum::<usize>(),
        3,
        "each face reported new by exactly one writer"
    );
}

#[test]
fn the_same_face_under_another_subject_or_index_is_not_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = Gallery::open_for(&dir.path().join("g.db"), &model()).unwrap();
    assert!(gallery.enroll("a", &[photo_face(1, 0)]).unwrap()[0].is_some());
    assert!(gallery.enroll("a", &[photo_face(1, 1)]).unwrap()[0].is_some());
    assert!(gallery.enroll("b", &[photo_face(1, 0)]).unwrap()[0].is_some());
    assert_eq!(gallery.enroll("a", &[photo_face(1, 0)]).unwrap(), [None]);
    let bare = NewFace::bare(Embedding::new(vec![0.5; 8]));
    assert!(
        gallery
            .enroll("a", &[bare.clone(), bare])
            .unwrap()
            .iter()
            .all(Option::is_some)
    );
    assert_eq!(gallery.face_count().unwrap(), 5);
}

#[test]
fn importing_an_export_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = Gallery::open_for(&dir.path().join("a.db"), &model()).unwrap();
    for photo in 0..4 {
        source.enroll("alice", &[photo_face(photo, 0)]).unwrap();
    }
    let mut bytes = Vec::new();
    jsonl::export(&source, &mut bytes, Path::new("a.jsonl")).unwrap();
    let mut copy = Gallery::open(&dir.path().join("b.db")).unwrap();
    let first = jsonl::import(&mut copy, bytes.as_slice(), Path::new("a.jsonl")).unwrap();
    let second = jsonl::import(&mut copy, bytes.as_slice(), Path::new("a.jsonl")).unwrap();
    assert_eq!((first.faces, first.duplicates), (4, 0));
    assert_eq!((second.faces, second.duplicates), (0, 4));
    assert_eq!(copy.face_count().unwrap(), 4);
}

#[test]
fn opening_a_gallery_with_duplicates_removes_them_and_keeps_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    drop(Gallery::open_for(&path, &model()).unwrap());
    // Make the file a schema-1 gallery holding what concurrent enrols stored before the unique index.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP INDEX faces_source; PRAGMA user_version = 1;
             INSERT INTO subjects (name, created_at) VALUES ('obama', 0);",
        )
        .unwrap();
        let row = |id: i64, sha: &str, index: i64| {
            conn.execute(
                "INSERT INTO faces (id, subject_id, model_id, dim, embedding, codes, code_scale, source_path,
                 source_sha256, face_index, created_at) VALUES (?1, 1, 'synthetic', 8, zeroblob(32), zeroblob(8),
                 1.0, 'p.jpg', ?2, ?3, 0)",
                rusqlite::params![id, sha, index],
            )
            .unwrap();
        };
        for (id, sha, index) in [
            (1, "aa", 0),
            (2, "aa", 0),
            (3, "bb", 0),
            (4, "aa", 0),
            (5, "aa", 1),
            (6, "bb", 0),
        ] {
            row(id, sha, index);
        }
    }
    let gallery = Gallery::open_existing(&path).unwrap();
    let ids: Vec<i64> = gallery.faces_of("obama").unwrap().iter().map(|f| f.id).collect();
    assert_eq!(ids, [1, 3, 5]);
}

#[test]
fn opening_an_existing_gallery_never_creates_one() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let err = Gallery::open_existing(&typo)
        .err()
        .expect("a missing gallery should not open");
    assert!(matches!(err, Error::Missing { .. }));
    assert!(err.to_string().contains("typo.db"), "{err}");
    assert!(!typo.exists(), "nothing was created");

    let nested = dir.path().join("no/such/dir/x.db");
    let err = Gallery::open(&nested)
        .err()
        .expect("a gallery in a missing folder should not be created");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
    assert!(!dir.path().join("no").exists(), "no folder was created");
}
