//! dlib's MMOD CNN face detector run by our code: on the reference photos
//! (`tests/fixtures/dlib_cnn_reference.json`, dlib 20.0.1's `cnn_face_detection_model_v1(...)(img, 1)`)
//! every box is within 1 px of dlib's and every confidence within 1e-3; a lower threshold finds more
//! windows, a flat image none, and a broken file is an error naming the file.

use facenet_assets::Cache;
use facenet_nn::mmod::{MODEL_ASSET, MmodDetector};
use facenet_vision::{Detector, LoadOptions, RgbImage, load_rgb};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
struct Reference {
    photos: BTreeMap<String, Photo>,
}

#[derive(Debug, Deserialize)]
struct Photo {
    cnn_upsample1: CnnRun,
}

#[derive(Debug, Deserialize)]
struct CnnRun {
    boxes_ltrb: Vec<[i64; 4]>,
    confidences: Vec<f64>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/dlib_cnn_reference.json")).expect("the fixture should parse")
}

fn cache() -> Cache {
    Cache::from_env().expect("the asset cache")
}

fn detector() -> &'static MmodDetector {
    static DETECTOR: OnceLock<MmodDetector> = OnceLock::new();
    DETECTOR.get_or_init(|| MmodDetector::load(&cache()).unwrap())
}

fn photo(name: &str) -> RgbImage {
    load_rgb(&cache().ensure(name).unwrap(), &LoadOptions::default()).unwrap()
}

#[test]
fn boxes_and_confidences_equal_dlibs_at_upsample_1() {
    let reference = reference();
    assert_eq!(reference.photos.len(), 3);
    for (name, photo_ref) in &reference.photos {
        let run = &photo_ref.cnn_upsample1;
        let found = detector().run(&photo(name), 1, 0.0);
        assert_eq!(found.len(), run.boxes_ltrb.len(), "{name}: {found:?}");
        for (d, (want, &confidence)) in found.iter().zip(run.boxes_ltrb.iter().zip(&run.confidences)) {
            let got = [d.rect.left, d.rect.top, d.rect.right, d.rect.bottom];
            let off = got.iter().zip(want).map(|(a, b)| (a - b).abs()).max().unwrap();
            assert!(off <= 1, "{name}: box {got:?}, dlib {want:?}");
            assert!(
                (d.confidence - confidence).abs() < 1e-3,
                "{name}: confidence {} vs dlib {confidence}",
                d.confidence
            );
        }
    }
}

#[test]
fn the_detector_trait_gives_the_same_faces_and_a_flat_image_none() {
    let image = photo("obama2.jpg");
    let faces = detector().detect(&image).unwrap();
    let runs = detector().run(&image, 1, 0.0);
    assert_eq!(faces.len(), runs.len());
    assert_eq!(faces[0].bbox.x1, runs[0].rect.left as f32);
    assert_eq!(faces[0].score, runs[0].confidence as f32);
    let flat = RgbImage::from_pixel(120, 90, image::Rgb([128, 128, 128]));
    assert!(detector().run(&flat, 1, 0.0).is_empty());
    let lower = detector().run(&image, 0, -3.0);
    let at_zero = detector().run(&image, 0, 0.0);
    assert!(lower.len() > at_zero.len(), "{} vs {}", lower.len(), at_zero.len());
}

#[test]
fn a_broken_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(cache().ensure(MODEL_ASSET).unwrap()).unwrap();
    let path = dir.path().join("cut.dat");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let message = MmodDetector::from_dat(&path).unwrap_err().to_string();
    assert!(message.contains("cut.dat"), "{message}");
    let path = dir.path().join("noise.dat");
    std::fs::write(&path, b"not a dlib network").unwrap();
    assert!(
        MmodDetector::from_dat(&path)
            .unwrap_err()
            .to_string()
            .contains("noise.dat")
    );
}
