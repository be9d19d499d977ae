//! One suite of gallery behaviours run against both backends (a SQLite file and a PostgreSQL + pgvector
//! database): enrol, list, rename, remove, identify (same answers on both), examples, API keys, two
//! writers at once, and all-or-nothing batches.

mod common;

use common::{Backend, backends};
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{
    Engine, Error, FaceSource, Gallery, GalleryModel, IdentifyOptions, NewFace, SearchIndex, identify_batch,
};
use std::collections::HashSet;

const DIM: usize = 32;

fn model() -> GalleryModel {
    GalleryModel {
        id: "synthetic".into(),
        dim: DIM,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

fn open(backend: &Backend) -> Gallery {
    Gallery::open_location_for(&backend.location, &model()).unwrap()
}

fn sourced(embedding: Embedding, sha: &str, index: usize) -> NewFace {
    NewFace {
        source: Some(FaceSource {
            path: format!("{sha}.jpg"),
            sha256: sha.into(),
            face_index: index,
        }),
        ..NewFace::bare(embedding)
    }
}

fn faces() -> SyntheticFaces {
    SyntheticFaces::new(20, 4, DIM, 0.3, 5)
}

/// Every face of `faces` as an enrolment of subject `person{identity}`.
fn bare_items(faces: &SyntheticFaces) -> Vec<(String, NewFace)> {
    faces
        .iter()
        .map(|(identity, e)| (format!("person{identity}"), NewFace::bare(e)))
        .collect()
}

/// Identifies `queries` with the exact and the HNSW engine, asserts both name the same subjects and
/// returns the exact answers.
fn exact_and_hnsw_agree(gallery: &Gallery, queries: &[&[f32]], backend: &str) -> Vec<facenet_gallery::Identification> {
    let options = IdentifyOptions::for_model(&model());
    let exact = identify_batch(
        &SearchIndex::open(gallery, Engine::ExactF32).unwrap(),
        queries,
        &options,
    );
    let hnsw = identify_batch(&SearchIndex::open(gallery, Engine::Hnsw).unwrap(), queries, &options);
    let names = |list: &[facenet_gallery::Identification]| list.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&exact), names(&hnsw), "{backend}: HNSW agrees with exact here");
    exact
}

#[test]
fn enrol_list_rename_and_remove() {
    for backend in backends() {
        let name = backend.name;
        let mut gallery = open(&backend);
        let faces = faces();
        let ann = sourced(faces.face(0).1, "a", 0);
        let ids = gallery
            .enroll("ann", &[ann.clone(), sourced(faces.face(1).1, "a", 1)])
            .unwrap();
        assert!(ids.iter().all(Option::is_some), "{name}");
        assert_eq!(
            gallery.enroll("ann", std::slice::from_ref(&ann)).unwrap(),
            vec![None],
            "{name}: duplicate"
        );
        gallery.enroll("bob", &[NewFace::bare(faces.face(4).1)]).unwrap();
        let listed: Vec<(String, usize)> = gallery
            .subjects()
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.faces))
            .collect();
        assert_eq!(listed, [("ann".to_string(), 2), ("bob".to_string(), 1)], "{name}");
        let stored = gallery.faces_of("ann").unwrap();
        assert_eq!(stored[0].face, ann, "{name}: a face reads back as enrolled");
        assert!(gallery.contains_sha256("a").unwrap() && !gallery.contains_sha256("b").unwrap());
        assert!(
            matches!(gallery.rename_subject("ann", "bob"), Err(Error::SubjectExists { .. })),
            "{name}"
        );
        gallery.rename_subject("ann", "anna").unwrap();
        assert!(
            matches!(gallery.faces_of("ann"), Err(Error::UnknownSubject { .. })),
            "{name}"
        );
        assert!(gallery.remove_face(stored[1].id).unwrap(), "{name}");
        assert!(!gallery.remove_face(stored[1].id).unwrap(), "{name}");
        assert_eq!(gallery.remove_subject("anna").unwrap(), 1, "{name}");
        assert_eq!(gallery.face_count().unwrap(), 1, "{name}");
        gallery.integrity_check().unwrap();
        drop(gallery);
        // reopened: the model and the faces are there
        let again = Gallery::open_location(&backend.location, false).unwrap();
        assert_eq!(again.model(), Some(&model()), "{name}");
        assert_eq!(again.faces_of("bob").unwrap().len(), 1, "{name}");
        let other = GalleryModel {
            dim: DIM + 1,
            ..model()
        };
        assert!(matches!(
            Gallery::open_location_for(&backend.location, &other),
            Err(Error::ModelMismatch { .. })
        ));
    }
}

#[test]
fn identify_gives_the_same_answers_on_both_backends() {
    let faces = faces();
    let queries: Vec<Embedding> = faces
        .queries(40, 9)
        .into_iter()
        .chain(faces.strangers(10, 10))
        .collect();
    let refs: Vec<&[f32]> = queries.iter().map(|q| q.as_slice()).collect();
    let mut answers = Vec::new();
    for backend in backends() {
        let mut gallery = open(&backend);
        let items = bare_items(&faces);
        let refs_items: Vec<(&str, &NewFace)> = items.iter().map(|(s, f)| (s.as_str(), f)).collect();
        gallery.enroll_batch(&refs_items).unwrap();
        let exact = exact_and_hnsw_agree(&gallery, &refs, backend.name);
        assert_eq!(
            exact.iter().filter(|i| i.name == "unknown").count(),
            10,
            "{}",
            backend.name
        );
        answers.push((backend.name, exact));
    }
    if let [(_, sqlite), (_, postgres)] = answers.as_slice() {
        assert_eq!(sqlite, postgres, "the two backends answer alike, distances included");
    }
}

#[test]
fn examples_and_subject_operations() {
    for backend in backends() {
        let name = backend.name;
        let mut gallery = open(&backend);
        let faces = faces();
        let first = gallery
            .add_example("ann", &sourced(faces.face(0).1, "p1", 0), b"photo one")
            .unwrap();
        let again = gallery
            .add_example("ann", &sourced(faces.face(0).1, "p1", 0), b"photo one")
            .unwrap();
        assert_eq!(first, again, "{name}: the same face is one example");
        gallery
            .add_example("bob", &sourced(faces.face(4).1, "p2", 0), b"photo two")
            .unwrap();
        let page = gallery.examples(None, 0, 10).unwrap();
        assert_eq!(page.total, 2, "{name}");
        assert_eq!(
            gallery.examples(Some("bob"), 0, 10).unwrap().examples.len(),
            1,
            "{name}"
        );
        assert_eq!(
            gallery.example_image(&first.image_id).unwrap().unwrap(),
            b"photo one",
            "{name}"
        );
        assert_eq!(
            gallery.example_face(&first.image_id).unwrap().unwrap().embedding,
            faces.face(0).1
        );
        gallery.add_subject("carol").unwrap();
        assert!(
            matches!(gallery.add_subject("carol"), Err(Error::SubjectExists { .. })),
            "{name}"
        );
        gallery.rename_or_merge_subject("bob", "ann").unwrap();
        assert_eq!(gallery.faces_of("ann").unwrap().len(), 2, "{name}: merged");
        assert_eq!(gallery.remove_example(&first.image_id).unwrap().unwrap().subject, "ann");
        assert!(gallery.example_image(&first.image_id).unwrap().is_none(), "{name}");
        assert_eq!(gallery.remove_faces(Some("ann")).unwrap(), 1, "{name}");
        assert_eq!(gallery.remove_all_subjects().unwrap(), 2, "{name}: ann and carol");
        assert_eq!(gallery.face_count().unwrap(), 0, "{name}");
    }
}

#[test]
fn api_keys_are_created_listed_and_revoked() {
    for backend in backends() {
        let mut gallery = Gallery::open_location(&backend.location, true).unwrap();
        let key = gallery.create_api_key("recognition").unwrap();
        let keys = gallery.api_keys().unwrap();
        assert_eq!(keys.len(), 1, "{}", backend.name);
        assert_eq!(keys[0].key_sha256, facenet_gallery::keys::hash_api_key(&key.key));
        assert!(gallery.revoke_api_key(key.id).unwrap());
        assert!(
            !gallery.revoke_api_key(key.id).unwrap(),
            "{}: revoked once",
            backend.name
        );
        assert!(gallery.api_keys().unwrap()[0].revoked_at.is_some());
    }
}

#[test]
fn two_writers_at_once_lose_and_duplicate_nothing() {
    for backend in backends() {
        open(&backend); // the schema and the model, before the race
        let faces = faces();
        // both writers enrol every face (same subjects, photos and indexes) in batches of 8
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let location = backend.location.clone();
                let faces = faces.clone();
                std::thread::spawn(move || {
                    let mut gallery = Gallery::open_location(&location, false).unwrap();
                    let items: Vec<(String, NewFace)> = (0..faces.len())
                        .map(|i| {
                            let (identity, e) = faces.face(i);
                            (format!("person{identity}"), sourced(e, &format!("photo{i}"), 0))
                        })
                        .collect();
                    let mut ids = Vec::new();
                    for chunk in items.chunks(8) {
                        let batch: Vec<(&str, &NewFace)> = chunk.iter().map(|(s, f)| (s.as_str(), f)).collect();
                        ids.extend(gallery.enroll_batch(&batch).unwrap().into_iter().flatten());
                    }
                    ids
                })
            })
            .collect();
        let stored: Vec<i64> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        let gallery = Gallery::open_location(&backend.location, false).unwrap();
        assert_eq!(stored.len(), faces.len(), "{}: every face stored once", backend.name);
        assert_eq!(
            stored.iter().collect::<HashSet<_>>().len(),
            faces.len(),
            "{}",
            backend.name
        );
        assert_eq!(gallery.face_count().unwrap(), faces.len(), "{}", backend.name);
        assert_eq!(
            gallery.subjects().unwrap().len(),
            faces.identities(),
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_batch_is_seen_whole_or_not_at_all() {
    for backend in backends() {
        open(&backend);
        let faces = SyntheticFaces::new(100, 10, DIM, 0.3, 6);
        let location = backend.location.clone();
        let reader = std::thread::spawn(move || {
            let gallery = Gallery::open_location(&location, false).unwrap();
            let mut seen = HashSet::new();
            for _ in 0..200 {
                let count = gallery.face_count().unwrap();
                seen.insert(count);
                if count > 0 {
                    break;
                }
            }
            seen
        });
        let mut gallery = open(&backend);
        let items: Vec<(String, NewFace)> = faces.iter().map(|(i, e)| (format!("p{i}"), NewFace::bare(e))).collect();
        let batch: Vec<(&str, &NewFace)> = items.iter().map(|(s, f)| (s.as_str(), f)).collect();
        gallery.enroll_batch(&batch).unwrap();
        let seen = reader.join().unwrap();
        assert!(
            seen.iter().all(|&n| n == 0 || n == faces.len()),
            "{}: saw {seen:?}",
            backend.name
        );
        // a batch the database refuses half-way leaves nothing: a NUL in a name (PostgreSQL refuses it in
        // text; SQLite stores it, so there the batch goes in whole)
        let before = gallery.face_count().unwrap();
        let bad = [("fine", &items[0].1), ("bad\0name", &items[1].1)];
        match gallery.enroll_batch(&bad) {
            Ok(ids) => assert_eq!(gallery.face_count().unwrap(), before + ids.len(), "{}", backend.name),
            Err(e) => {
                assert!(e.to_string().contains("gallery"), "{e}");
                assert_eq!(
                    gallery.face_count().unwrap(),
                    before,
                    "{}: nothing of the batch",
                    backend.name
                );
                assert!(gallery.faces_of("fine").is_err(), "{}", backend.name);
            }
        }
    }
}

#[test]
fn a_bulk_load_drops_the_search_index_and_builds_it_once_even_when_it_fails() {
    let faces = faces();
    let items = bare_items(&faces);
    let refs_items: Vec<(&str, &NewFace)> = items.iter().map(|(s, f)| (s.as_str(), f)).collect();
    let queries = faces.queries(20, 3);
    let refs: Vec<&[f32]> = queries.iter().map(|q| q.as_slice()).collect();
    for backend in backends() {
        let mut gallery = open(&backend);
        let with_index = common::hnsw_indexes(&backend.location);
        assert_ne!(with_index, Some(0), "{}: a bound gallery has its index", backend.name);
        gallery
            .bulk_load(|g| {
                assert_eq!(
                    common::hnsw_indexes(&backend.location).unwrap_or(0),
                    0,
                    "dropped during the load"
                );
                g.enroll_batch(&refs_items).map(drop)
            })
            .unwrap();
        assert_eq!(
            common::hnsw_indexes(&backend.location),
            with_index,
            "{}: built again",
            backend.name
        );
        let failed = gallery.bulk_load(|_| -> Result<(), Error> { Err(Error::Invalid("the load failed".into())) });
        assert!(
            matches!(failed, Err(Error::Invalid(m)) if m == "the load failed"),
            "{}",
            backend.name
        );
        assert_eq!(
            common::hnsw_indexes(&backend.location),
            with_index,
            "{}: built after a failure",
            backend.name
        );
        exact_and_hnsw_agree(&gallery, &refs, backend.name);
        assert_eq!(gallery.face_count().unwrap(), items.len(), "{}", backend.name);
    }
}

#[test]
fn migrate_copies_examples_and_api_keys_with_their_ids() {
    let faces = faces();
    let source_backend = common::sqlite();
    let mut source = open(&source_backend);
    let ann = source
        .add_example("ann", &sourced(faces.face(0).1, "p1", 0), b"photo one")
        .unwrap();
    let bob = source
        .add_example("bob", &sourced(faces.face(4).1, "p2", 0), b"photo two")
        .unwrap();
    source.enroll("bob", &[NewFace::bare(faces.face(5).1)]).unwrap();
    let kept = source.create_api_key("recognition").unwrap();
    let revoked = source.create_api_key("verification").unwrap();
    source.revoke_api_key(revoked.id).unwrap();
    for backend in backends() {
        let name = backend.name;
        let mut target = Gallery::open_location(&backend.location, true).unwrap();
        let done = facenet_gallery::migrate::migrate(&source, &mut target, |_, _| {}).unwrap();
        assert_eq!((done.faces, done.examples, done.api_keys), (3, 2, 2), "{name}");
        assert_eq!(done.source_checksum, done.target_checksum, "{name}");
        for (example, photo) in [(&ann, b"photo one"), (&bob, b"photo two")] {
            assert_eq!(
                target.example_image(&example.image_id).unwrap().unwrap(),
                photo,
                "{name}"
            );
            let face = target.example_face(&example.image_id).unwrap().unwrap();
            assert_eq!(face.subject, example.subject, "{name}");
        }
        assert_eq!(
            target.api_keys().unwrap(),
            source.api_keys().unwrap(),
            "{name}: ids, hashes, revocations"
        );
        let next = target.create_api_key("recognition").unwrap();
        assert!(next.id > revoked.id, "{name}: new keys continue after the copied ids");
        assert_ne!(next.id, kept.id, "{name}");
    }
}
