//! Similarity alignment: the least-squares similarity transform (rotation, uniform scale, translation;
//! Umeyama 1991, "Least-squares estimation of transformation parameters between two point patterns")
//! from the 5 MTCNN landmarks to a canonical template, then a bilinear warp.
//!
//! The template is the widely used 5-point layout of ArcFace/InsightFace for a 112×112 crop (eyes,
//! nose tip, mouth corners), expressed in the unit square. At output size `W × H` with margin `m`, the
//! unit square becomes a centred square of side `s = min(W, H)·(1 − 2m)`: `m` is the fraction of the
//! short side left on each side of the template square (m = 0 gives the ArcFace 112×112 layout
//! exactly; m > 0 shows more of the head; a non-square output keeps the face's aspect and adds room on
//! the longer side).

use super::warp::{Affine, warp};
use crate::{Error, LandmarkScheme, Point, Result};
use image::RgbImage;

/// The canonical 5 landmarks in a 112×112 crop: left eye, right eye, nose, left and right mouth corner.
const TEMPLATE_112: [[f64; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Where the template's 5 landmarks lie in a `width × height` crop with `margin` (see the module doc).
pub fn template(width: u32, height: u32, margin: f64) -> [[f64; 2]; 5] {
    let side = f64::from(width.min(height)) * (1.0 - 2.0 * margin);
    let (ox, oy) = ((f64::from(width) - side) / 2.0, (f64::from(height) - side) / 2.0);
    TEMPLATE_112.map(|[x, y]| [ox + x / 112.0 * side, oy + y / 112.0 * side])
}

/// The similarity `T` minimising `Σ‖dst_k − T(src_k)‖²` (Umeyama's solution; in 2-D it has a closed
/// form and no reflection): with centred points `p = src − s̄`, `q = dst − d̄`,
/// `s·cos θ = Σ p·q / Σ‖p‖²`, `s·sin θ = Σ p×q / Σ‖p‖²`, `t = d̄ − sR·s̄`. `None` when all source points
/// coincide.
pub fn similarity_lstsq(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Option<Affine> {
    let n = src.len().min(dst.len()) as f64;
    let mean = |pts: &[[f64; 2]]| {
        let (sx, sy) = pts.iter().fold((0.0, 0.0), |(ax, ay), p| (ax + p[0], ay + p[1]));
        [sx / n, sy / n]
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut dot, mut cross, mut var) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (px, py, qx, qy) = (s[0] - ms[0], s[1] - ms[1], d[0] - md[0], d[1] - md[1]);
        dot += px * qx + py * qy;
        cross += px * qy - py * qx;
        var += px * px + py * py;
    }
    if var <= f64::EPSILON || !var.is_finite() {
        return None;
    }
    let (a, b) = (dot / var, cross / var);
    Some(Affine([
        a,
        -b,
        md[0] - (a * ms[0] - b * ms[1]),
        b,
        a,
        md[1] - (b * ms[0] + a * ms[1]),
    ]))
}

/// The crop whose template landmarks fall on `landmarks` (MTCNN's 5 points).
pub fn align_similarity(
    image: &RgbImage,
    scheme: LandmarkScheme,
    landmarks: &[Point],
    width: u32,
    height: u32,
    margin: f64,
) -> Result<RgbImage> {
    if scheme != LandmarkScheme::Mtcnn5 || landmarks.len() != 5 {
        return Err(Error::Invalid(format!(
            "similarity alignment needs MTCNN's 5 landmarks, got {} {scheme:?} points",
            landmarks.len()
        )));
    }
    if let Some(i) = landmarks.iter().position(|p| !(p.x.is_finite() && p.y.is_finite())) {
        return Err(Error::Invalid(format!(
            "similarity alignment: landmark {i} ({}, {}) is not finite",
            landmarks[i].x, landmarks[i].y
        )));
    }
    let src: Vec<[f64; 2]> = landmarks.iter().map(|p| [f64::from(p.x), f64::from(p.y)]).collect();
    let image_to_crop = similarity_lstsq(&src, &template(width, height, margin))
        .ok_or_else(|| Error::Invalid("similarity alignment: the landmarks coincide".into()))?;
    let crop_to_image = image_to_crop
        .inverse()
        .ok_or_else(|| Error::Invalid("similarity alignment: degenerate transform".into()))?;
    Ok(warp(image, &crop_to_image, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_similarity_exactly() {
        let (scale, angle, tx, ty) = (1.7f64, 0.4f64, 31.0, -12.5);
        let truth = Affine([
            scale * angle.cos(),
            -scale * angle.sin(),
            tx,
            scale * angle.sin(),
            scale * angle.cos(),
            ty,
        ]);
        let src = [[10.0, 20.0], [50.0, 22.0], [30.0, 40.0], [15.0, 60.0], [45.0, 61.0]];
        let dst: Vec<[f64; 2]> = src
            .iter()
            .map(|p| {
                let (x, y) = truth.apply(p[0], p[1]);
                [x, y]
            })
            .collect();
        let found = similarity_lstsq(&src, &dst).unwrap();
        for (f, t) in found.0.iter().zip(truth.0) {
            assert!((f - t).abs() < 1e-9, "{found:?} vs {truth:?}");
        }
    }

    #[test]
    fn coincident_points_have_no_transform() {
        assert!(similarity_lstsq(&[[1.0, 1.0]; 5], &TEMPLATE_112).is_none());
    }

    #[test]
    fn template_at_112_without_margin_is_arcface() {
        for (p, q) in template(112, 112, 0.0).iter().zip(TEMPLATE_112) {
            assert!(
                (p[0] - q[0]).abs() < 1e-12 && (p[1] - q[1]).abs() < 1e-12,
                "{p:?} vs {q:?}"
            );
        }
    }

    #[test]
    fn template_is_centred_and_scaled_at_every_size() {
        for (w, h) in [
            (96, 96),
            (112, 112),
            (150, 150),
            (160, 160),
            (165, 165),
            (220, 220),
            (224, 224),
            (140, 116),
        ] {
            let t = template(w, h, 0.1);
            let side = f64::from(w.min(h)) * 0.8;
            // Eyes level, mirror-symmetric about the vertical centre line (up to the template's own 0.2 px).
            let centre = f64::from(w) / 2.0;
            assert!(
                ((t[0][0] + t[1][0]) / 2.0 - centre).abs() < 0.01 * side,
                "{w}×{h}: {t:?}"
            );
            // The eye distance scales with the short side.
            assert!(((t[1][0] - t[0][0]) - (73.5318 - 38.2946) / 112.0 * side).abs() < 1e-9);
            assert!(
                t.iter()
                    .all(|p| p[0] > 0.0 && p[0] < f64::from(w) && p[1] > 0.0 && p[1] < f64::from(h))
            );
        }
    }
}
