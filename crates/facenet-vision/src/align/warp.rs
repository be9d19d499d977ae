//! Bilinear resampling of an image through an affine map, the one sampler behind every alignment mode.
//! Pixel `(i, j)` of the output takes the image at `M·(j, i)`, with pixel centres at integer
//! coordinates (OpenCV's `warpAffine` convention); samples are blended bilinearly, and the part of a
//! sample that falls outside the image is black (a constant border), so no position can fail.

use image::{Rgb, RgbImage};

/// A 2-D affine map `(x, y) ↦ (a·x + b·y + c, d·x + e·y + f)`, stored row-major `[a, b, c, d, e, f]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f64; 6]);

impl Affine {
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// The inverse map, `None` when the map is singular.
    pub fn inverse(&self) -> Option<Affine> {
        let [a, b, c, d, e, f] = self.0;
        let det = a * e - b * d;
        if det.abs() < 1e-12 || !det.is_finite() {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(Affine([ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)]))
    }
}

/// The `width × height` image whose pixel `(x, y)` is `image` sampled bilinearly at `out_to_image(x, y)`.
pub fn warp(image: &RgbImage, out_to_image: &Affine, width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (sx, sy) = out_to_image.apply(x as f64, y as f64);
        sample(image, sx, sy)
    })
}

/// `image` at `(x, y)`, bilinear, black outside.
fn sample(image: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    if !x.is_finite() || !y.is_finite() {
        return Rgb([0, 0, 0]);
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (w, h) = (image.width() as f64, image.height() as f64);
    let mut acc = [0.0f64; 3];
    for (dy, wy) in [(0.0, 1.0 - fy), (1.0, fy)] {
        for (dx, wx) in [(0.0, 1.0 - fx), (1.0, fx)] {
            let (px, py) = (x0 + dx, y0 + dy);
            let weight = wx * wy;
            if weight == 0.0 || px < 0.0 || py < 0.0 || px >= w || py >= h {
                continue;
            }
            let pixel = image.get_pixel(px as u32, py as u32).0;
            for c in 0..3 {
                acc[c] += weight * pixel[c] as f64;
            }
        }
    }
    Rgb(acc.map(|v| v.round().clamp(0.0, 255.0) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_the_map() {
        let m = Affine([0.8, -0.6, 12.0, 0.6, 0.8, -3.0]);
        let (x, y) = m.apply(5.0, 7.0);
        let (bx, by) = m.inverse().unwrap().apply(x, y);
        assert!((bx - 5.0).abs() < 1e-12 && (by - 7.0).abs() < 1e-12);
        assert!(Affine([0.0; 6]).inverse().is_none());
    }

    #[test]
    fn identity_copies_and_half_pixel_blends() {
        let image = RgbImage::from_fn(4, 3, |x, y| Rgb([(x * 10) as u8, (y * 10) as u8, 5]));
        assert_eq!(warp(&image, &Affine([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), 4, 3), image);
        let shifted = warp(&image, &Affine([1.0, 0.0, 0.5, 0.0, 1.0, 0.0]), 3, 3);
        assert_eq!(shifted.get_pixel(0, 0).0, [5, 0, 5]);
    }

    #[test]
    fn outside_is_black_and_never_panics() {
        let image = RgbImage::from_pixel(2, 2, Rgb([200, 200, 200]));
        for m in [
            Affine([1.0, 0.0, -1e9, 0.0, 1.0, 1e9]),
            Affine([f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0]),
            Affine([1.0, 0.0, -0.5, 0.0, 1.0, -0.5]),
        ] {
            let out = warp(&image, &m, 3, 3);
            assert_eq!(out.dimensions(), (3, 3));
        }
        let half = warp(&image, &Affine([1.0, 0.0, -0.5, 0.0, 1.0, 0.0]), 1, 1);
        assert_eq!(half.get_pixel(0, 0).0, [100, 100, 100]);
    }
}
