//! dlib's shape-predictor reader (`ShapePredictor::from_bytes`, on `facenet_vision::dlib_format`); a
//! model it accepts must also predict on a small photo without panicking (its indices were checked).
#![no_main]

use facenet_vision::{BBox, RgbImage, ShapePredictor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(predictor) = ShapePredictor::from_bytes(bytes) {
        let pixels = (0..24 * 24 * 3).map(|i: u32| (i * 7) as u8).collect();
        let photo = RgbImage::from_raw(24, 24, pixels).expect("24 × 24 × 3 bytes");
        let landmarks = predictor.landmarks(&photo, &BBox::new(2.0, 3.0, 20.0, 21.0));
        assert_eq!(landmarks.scheme, predictor.scheme());
    }
});
