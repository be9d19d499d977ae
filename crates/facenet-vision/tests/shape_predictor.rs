//! dlib's 5-point shape predictor, read by our own code: equal to dlib on the reference faces, and a
//! truncated or corrupt model file is an error naming the file and the byte offset, never a panic.

mod common;

use facenet_vision::{Error, LandmarkScheme, ShapePredictor};

fn predictor_bytes() -> Vec<u8> {
    std::fs::read(common::asset("shape_predictor_5_face_landmarks.dat")).expect("the predictor should be readable")
}

fn predictor() -> ShapePredictor {
    ShapePredictor::from_file(&common::asset("shape_predictor_5_face_landmarks.dat")).unwrap()
}

/// The largest distance between our landmarks and the fixture's, over every face; the per-face report.
fn worst_landmark_error(fixture: common::Fixture) -> f32 {
    let predictor = predictor();
    let mut worst = 0.0f32;
    let mut faces = 0;
    for (name, photo) in fixture.photos {
        let image = common::photo(&name);
        for face in &photo.faces {
            let found = predictor.landmarks(&image, &face.bbox());
            assert_eq!(found.scheme, LandmarkScheme::Dlib5);
            for (ours, dlib) in found.points.iter().zip(face.landmarks()) {
                let error = ours.distance(dlib);
                if error > 0.5 {
                    eprintln!("{name}: ours {ours:?}, dlib {dlib:?}");
                }
                worst = worst.max(error);
            }
            faces += 1;
        }
    }
    assert!(faces > 3, "the fixture should hold more than three faces");
    worst
}

/// From dlib's reference boxes, every landmark within 0.5 px of dlib's, on every reference face (the
/// JPEGs decode to the very pixels dlib read: see `image_io`).
#[test]
fn landmarks_equal_dlibs_reference() {
    let worst = worst_landmark_error(common::dlib_reference());
    assert!(worst <= 0.5, "a landmark is {worst} px from dlib's reference");
}

#[test]
fn truncated_files_are_errors_naming_the_file_and_offset() {
    let bytes = predictor_bytes();
    let dir = tempfile::tempdir().unwrap();
    for cut in [0, 1, 5, 100, 4_000, bytes.len() / 2, bytes.len() - 1] {
        let path = dir.path().join(format!("cut_{cut}.dat"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = ShapePredictor::from_file(&path).unwrap_err();
        assert!(matches!(err, Error::DlibFile { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("cut_{cut}.dat")) && message.contains("at byte"),
            "{message}"
        );
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    let bytes = predictor_bytes();
    // Overwrite bytes at spread-out places with values that break control bytes, counts and indices.
    let mut failures = 0;
    for (k, position) in (0..bytes.len()).step_by(bytes.len() / 29).enumerate() {
        let mut corrupt = bytes.clone();
        corrupt[position] = [0x00, 0xff, 0x7f, 0x88][k % 4];
        if let Err(e) = ShapePredictor::from_bytes(&corrupt) {
            assert!(e.offset <= bytes.len(), "{e}");
            failures += 1;
        }
    }
    assert!(failures > 0, "some corruptions should be detected");
}

#[test]
fn a_wrong_version_is_reported() {
    let mut bytes = predictor_bytes();
    bytes[1] = 2; // the version int: control byte 1, value 1 → 2
    let err = ShapePredictor::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("version 2, expected 1"), "{err}");
}
