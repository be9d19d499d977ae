//! The FaceNet paper's "tight crop, no alignment" (Schroff et al. 2015, §5: faces are cropped tightly
//! around the detected box, without alignment), as davidsandberg/facenet's `align_dataset_mtcnn.py`
//! cuts it: the box grown by `margin` pixels in total (half on each side), clamped to the photo and
//! truncated to whole pixels, resized bilinearly to `resize`, then centre-cropped to the output size.
//! davidsandberg's training default: margin 44, resize 182 → crop 160 (random crops at training time;
//! the centre crop here).

use super::warp::{Affine, warp};
use crate::{BBox, Error, Result};
use image::RgbImage;

/// The tight crop of `bbox` (see the module doc), `width × height`, after resizing to `resize`.
pub fn align_tight(
    image: &RgbImage,
    bbox: &BBox,
    margin: f32,
    resize: (u32, u32),
    width: u32,
    height: u32,
) -> Result<RgbImage> {
    if !bbox.is_finite() || !margin.is_finite() {
        return Err(Error::Invalid(format!(
            "tight crop: the box {:?} with margin {margin} is not finite",
            bbox.to_array()
        )));
    }
    let (iw, ih) = (image.width() as f32, image.height() as f32);
    let grow = margin / 2.0;
    let x0 = (bbox.x1 - grow).max(0.0).trunc();
    let y0 = (bbox.y1 - grow).max(0.0).trunc();
    let x1 = (bbox.x2 + grow).min(iw).trunc();
    let y1 = (bbox.y2 + grow).min(ih).trunc();
    if !(x1 > x0 && y1 > y0) {
        return Err(Error::Invalid(format!(
            "tight crop: the box {:?} has no pixels inside the {iw}×{ih} photo",
            bbox.to_array()
        )));
    }
    let (rw, rh) = resize;
    if rw < width || rh < height {
        return Err(Error::Invalid(format!(
            "tight crop: resize {rw}×{rh} is smaller than the output {width}×{height}"
        )));
    }
    // Output pixel u ↦ resized pixel u + offset ↦ photo, pixel centres aligned (bilinear resize).
    let (ox, oy) = (f64::from(rw / 2 - width / 2), f64::from(rh / 2 - height / 2));
    let (sx, sy) = (f64::from(x1 - x0) / f64::from(rw), f64::from(y1 - y0) / f64::from(rh));
    let to_image = Affine([
        sx,
        0.0,
        f64::from(x0) + (ox + 0.5) * sx - 0.5,
        0.0,
        sy,
        f64::from(y0) + (oy + 0.5) * sy - 0.5,
    ]);
    Ok(warp(image, &to_image, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn crops_the_box_plus_margin() {
        // A white 20×20 square at (40, 30) on black; the box is the square, no margin.
        let image = RgbImage::from_fn(100, 80, |x, y| {
            if (40..60).contains(&x) && (30..50).contains(&y) {
                Rgb([255; 3])
            } else {
                Rgb([0; 3])
            }
        });
        let square = BBox::new(40.0, 30.0, 60.0, 50.0);
        let crop = align_tight(&image, &square, 0.0, (20, 20), 20, 20).unwrap();
        assert!(crop.pixels().all(|p| p.0 == [255; 3]));
        // With 20 px of margin the square fills the middle half.
        let crop = align_tight(&image, &square, 20.0, (40, 40), 40, 40).unwrap();
        assert_eq!(crop.get_pixel(20, 20).0, [255; 3]);
        assert_eq!(crop.get_pixel(2, 2).0, [0; 3]);
    }

    #[test]
    fn davidsandberg_default_gives_160_and_borders_are_clamped() {
        let image = RgbImage::from_pixel(50, 40, Rgb([9, 9, 9]));
        let near_edge = BBox::new(-10.0, -5.0, 30.0, 45.0);
        let crop = align_tight(&image, &near_edge, 44.0, (182, 182), 160, 160).unwrap();
        assert_eq!(crop.dimensions(), (160, 160));
        assert!(crop.pixels().all(|p| p.0 == [9, 9, 9]));
    }

    #[test]
    fn a_box_outside_the_photo_is_an_error_not_a_panic() {
        let image = RgbImage::new(10, 10);
        assert!(align_tight(&image, &BBox::new(20.0, 20.0, 30.0, 30.0), 0.0, (8, 8), 8, 8).is_err());
        assert!(align_tight(&image, &BBox::new(2.0, 2.0, 8.0, 8.0), 0.0, (8, 8), 16, 16).is_err());
    }
}
