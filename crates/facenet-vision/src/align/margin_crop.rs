//! davidsandberg/facenet's crop for its pretrained models (`src/compare.py`, `load_and_align_data`): the
//! detector's box grown by `margin / 2` pixels on each side (margin 44), clipped to the photo, truncated
//! to whole pixels, cut out and resized to 160×160 with OpenCV's bilinear resize ([`super::cv_linear`]).
//! No landmarks, no rotation.

use super::cv_linear::resize_linear;
use crate::{AlignedFace, Detection, Error, FaceAligner, Result};
use image::RgbImage;

/// davidsandberg's default margin in pixels, split evenly between the two sides.
pub const FACENET_MARGIN: f32 = 44.0;
/// The crop side of the pretrained models.
pub const FACENET_CROP_SIZE: u32 = 160;

/// `[left, top, right, bottom]` of the crop: `max(x1 − m/2, 0)`, …, `min(x2 + m/2, width)`, truncated.
pub fn margin_crop_box(detection: &Detection, width: u32, height: u32, margin: f32) -> [u32; 4] {
    let half = margin / 2.0;
    let b = detection.bbox;
    let clip = |v: f32, limit: u32| v.clamp(0.0, limit as f32) as u32;
    [
        clip(b.x1 - half, width),
        clip(b.y1 - half, height),
        clip(b.x2 + half, width),
        clip(b.y2 + half, height),
    ]
}

/// Cuts `[left, top, right, bottom]` out of `image` and resizes it to `size × size`.
pub fn crop_and_resize(image: &RgbImage, [left, top, right, bottom]: [u32; 4], size: u32) -> Result<RgbImage> {
    if right <= left || bottom <= top {
        return Err(Error::Invalid(format!(
            "the face box [{left}, {top}, {right}, {bottom}] is empty inside the {}×{} photo",
            image.width(),
            image.height()
        )));
    }
    let crop = image::imageops::crop_imm(image, left, top, right - left, bottom - top).to_image();
    Ok(resize_linear(&crop, size, size))
}

/// davidsandberg's crop as a [`FaceAligner`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginCropAligner {
    pub margin: f32,
    pub size: u32,
}

impl MarginCropAligner {
    /// Margin 44, 160×160: the input of FaceNet 20180408-102900.
    pub const fn facenet() -> Self {
        Self {
            margin: FACENET_MARGIN,
            size: FACENET_CROP_SIZE,
        }
    }
}

impl FaceAligner for MarginCropAligner {
    fn align(&self, image: &RgbImage, detection: &Detection) -> Result<AlignedFace> {
        if !detection.bbox.is_finite() || !self.margin.is_finite() {
            return Err(Error::Invalid(format!(
                "margin crop: the face box {:?} with margin {} is not finite",
                detection.bbox.to_array(),
                self.margin
            )));
        }
        let crop = margin_crop_box(detection, image.width(), image.height(), self.margin);
        Ok(AlignedFace {
            image: crop_and_resize(image, crop, self.size)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;

    fn detection(x1: f32, y1: f32, x2: f32, y2: f32) -> Detection {
        Detection {
            bbox: BBox::new(x1, y1, x2, y2),
            score: 1.0,
            landmarks: None,
        }
    }

    #[test]
    fn the_box_grows_by_22_a_side_is_clipped_and_truncated() {
        // biden.jpg's reference: MTCNN box [427.14, 167.04, 713.63, 560.42] → crop [405, 145, 735, 582]
        let d = detection(427.14, 167.04, 713.63, 560.42);
        assert_eq!(margin_crop_box(&d, 970, 2204, FACENET_MARGIN), [405, 145, 735, 582]);
        assert_eq!(
            margin_crop_box(&detection(5.0, 10.0, 95.5, 99.0), 100, 100, 44.0),
            [0, 0, 100, 100]
        );
    }

    #[test]
    fn an_empty_crop_is_an_error_not_a_panic() {
        let image = RgbImage::new(50, 50);
        let err = MarginCropAligner::facenet()
            .align(&image, &detection(80.0, 80.0, 90.0, 90.0))
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let face = MarginCropAligner::facenet()
            .align(&image, &detection(10.0, 10.0, 30.0, 30.0))
            .unwrap();
        assert_eq!(face.image.dimensions(), (160, 160));
    }
}
