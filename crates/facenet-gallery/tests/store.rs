//! The gallery file: model binding, row checks, subjects, export/import, foreign and damaged files,
//! concurrent readers.

use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{Error, FaceSource, Gallery, GalleryModel, NewFace, jsonl};
use facenet_vision::{BBox, Detection, FaceLandmarks, LandmarkScheme, ModelInfo, Point};
use std::path::Path;

fn model(id: &str, dim: usize) -> GalleryModel {
    GalleryModel {
        id: id.into(),
        dim,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

/// A gallery of `identities` × `per` synthetic faces, subjects "id0", "id1", ….
fn filled(path: &Path, identities: usize, per: usize) -> Gallery {
    let mut gallery = Gallery::open_for(path, &model("synthetic", 32)).unwrap();
    let faces = SyntheticFaces::new(identities, per, 32, 0.3, 11);
    for (identity, embedding) in faces.iter() {
        gallery
            .enroll(&format!("id{identity}"), &[NewFace::bare(embedding)])
            .unwrap();
    }
    gallery
}

fn photo_face() -> NewFace {
    NewFace {
        embedding: Embedding::new((0..32).map(|i| i as f32 / 100.0).collect()),
        source: Some(FaceSource {
            path: "photos/a.jpg".into(),
            sha256: "ab".repeat(32),
            face_index: 1,
        }),
        detection: Some(Detection {
            bbox: BBox::new(1.0, 2.0, 30.0, 40.0),
            score: 0.98,
            landmarks: Some(FaceLandmarks {
                scheme: LandmarkScheme::Mtcnn5,
                points: vec![Point::new(5.0, 6.0); 5],
            }),
        }),
    }
}

#[test]
fn a_face_round_trips_with_source_box_landmarks_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = filled(&dir.path().join("g.db"), 1, 1);
    let face = photo_face();
    let ids = gallery.enroll("alice", std::slice::from_ref(&face)).unwrap();
    let stored = gallery.faces_of("alice").unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(Some(stored[0].id), ids[0]);
    assert_eq!(stored[0].face, face);
    assert!(gallery.contains_sha256(&"ab".repeat(32)).unwrap());
    assert!(!gallery.contains_sha256("00").unwrap());
}

#[test]
fn reopening_keeps_the_model_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(filled(&path, 2, 2));
    let gallery = Gallery::open(&path).unwrap();
    assert_eq!(gallery.model(), Some(&model("synthetic", 32)));
    assert_eq!(gallery.face_count().unwrap(), 4);
    drop(gallery);
    let err = Gallery::open_for(&path, &model("dlib_resnet_v1", 128)).err().unwrap();
    assert!(matches!(err, Error::ModelMismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("\"synthetic\"") && message.contains("dlib_resnet_v1") && message.contains("g.db"),
        "{message}"
    );
}

fn probe_model(id: &str, dim: usize, compatible_with: &[&str]) -> ModelInfo {
    ModelInfo {
        id: id.into(),
        dim,
        input_size: (58, 70),
        metric: Metric::SquaredL2,
        threshold: 1.0,
        cluster_threshold: 1.0,
        compatible_with: compatible_with.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn probes_of_a_model_declared_compatible_are_accepted_and_others_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let mut gallery = filled(&path, 2, 2);
    gallery.accept_probes(&probe_model("synthetic", 32, &[])).unwrap();
    gallery
        .accept_probes(&probe_model("harmonic", 32, &["other", "synthetic"]))
        .unwrap();
    assert_eq!(
        gallery.model(),
        Some(&model("synthetic", 32)),
        "the gallery keeps its model"
    );
    for (probe, why) in [
        (probe_model("unrelated", 32, &[]), "declares nothing"),
        (probe_model("harmonic", 32, &["other"]), "compatible with another model"),
        (probe_model("harmonic", 16, &["synthetic"]), "another dimension"),
    ] {
        let err = gallery.accept_probes(&probe).unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { .. }), "{why}: {err}");
        assert!(
            err.to_string().contains("\"synthetic\"") && err.to_string().contains("g.db"),
            "{err}"
        );
    }
    // an empty gallery records the probe's model, as enrolling would
    let mut empty = Gallery::open(&dir.path().join("empty.db")).unwrap();
    empty
        .accept_probes(&probe_model("harmonic", 32, &["synthetic"]))
        .unwrap();
    assert_eq!(empty.model(), Some(&model("harmonic", 32)));
}

#[test]
fn enrolling_needs_a_model_and_the_right_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let mut empty = Gallery::open(&dir.path().join("empty.db")).unwrap();
    assert!(matches!(empty.enroll("a", &[photo_face()]), Err(Error::NoModel { .. })));
    let mut gallery = filled(&dir.path().join("g.db"), 1, 1);
    let short = NewFace::bare(Embedding::new(vec![0.5; 31]));
    assert!(
        gallery
            .enroll("a", &[short])
            .unwrap_err()
            .to_string()
            .contains("31 values")
    );
    let nan = NewFace::bare(Embedding::new(vec![f32::NAN; 32]));
    assert!(matches!(gallery.enroll("a", &[nan]), Err(Error::Invalid(_))));
    assert!(gallery.faces_of("a").is_err(), "nothing of a failed enrol is kept");
}

#[test]
fn a_row_of_another_model_is_refused_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(filled(&path, 1, 2));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE faces SET model_id = 'other' WHERE id = 2", [])
        .unwrap();
    drop(conn);
    let gallery = Gallery::open(&path).unwrap();
    let err = gallery.faces_of("id0").unwrap_err().to_string();
    assert!(err.contains("face 2") && err.contains("\"other\""), "{err}");
    assert!(facenet_gallery::FaceMatrix::load(&gallery).is_err());
}

#[test]
fn subjects_rename_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = filled(&dir.path().join("g.db"), 3, 2);
    let names: Vec<_> = gallery
        .subjects()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.faces))
        .collect();
    assert_eq!(names, [("id0".into(), 2), ("id1".into(), 2), ("id2".into(), 2)]);
    gallery.rename_subject("id1", "bob").unwrap();
    assert!(matches!(
        gallery.rename_subject("id0", "bob"),
        Err(Error::SubjectExists { .. })
    ));
    assert!(matches!(
        gallery.rename_subject("nobody", "x"),
        Err(Error::UnknownSubject { .. })
    ));
    assert_eq!(gallery.remove_subject("id0").unwrap(), 2);
    assert_eq!(gallery.face_count().unwrap(), 4);
    let first_bob = gallery.faces_of("bob").unwrap()[0].id;
    assert!(gallery.remove_face(first_bob).unwrap());
    assert!(!gallery.remove_face(first_bob).unwrap());
    let names: Vec<_> = gallery
        .subjects()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.faces))
        .collect();
    assert_eq!(names, [("bob".into(), 1), ("id2".into(), 2)]);
}

#[test]
fn export_then_import_reproduces_the_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = filled(&dir.path().join("a.db"), 3, 4);
    source.enroll("alice", &[photo_face()]).unwrap();
    let mut bytes = Vec::new();
    assert_eq!(jsonl::export(&source, &mut bytes, Path::new("out.jsonl")).unwrap(), 13);
    let mut copy = Gallery::open(&dir.path().join("b.db")).unwrap();
    let report = jsonl::import(&mut copy, bytes.as_slice(), Path::new("out.jsonl")).unwrap();
    assert_eq!(report.faces, 13);
    assert_eq!(copy.model(), source.model());
    for subject in source.subjects().unwrap() {
        let a: Vec<_> = source
            .faces_of(&subject.name)
            .unwrap()
            .into_iter()
            .map(|f| f.face)
            .collect();
        let b: Vec<_> = copy
            .faces_of(&subject.name)
            .unwrap()
            .into_iter()
            .map(|f| f.face)
            .collect();
        assert_eq!(a, b, "{}", subject.name);
    }
}

#[test]
fn import_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = Gallery::open(&dir.path().join("g.db")).unwrap();
    let err = jsonl::import(&mut gallery, "{\"hello\":1}\n".as_bytes(), Path::new("x.jsonl"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("x.jsonl:1: not a facenet-gallery header"), "{err}");
    let mut bytes = Vec::new();
    jsonl::export(
        &filled(&dir.path().join("a.db"), 1, 1),
        &mut bytes,
        Path::new("a.jsonl"),
    )
    .unwrap();
    bytes.extend_from_slice(b"{not json\n");
    let err = jsonl::import(&mut gallery, bytes.as_slice(), Path::new("x.jsonl"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("x.jsonl:3:"), "{err}");
}

#[test]
fn a_damaged_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, b"\xff\xd8\xff\xe0 this is not a database, just some bytes of a JPEG ......................................................................................").unwrap();
    let err = Gallery::open(&path).err().expect("a JPEG should not open as a gallery");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("photo.jpg: not a facenet gallery"), "{err}");
}

#[test]
fn a_truncated_gallery_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(filled(&path, 20, 20));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(dir.path().join("g.db-wal")).ok();
    let mut damaged = bytes.clone();
    for b in &mut damaged[100..4096] {
        *b = 0xAB; // the schema page
    }
    std::fs::write(&path, damaged).unwrap();
    let err = Gallery::open(&path).err().expect("a damaged gallery should not open");
    assert!(matches!(err, Error::Corrupt { .. } | Error::Sqlite { .. }), "{err}");
    assert!(err.to_string().contains("g.db"), "{err}");
}

#[test]
fn a_foreign_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("places.sqlite");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE bookmarks (url TEXT);")
        .unwrap();
    let err = Gallery::open(&path).err().unwrap();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not a facenet gallery"), "{err}");
}

#[test]
fn readers_see_consistent_snapshots_while_a_writer_enrols() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(filled(&path, 1, 1));
    let faces = SyntheticFaces::new(50, 4, 32, 0.3, 12);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut gallery = Gallery::open(&path).unwrap();
            for chunk in faces.iter().collect::<Vec<_>>().chunks(4) {
                let batch: Vec<NewFace> = chunk.iter().map(|(_, e)| NewFace::bare(e.clone())).collect();
                gallery.enroll(&format!("w{}", chunk[0].0), &batch).unwrap();
            }
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let gallery = Gallery::open(&path).unwrap();
                    let mut seen = 0;
                    while seen < 201 {
                        let matrix = facenet_gallery::FaceMatrix::load(&gallery).unwrap();
                        // Every enrol is one transaction of 4 faces: a snapshot never holds part of one.
                        assert_eq!((matrix.len() - 1) % 4, 0, "{} faces", matrix.len());
                        assert!(matrix.len() >= seen);
                        seen = matrix.len();
                    }
                })
            })
            .collect();
        writer.join().unwrap();
        readers.into_iter().for_each(|r| r.join().unwrap());
    });
}
