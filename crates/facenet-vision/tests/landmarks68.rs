//! dlib's 68-point predictor (`shape_predictor_68_face_landmarks.dat`), read by the same code as the
//! 5-point one: on dlib's HOG boxes (upsample 1) of the reference photos, all 68 points equal dlib's.

mod common;

use facenet_vision::{BBox, LandmarkScheme, ShapePredictor};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Reference {
    photos: BTreeMap<String, Photo>,
}

#[derive(Debug, Deserialize)]
struct Photo {
    hog_upsample1: HogRun,
    landmarks68_on_hog_upsample1: Vec<Vec<[f32; 2]>>,
}

#[derive(Debug, Deserialize)]
struct HogRun {
    boxes_ltrb: Vec<[f32; 4]>,
}

#[test]
fn the_68_points_equal_dlibs_on_its_hog_boxes() {
    let reference: Reference = serde_json::from_str(include_str!("fixtures/dlib_detect_reference.json")).unwrap();
    let predictor = ShapePredictor::from_file(&common::asset("shape_predictor_68_face_landmarks.dat")).unwrap();
    assert_eq!(predictor.scheme(), LandmarkScheme::Dlib68);
    let mut faces = 0;
    for (name, photo) in &reference.photos {
        let image = common::photo(name);
        for (&[l, t, r, b], dlib) in photo
            .hog_upsample1
            .boxes_ltrb
            .iter()
            .zip(&photo.landmarks68_on_hog_upsample1)
        {
            let found = predictor.landmarks(&image, &BBox::new(l, t, r, b));
            assert_eq!(found.scheme, LandmarkScheme::Dlib68);
            let ours: Vec<[f32; 2]> = found.points.iter().map(|p| [p.x, p.y]).collect();
            assert_eq!(&ours, dlib, "{name}");
            faces += 1;
        }
    }
    assert_eq!(faces, 3);
}

#[test]
fn a_model_of_another_point_count_is_refused_with_its_shape() {
    let bytes = std::fs::read(common::asset("shape_predictor_68_face_landmarks.dat")).unwrap();
    // The initial shape follows the version, its row count written as −136 (2 × 68): make it −14 (2 × 7).
    let mut broken = bytes[..4096].to_vec();
    let at = broken
        .windows(2)
        .position(|w| w == [0x81, 136])
        .expect("the row count should be near the start");
    broken[at + 1] = 14;
    let err = ShapePredictor::from_bytes(&broken).unwrap_err().to_string();
    assert!(err.contains("14×1"), "{err}");
}
