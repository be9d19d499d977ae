//! dlib's HOG frontal face detector, decoded from dlib's own source and run by our code: the decoded
//! detector is byte for byte the one dlib's `save()` writes, and on the reference photos the boxes equal
//! dlib's at upsample 0 and 1, the scores within 1e-4 and the filter that fired is the same. A broken
//! header is an error naming the file, never a panic.

mod common;

use facenet_vision::hog::{HogDetector, decoder};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Reference {
    photos: BTreeMap<String, Photo>,
}

#[derive(Debug, Deserialize)]
struct Photo {
    hog_upsample0: HogRun,
    hog_upsample1: HogRun,
}

#[derive(Debug, Deserialize)]
struct HogRun {
    boxes_ltrb: Vec<[i64; 4]>,
    scores: Vec<f64>,
    sub_detector: Vec<usize>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/dlib_detect_reference.json")).expect("the fixture should parse")
}

fn header_path() -> std::path::PathBuf {
    common::asset("frontal_face_detector.h")
}

#[test]
fn the_header_decodes_to_dlibs_serialised_detector() {
    let text = std::fs::read_to_string(header_path()).unwrap();
    let bytes = decoder::decode_header(&text).unwrap();
    assert_eq!(bytes.len(), 155_005);
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        digest,
        "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426"
    );
    assert_eq!(HogDetector::from_bytes(&bytes).unwrap().num_filters(), 5);
}

/// Our detector's windows on `name` at `upsample` and `adjust_threshold` against dlib's: boxes identical
/// and in the same order, scores within 1e-4, the same filter.
fn assert_equals_dlib(detector: &HogDetector, name: &str, upsample: u32, adjust_threshold: f64, run: &HogRun) {
    let found = detector.run(&common::photo(name), upsample, adjust_threshold);
    let boxes: Vec<[i64; 4]> = found
        .iter()
        .map(|d| [d.rect.left, d.rect.top, d.rect.right, d.rect.bottom])
        .collect();
    assert_eq!(boxes, run.boxes_ltrb, "{name} upsample {upsample}");
    for (d, (&score, &filter)) in found.iter().zip(run.scores.iter().zip(&run.sub_detector)) {
        assert!(
            (d.score - score).abs() < 1e-4,
            "{name} upsample {upsample}: {} vs {score}",
            d.score
        );
        assert_eq!(d.filter, filter, "{name} upsample {upsample}");
    }
}

#[test]
fn boxes_scores_and_filters_equal_dlibs() {
    let detector = HogDetector::from_dlib_header(&header_path()).unwrap();
    let reference = reference();
    assert_eq!(reference.photos.len(), 3);
    for (name, photo) in &reference.photos {
        for (upsample, run) in [(0, &photo.hog_upsample0), (1, &photo.hog_upsample1)] {
            assert_equals_dlib(&detector, name, upsample, 0.0, run);
        }
    }
}

/// dlib's windows at a threshold 1.5 below its own (`fixtures/dlib_hog_loose_reference.json`, made with the
/// dlib peer by `hog.run(img, upsample, -1.5)` on each photo, as `shared/peers/dlib_detect_ref.py` calls it
/// at 0.0): hundreds of windows on every level of the pyramid, each a check of the features and the filters
/// far from the faces.
#[test]
fn hundreds_of_weak_windows_equal_dlibs() {
    #[derive(Debug, Deserialize)]
    struct Loose {
        adjust_threshold: f64,
        photos: BTreeMap<String, Photo>,
    }
    let loose: Loose = serde_json::from_str(include_str!("fixtures/dlib_hog_loose_reference.json")).unwrap();
    let detector = HogDetector::from_dlib_header(&header_path()).unwrap();
    assert_eq!(loose.photos.len(), 7);
    let mut windows = 0;
    for (name, photo) in &loose.photos {
        for (upsample, run) in [(0, &photo.hog_upsample0), (1, &photo.hog_upsample1)] {
            assert_equals_dlib(&detector, name, upsample, loose.adjust_threshold, run);
            windows += run.boxes_ltrb.len();
        }
    }
    assert!(windows > 500, "{windows} windows");
}

#[test]
fn a_lower_threshold_finds_more_windows_and_a_blank_image_none() {
    let detector = HogDetector::from_dlib_header(&header_path()).unwrap();
    let image = common::photo("obama.jpg");
    let loose = detector.run(&image, 0, -1.0);
    assert!(loose.len() > 1, "a threshold of −1 should keep weaker windows too");
    assert!(loose.windows(2).all(|w| w[0].score >= w[1].score), "strongest first");
    let blank = facenet_vision::RgbImage::from_pixel(200, 200, image::Rgb([128, 128, 128]));
    assert!(detector.run(&blank, 1, 0.0).is_empty());
    let tiny = facenet_vision::RgbImage::new(5, 3);
    assert!(detector.run(&tiny, 1, 0.0).is_empty());
}

#[test]
fn a_broken_header_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(header_path()).unwrap();
    let cases = [
        ("empty.h", String::new()),
        ("truncated.h", text[..text.len() / 2].to_string()),
        ("flipped.h", text.replacen("sout << \"A", "sout << \"B", 1)),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = HogDetector::from_dlib_header(&path).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
    }
}
