//! Property tests of the geometry (issue 20): box arithmetic, the box map to dlib's boxes, the
//! similarity alignment, the tight and margin crops and dlib's chip extraction never panic and never
//! produce NaN, for any box or landmark set — zero-size boxes, coincident landmarks, boxes outside the
//! photo, huge, negative, infinite and NaN coordinates. Non-finite input is a clear error.

use facenet_vision::align::margin_crop::MarginCropAligner;
use facenet_vision::{
    Aligner, BBox, BoxToDlib, ChipDetails, Detection, FaceAligner, FaceLandmarks, LandmarkScheme, Point,
    extract_image_chip,
};
use image::{Rgb, RgbImage};
use proptest::prelude::*;

/// Any f32 a detector or a user could hand over, the troublesome ones well represented.
fn coordinate() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -50.0..150.0f32,
        1 => Just(0.0f32),
        1 => Just(f32::MAX),
        1 => Just(f32::MIN),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => -1e30..1e30f32,
        1 => any::<f32>(),
    ]
}

fn bbox() -> impl Strategy<Value = BBox> {
    prop_oneof![
        4 => [coordinate(), coordinate(), coordinate(), coordinate()].prop_map(BBox::from),
        // zero-size boxes: a point or a line
        1 => (coordinate(), coordinate(), 0.0..5.0f32)
            .prop_map(|(x, y, w)| BBox::new(x, y, x + w, y)),
    ]
}

/// `n` landmarks: arbitrary ones, or all at one point (coincident).
fn landmarks(n: usize) -> impl Strategy<Value = Vec<Point>> {
    prop_oneof![
        3 => prop::collection::vec((coordinate(), coordinate()).prop_map(|(x, y)| Point::new(x, y)), n),
        1 => (coordinate(), coordinate()).prop_map(move |(x, y)| vec![Point::new(x, y); n]),
        // a plausible face, scaled: nearly coincident to huge
        1 => (1e-6..1e6f32).prop_map(move |s| (0..n).map(|i| Point::new(50.0 + s * (i % 3) as f32, 40.0 + s * (i / 3) as f32)).collect()),
    ]
}

fn photo() -> RgbImage {
    RgbImage::from_fn(97, 61, |x, y| Rgb([(x * 2) as u8, (y * 4) as u8, 90]))
}

fn all_finite(points: &[Point]) -> bool {
    points.iter().all(|p| p.x.is_finite() && p.y.is_finite())
}

fn detection(bbox: BBox, points: Option<Vec<Point>>) -> Detection {
    Detection {
        bbox,
        score: 0.9,
        landmarks: points.map(|points| FaceLandmarks {
            scheme: LandmarkScheme::Mtcnn5,
            points,
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn box_arithmetic_is_never_nan(a in bbox(), b in bbox()) {
        let iou = a.iou(&b);
        prop_assert!((0.0..=1.0).contains(&iou), "iou {iou} of {a:?} and {b:?}");
        prop_assert!(a.width() >= 0.0 && a.height() >= 0.0, "{a:?}");
        if a.is_finite() {
            prop_assert!(!a.area().is_nan(), "{a:?}");
            prop_assert!(!a.center().x.is_nan() && !a.center().y.is_nan(), "{a:?}");
        }
    }

    #[test]
    fn the_map_to_dlib_boxes_is_never_nan_for_finite_boxes(b in bbox()) {
        let mapped = BoxToDlib::MTCNN.apply(&b);
        if b.is_finite() {
            prop_assert!(mapped.to_array().iter().all(|v| !v.is_nan()), "{b:?} → {mapped:?}");
        }
        prop_assert_eq!(BoxToDlib::Unchanged.apply(&b).to_array().map(f32::to_bits), b.to_array().map(f32::to_bits));
    }

    #[test]
    fn tight_and_margin_crops_never_panic(b in bbox(), margin in prop_oneof![0.0..64.0f32, Just(f32::NAN)]) {
        let image = photo();
        for aligner in [Aligner::davidsandberg(), Aligner::tight(24, 8.0, 32).unwrap()] {
            match aligner.crop(&image, &detection(b, None)) {
                Ok(crop) => {
                    prop_assert!(b.is_finite(), "a crop from the non-finite box {b:?}");
                    prop_assert!(crop.width() > 0 && crop.height() > 0);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
        let margin_crop = MarginCropAligner { margin, size: 20 };
        match margin_crop.align(&image, &detection(b, None)) {
            Ok(face) => {
                prop_assert!(b.is_finite() && margin.is_finite(), "a crop from {b:?}, margin {margin}");
                prop_assert_eq!(face.image.dimensions(), (20, 20));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn similarity_alignment_never_panics(points in landmarks(5), margin in 0.0..0.49f64) {
        let aligner = Aligner::similarity(40, 48, margin).unwrap();
        match aligner.crop(&photo(), &detection(BBox::new(0.0, 0.0, 10.0, 10.0), Some(points.clone()))) {
            Ok(crop) => {
                prop_assert!(all_finite(&points), "aligned with non-finite landmarks {points:?}");
                prop_assert_eq!(crop.dimensions(), (40, 48));
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("not finite") || message.contains("coincide") || message.contains("degenerate"), "{message}");
            }
        }
    }

    #[test]
    fn dlib_chips_never_panic(points in prop_oneof![landmarks(5), landmarks(68)], size in 1u32..64, padding in 0.0..1.0f64) {
        let scheme = if points.len() == 5 { LandmarkScheme::Dlib5 } else { LandmarkScheme::Dlib68 };
        let face = FaceLandmarks { scheme, points: points.clone() };
        match ChipDetails::for_face(&face, size, padding) {
            Ok(details) => {
                prop_assert!(all_finite(&points), "a chip from non-finite landmarks {points:?}");
                prop_assert_eq!(extract_image_chip(&photo(), &details).dimensions(), (size, size));
                prop_assert_eq!(extract_image_chip(&RgbImage::new(0, 0), &details).dimensions(), (size, size));
            }
            Err(e) => prop_assert!(e.to_string().contains("not finite"), "{e}"),
        }
    }
}

#[test]
fn nan_boxes_are_errors_not_whole_photo_crops() {
    // a NaN box used to crop the whole photo (NaN.max(0) = 0, NaN.min(w) = w)
    let error = Aligner::davidsandberg()
        .crop(&photo(), &detection(BBox::new(f32::NAN, 5.0, 40.0, 40.0), None))
        .unwrap_err();
    assert!(error.to_string().contains("not finite"), "{error}");
}

#[test]
fn nan_landmarks_are_named_not_called_coincident() {
    let mut points = vec![Point::new(30.0, 30.0), Point::new(60.0, 30.0), Point::new(45.0, 45.0)];
    points.extend([Point::new(35.0, 60.0), Point::new(f32::NAN, 60.0)]);
    let error = Aligner::similarity(112, 112, 0.0)
        .unwrap()
        .crop(
            &photo(),
            &detection(BBox::new(0.0, 0.0, 1.0, 1.0), Some(points.clone())),
        )
        .unwrap_err();
    assert!(error.to_string().contains("landmark 4"), "{error}");
    let face = FaceLandmarks {
        scheme: LandmarkScheme::Dlib5,
        points,
    };
    assert!(
        ChipDetails::for_face(&face, 150, 0.25)
            .unwrap_err()
            .to_string()
            .contains("landmark 4")
    );
}

#[test]
fn boxes_near_f32_max_map_to_dlib_boxes_without_nan() {
    let mapped = BoxToDlib::MTCNN.apply(&BBox::new(f32::MIN, 0.0, f32::MAX, 10.0));
    assert!(mapped.to_array().iter().all(|v| !v.is_nan()), "{mapped:?}");
}

/// Proptest finding: a zero-height box spanning f32's whole range had width ∞ and area ∞ · 0 = NaN.
#[test]
fn a_zero_height_box_spanning_the_f32_range_has_area_zero_not_nan() {
    let line = BBox::new(f32::MIN, 0.0, f32::MAX, 0.0);
    assert_eq!(line.area(), 0.0);
    assert_eq!(line.iou(&BBox::new(0.0, 0.0, 0.0, 0.0)), 0.0);
}
