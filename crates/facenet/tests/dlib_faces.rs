//! `DlibFaces` against face_recognition 1.3.0 with dlib 20.0.1 (tests/fixtures/face_recognition_reference.json,
//! rebuilt by scripts/face_recognition_reference.py): HOG locations identical at upsample 1 and 0, 5-point
//! landmarks identical, encodings within 1e-3 with the small (5-point) and the large (68-point) model.

use facenet::assets::Cache;
use facenet::vision::{BBox, load_rgb};
use facenet::{DlibFaces, LandmarkModel, LoadOptions};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/face_recognition_reference.json")).expect("fixture JSON")
}

/// face_recognition's (top, right, bottom, left), clipped to the image.
fn css(image: &facenet::RgbImage, d: &facenet::vision::hog::HogDetection) -> [i64; 4] {
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    [
        d.rect.top.max(0),
        d.rect.right.min(w),
        d.rect.bottom.min(h),
        d.rect.left.max(0),
    ]
}

fn as_i64s(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[test]
fn locations_landmarks_and_encodings_equal_face_recognitions() {
    let cache = Cache::from_env().expect("a cache directory");
    let faces = DlibFaces::load(&cache).expect("dlib models should load");
    let reference = reference();
    for (photo, expected) in reference.as_object().unwrap() {
        let image = load_rgb(&cache.ensure(photo).unwrap(), &LoadOptions::default()).unwrap();
        for (upsample, key) in [(1, "face_locations"), (0, "face_locations_upsample0")] {
            let got: Vec<Vec<i64>> = faces
                .hog_locations(&image, upsample)
                .iter()
                .map(|d| css(&image, d).to_vec())
                .collect();
            let want: Vec<Vec<i64>> = expected[key].as_array().unwrap().iter().map(as_i64s).collect();
            assert_eq!(got, want, "{photo} {key}");
        }
        let detections = faces.hog_locations(&image, 1);
        let boxes: Vec<BBox> = detections
            .iter()
            .map(|d| {
                BBox::new(
                    d.rect.left as f32,
                    d.rect.top as f32,
                    d.rect.right as f32,
                    d.rect.bottom as f32,
                )
            })
            .collect();
        let small: Vec<_> = boxes
            .iter()
            .map(|b| faces.landmarks(&image, b, LandmarkModel::Small))
            .collect();
        let got: Vec<Vec<i64>> = small[0].points.iter().map(|p| vec![p.x as i64, p.y as i64]).collect();
        let want: Vec<Vec<i64>> = expected["landmarks_small"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(as_i64s)
            .collect();
        assert_eq!(got, want, "{photo} 5 landmarks");
        let large: Vec<_> = boxes
            .iter()
            .map(|b| faces.landmarks(&image, b, LandmarkModel::Large))
            .collect();
        for (model, shapes) in [("encodings_small", &small), ("encodings_large", &large)] {
            let encodings = faces.encodings(&image, shapes).expect("encodings");
            let want = expected[model].as_array().unwrap();
            assert_eq!(encodings.len(), want.len(), "{photo} {model}");
            for (e, w) in encodings.iter().zip(want) {
                let worst = e
                    .as_slice()
                    .iter()
                    .zip(w.as_array().unwrap())
                    .map(|(a, b)| (f64::from(*a) - b.as_f64().unwrap()).abs())
                    .fold(0.0, f64::max);
                assert!(worst < 1e-3, "{photo} {model}: largest difference {worst}");
            }
        }
    }
}

#[test]
fn unknown_landmark_models_are_refused_with_face_recognitions_message() {
    assert_eq!("small".parse(), Ok(LandmarkModel::Small));
    assert_eq!("large".parse(), Ok(LandmarkModel::Large));
    let err = "medium".parse::<LandmarkModel>().unwrap_err();
    assert!(err.contains("medium") && err.contains("['small', 'large']"), "{err}");
}
