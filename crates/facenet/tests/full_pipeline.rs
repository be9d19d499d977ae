//! The default pipeline end to end — MTCNN boxes → dlib landmarks → dlib chip → dlib ResNet — on
//! face_recognition 1.3.0's own test photos, with face_recognition's own expectations
//! (tests/test_face_recognition.py: obama/obama2 and obama/obama3 within 0.6, obama/biden beyond).

use facenet::assets::Cache;
use facenet::core::distance::l2;
use facenet::pipeline::{PipelineSpec, build_pipeline};

#[test]
fn face_recognitions_expectations_hold_with_the_default_detector() {
    let cache = Cache::from_env().expect("a cache directory");
    let pipeline = build_pipeline(&PipelineSpec::default(), &cache).expect("the default pipeline should build");
    let descriptor = |photo: &str| {
        let faces = pipeline
            .process_path(&cache.ensure(photo).expect("fixture photo"))
            .expect("photo should process");
        let main = faces
            .into_iter()
            .max_by(|a, b| a.detection.prominence().total_cmp(&b.detection.prominence()));
        main.unwrap_or_else(|| panic!("{photo}: no face found")).embedding
    };
    let obama = descriptor("obama.jpg");
    let threshold = pipeline.model_info().threshold;
    for same in ["obama2.jpg", "obama3.jpg"] {
        let d = l2(obama.as_slice(), descriptor(same).as_slice());
        assert!(d < threshold, "obama.jpg vs {same}: {d} should be within {threshold}");
    }
    let d = l2(obama.as_slice(), descriptor("biden.jpg").as_slice());
    assert!(
        d > threshold,
        "obama.jpg vs biden.jpg: {d} should be beyond {threshold}"
    );
}

#[test]
fn every_obama_photo_is_closer_to_obama_than_to_biden() {
    let cache = Cache::from_env().expect("a cache directory");
    let pipeline = build_pipeline(&PipelineSpec::default(), &cache).expect("the default pipeline should build");
    let paths: Vec<_> = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"]
        .iter()
        .map(|p| cache.ensure(p).unwrap())
        .collect();
    let per_photo: Vec<_> = pipeline
        .process_paths(&paths)
        .into_iter()
        .map(|r| r.expect("photo should process"))
        .collect();
    assert!(
        per_photo.iter().all(|faces| !faces.is_empty()),
        "every photo has a face"
    );
    let first = |i: usize| per_photo[i][0].embedding.clone();
    let biden = first(3);
    for i in 1..3 {
        assert!(l2(first(0).as_slice(), first(i).as_slice()) < l2(first(i).as_slice(), biden.as_slice()));
    }
}
