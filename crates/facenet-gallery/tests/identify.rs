//! Open-set identification over every engine, the aggregations, and the HNSW index kept beside the
//! database.

use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_gallery::ann::AnnIndex;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{
    Aggregation, Engine, Gallery, GalleryModel, IdentifyOptions, NewFace, SearchIndex, UNKNOWN, identify,
    identify_batch,
};
use std::path::Path;

const DIM: usize = 64;

fn model() -> GalleryModel {
    // Same-identity faces at spread 0.4 are ≈ 0.28 apart (squared L2), strangers ≈ 2.
    GalleryModel {
        id: "synthetic".into(),
        dim: DIM,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

fn enrol_all(path: &Path, faces: &SyntheticFaces) -> Gallery {
    let mut gallery = Gallery::open_for(path, &model()).unwrap();
    let all: Vec<_> = faces.iter().collect();
    for chunk in all.chunk_by(|a, b| a.0 == b.0) {
        let batch: Vec<NewFace> = chunk.iter().map(|(_, e)| NewFace::bare(e.clone())).collect();
        gallery.enroll(&format!("person{}", chunk[0].0), &batch).unwrap();
    }
    gallery
}

fn accuracy(index: &SearchIndex, faces: &SyntheticFaces, options: &IdentifyOptions) -> f64 {
    let queries = faces.labelled_queries(200, 77);
    let refs: Vec<&[f32]> = queries.iter().map(|q| q.1.as_slice()).collect();
    let answers = identify_batch(index, &refs, options);
    let right = queries
        .iter()
        .zip(&answers)
        .filter(|(q, a)| a.name == format!("person{}", q.0))
        .count();
    right as f64 / queries.len() as f64
}

#[test]
fn every_engine_and_aggregation_names_known_faces_and_rejects_strangers() {
    let dir = tempfile::tempdir().unwrap();
    let faces = SyntheticFaces::new(100, 5, DIM, 0.4, 21);
    let gallery = enrol_all(&dir.path().join("g.db"), &faces);
    for engine in [Engine::Auto, Engine::ExactF32, Engine::ExactInt8, Engine::Hnsw] {
        let index = SearchIndex::open(&gallery, engine).unwrap();
        for aggregation in [Aggregation::Min, Aggregation::Mean, Aggregation::Vote] {
            let options = IdentifyOptions {
                aggregation,
                ..IdentifyOptions::for_model(&model())
            };
            assert!(accuracy(&index, &faces, &options) >= 0.99, "{engine:?} {aggregation:?}");
            for stranger in faces.strangers(20, 5) {
                let answer = identify(&index, stranger.as_slice(), &options);
                assert_eq!(answer.name, UNKNOWN, "{engine:?} {aggregation:?}");
                assert!(answer.distance.unwrap() > 1.0);
            }
        }
    }
}

#[test]
fn the_threshold_decides_unknown_and_distances_follow_the_metric() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = Gallery::open_for(
        &dir.path().join("g.db"),
        &GalleryModel {
            metric: Metric::L2,
            ..model()
        },
    )
    .unwrap();
    let mut a = vec![0.0f32; DIM];
    a[0] = 1.0;
    gallery.enroll("a", &[NewFace::bare(Embedding::new(a))]).unwrap();
    let index = SearchIndex::open(&gallery, Engine::ExactF32).unwrap();
    let mut query = vec![0.0f32; DIM];
    query[0] = 0.6;
    query[1] = 0.8; // ‖query − a‖² = 0.16 + 0.64 = 0.8, L2 ≈ 0.894
    let options = IdentifyOptions {
        threshold: 0.9,
        ..IdentifyOptions::for_model(gallery.model().unwrap())
    };
    let answer = identify(&index, &query, &options);
    assert_eq!(answer.name, "a");
    assert!((answer.distance.unwrap() - 0.8f32.sqrt()).abs() < 1e-5);
    let strict = IdentifyOptions {
        threshold: 0.89,
        ..options
    };
    assert_eq!(identify(&index, &query, &strict).name, UNKNOWN);
}

#[test]
fn mean_aggregation_outvotes_one_mislabelled_face() {
    // "b" holds one face that is really a's: the nearest face says b, the mean over faces says a.
    let dir = tempfile::tempdir().unwrap();
    let faces = SyntheticFaces::new(2, 6, DIM, 0.4, 31);
    let mut gallery = Gallery::open_for(&dir.path().join("g.db"), &model()).unwrap();
    let (a, b): (Vec<_>, Vec<_>) = faces.iter().partition(|(identity, _)| *identity == 0);
    let query = faces.labelled_queries(1, 3).remove(0).1;
    let mislabelled = Embedding::new(query.as_slice().iter().map(|v| v * 0.999).collect()).normalized();
    gallery
        .enroll("a", &a.into_iter().map(|(_, e)| NewFace::bare(e)).collect::<Vec<_>>())
        .unwrap();
    let mut b: Vec<NewFace> = b.into_iter().map(|(_, e)| NewFace::bare(e)).collect();
    b.push(NewFace::bare(mislabelled));
    gallery.enroll("b", &b).unwrap();
    let index = SearchIndex::open(&gallery, Engine::ExactF32).unwrap();
    let base = IdentifyOptions::for_model(&model());
    assert_eq!(identify(&index, query.as_slice(), &base).name, "b");
    assert_eq!(
        identify(
            &index,
            query.as_slice(),
            &IdentifyOptions {
                aggregation: Aggregation::Mean,
                ..base
            }
        )
        .name,
        "a"
    );
    assert_eq!(
        identify(
            &index,
            query.as_slice(),
            &IdentifyOptions {
                aggregation: Aggregation::Vote,
                k: 5,
                ..base
            }
        )
        .name,
        "a"
    );
}

#[test]
fn an_empty_gallery_answers_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let gallery = Gallery::open_for(&dir.path().join("g.db"), &model()).unwrap();
    let index = SearchIndex::open(&gallery, Engine::Auto).unwrap();
    let answer = identify(&index, &[0.1; DIM], &IdentifyOptions::for_model(&model()));
    assert_eq!((answer.name.as_str(), answer.distance), (UNKNOWN, None));
}

#[test]
fn the_hnsw_index_is_saved_beside_the_database_and_updated_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let faces = SyntheticFaces::new(60, 5, DIM, 0.4, 41);
    let mut gallery = enrol_all(&path, &faces);
    let first = SearchIndex::open(&gallery, Engine::Hnsw).unwrap();
    assert_eq!(first.engine(), Engine::Hnsw);
    let saved = AnnIndex::dir_for(&path);
    assert!(saved.join("state.json").is_file() && saved.join("faces.hnsw.graph").is_file());
    let graph_time = std::fs::metadata(saved.join("faces.hnsw.graph"))
        .unwrap()
        .modified()
        .unwrap();

    // Reopening without changes reuses the saved graph as it is.
    drop(first);
    SearchIndex::open(&gallery, Engine::Hnsw).unwrap();
    assert_eq!(
        std::fs::metadata(saved.join("faces.hnsw.graph"))
            .unwrap()
            .modified()
            .unwrap(),
        graph_time
    );

    // A new subject is inserted into the saved graph; a removed one is never returned.
    let newcomer = SyntheticFaces::new(1, 3, DIM, 0.4, 99);
    gallery
        .enroll(
            "newcomer",
            &newcomer.iter().map(|(_, e)| NewFace::bare(e)).collect::<Vec<_>>(),
        )
        .unwrap();
    gallery.remove_subject("person7").unwrap();
    let index = SearchIndex::open(&gallery, Engine::Hnsw).unwrap();
    let ann = AnnIndex::open_and_update(&gallery, index.matrix()).unwrap();
    assert_eq!(ann.len(), 303, "300 old faces (removed ones stay in the graph) + 3 new");
    let options = IdentifyOptions::for_model(&model());
    assert_eq!(
        identify(&index, newcomer.queries(1, 1)[0].as_slice(), &options).name,
        "newcomer"
    );
    let person7 = faces.labelled_queries(8, 2).remove(7);
    assert_eq!(person7.0, 7);
    assert_eq!(identify(&index, person7.1.as_slice(), &options).name, UNKNOWN);
}

#[test]
fn an_open_index_takes_in_faces_enrolled_after_it_was_opened() {
    for engine in [Engine::ExactF32, Engine::Hnsw] {
        an_open_index_takes_in_new_faces(engine);
    }
}

fn an_open_index_takes_in_new_faces(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let faces = SyntheticFaces::new(20, 3, DIM, 0.4, 51);
    let mut gallery = enrol_all(&dir.path().join("g.db"), &faces);
    let mut index = SearchIndex::open(&gallery, engine).unwrap();
    assert_eq!(index.append_new_faces(&gallery).unwrap(), 0, "nothing new yet");
    let newcomer = SyntheticFaces::new(1, 2, DIM, 0.4, 98);
    gallery
        .enroll(
            "newcomer",
            &newcomer.iter().map(|(_, e)| NewFace::bare(e)).collect::<Vec<_>>(),
        )
        .unwrap();
    let options = IdentifyOptions::for_model(&model());
    let query = newcomer.queries(1, 1).remove(0);
    assert_ne!(identify(&index, query.as_slice(), &options).name, "newcomer");
    assert_eq!(index.append_new_faces(&gallery).unwrap(), 2);
    assert_eq!(index.matrix().len(), 62);
    assert_eq!(identify(&index, query.as_slice(), &options).name, "newcomer");
}
