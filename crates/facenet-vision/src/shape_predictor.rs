//! dlib's face landmark predictors (`shape_predictor_5_face_landmarks.dat`, and the 68-point
//! `shape_predictor_68_face_landmarks.dat` of iBUG 300-W's markup): an ensemble of
//! regression trees (Kazemi & Sullivan, "One Millisecond Face Alignment with an Ensemble of Regression
//! Trees", CVPR 2014), read from dlib's file and run exactly as dlib's `shape_predictor` does
//! (dlib `image_processing/shape_predictor.h`).
//!
//! The model, in dlib's order of serialisation:
//! - a format version (1) and the **initial shape**: the mean landmarks in the box-normalised frame,
//!   where the box's top-left corner is (0, 0) and its bottom-right corner (1, 1);
//! - **forests**, one per cascade level: regression trees whose splits compare two feature pixels
//!   (`intensity[idx1] − intensity[idx2] > thresh`), stored as a complete binary tree in breadth-first
//!   order, with one shape increment per leaf;
//! - per level, the feature pixels as an **anchor** landmark and a **delta** from it, in the initial
//!   shape's frame.
//!
//! Prediction: start from the initial shape; at each level, map every feature pixel into the image through
//! the similarity transform from the initial shape to the current one (then the box), read its gray level
//! (dlib's `(r + g + b) / 3`, 0 outside the image), and add the leaves all trees reach. The result is
//! mapped back to image pixels and rounded to whole pixels, as dlib's `point` does.
//!
//! Coordinates are dlib's: pixel (x, y) is the centre of the pixel in column x, row y, and the box's
//! `(x1, y1)` / `(x2, y2)` play dlib's rectangle `(left, top)` / `(right, bottom)`.

use crate::dlib_format::{DlibReader, FormatResult};
use crate::{BBox, Error, FaceLandmarks, LandmarkScheme, Point, Result};
use image::RgbImage;
use std::path::Path;

/// The landmark schemes of the models dlib publishes, by their number of points.
fn scheme_of(num_parts: usize) -> Option<LandmarkScheme> {
    match num_parts {
        5 => Some(LandmarkScheme::Dlib5),
        68 => Some(LandmarkScheme::Dlib68),
        _ => None,
    }
}

/// One split of a regression tree: go left when `pixel[idx1] − pixel[idx2] > thresh`.
#[derive(Debug, Clone)]
struct Split {
    idx1: usize,
    idx2: usize,
    thresh: f32,
}

/// A complete binary tree: node `i` has children `2i + 1` and `2i + 2`; `splits.len() + 1` leaves.
#[derive(Debug, Clone)]
struct RegressionTree {
    splits: Vec<Split>,
    /// One shape increment (x0, y0, x1, y1, …) per leaf, concatenated.
    leaf_values: Vec<f32>,
}

impl RegressionTree {
    /// The increment of the leaf that `pixels` lead to.
    fn leaf(&self, pixels: &[f32], shape_len: usize) -> &[f32] {
        let mut node = 0;
        while node < self.splits.len() {
            let split = &self.splits[node];
            node = if pixels[split.idx1] - pixels[split.idx2] > split.thresh {
                2 * node + 1
            } else {
                2 * node + 2
            };
        }
        let leaf = node - self.splits.len();
        &self.leaf_values[leaf * shape_len..(leaf + 1) * shape_len]
    }
}

/// One level of the cascade: its trees and the feature pixels they read.
#[derive(Debug, Clone)]
struct Cascade {
    trees: Vec<RegressionTree>,
    /// For each feature pixel: the landmark it hangs from and its offset, in the initial shape's frame.
    anchors: Vec<usize>,
    deltas: Vec<[f32; 2]>,
}

/// dlib's ERT landmark predictor, loaded from a dlib `.dat` file.
#[derive(Debug, Clone)]
pub struct ShapePredictor {
    scheme: LandmarkScheme,
    /// The mean shape in the box-normalised frame: x0, y0, x1, y1, …
    initial_shape: Vec<f32>,
    cascades: Vec<Cascade>,
}

impl ShapePredictor {
    /// Reads a dlib shape predictor file. A truncated or corrupt file gives [`Error::DlibFile`] with the
    /// file name, the item and the byte offset.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        Self::from_bytes(&bytes).map_err(|source| Error::DlibFile {
            path: path.into(),
            source,
        })
    }

    /// Parses a serialised dlib shape predictor and checks that every index in it is in range.
    ///
    /// Memory bound: every declared count is checked against the bytes left before allocating (see
    /// [`crate::dlib_format`]); the model it builds holds only what the bytes encode, and parsing allocates
    /// at most 64 × `bytes.len()` plus a few kilobytes (tested with crafted files in `tests/memory_bounds.rs`).
    pub fn from_bytes(bytes: &[u8]) -> FormatResult<Self> {
        let mut r = DlibReader::new(bytes);
        let version = r.read_i32("shape predictor version")?;
        if version != 1 {
            return Err(
                DlibReader::new(bytes).error("shape predictor version", format!("version {version}, expected 1"))
            );
        }
        let shape_at = r.offset();
        let initial = r.read_matrix_f32("initial shape")?;
        let num_parts = initial.rows / 2;
        let scheme = scheme_of(num_parts).filter(|_| initial.cols == 1 && initial.rows % 2 == 0);
        let Some(scheme) = scheme else {
            let problem = format!(
                "{}×{} matrix, expected 10×1 or 136×1 (a 5- or 68-point model)",
                initial.rows, initial.cols
            );
            return Err(DlibReader::new(bytes).error_at_offset(shape_at, "initial shape", problem));
        };
        let shape_len = initial.data.len();
        let forests = r.read_vec("forests", |r, _| r.read_vec("forest", |r, _| read_tree(r, shape_len)))?;
        let anchors = r.read_vec("anchor_idx", |r, _| {
            r.read_vec("anchors", |r, _| read_anchor(r, num_parts))
        })?;
        let deltas_at = r.offset();
        let deltas = r.read_vec("deltas", |r, _| r.read_vec("deltas", |r, _| r.read_point_f32("delta")))?;
        if forests.len() != anchors.len() || forests.len() != deltas.len() {
            let problem = format!(
                "{} forests, {} anchor lists and {} delta lists",
                forests.len(),
                anchors.len(),
                deltas.len()
            );
            return Err(DlibReader::new(bytes).error_at_offset(deltas_at, "deltas", problem));
        }
        let cascades = forests
            .into_iter()
            .zip(anchors.into_iter().zip(deltas))
            .enumerate()
            .map(|(level, (trees, (anchors, deltas)))| check_cascade(Cascade { trees, anchors, deltas }, level))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|problem| DlibReader::new(bytes).error_at_offset(deltas_at, "cascade", problem))?;
        Ok(Self {
            scheme,
            initial_shape: initial.data,
            cascades,
        })
    }

    /// Which points the model predicts ([`LandmarkScheme::Dlib5`] or [`LandmarkScheme::Dlib68`]).
    pub fn scheme(&self) -> LandmarkScheme {
        self.scheme
    }

    /// dlib's landmarks for the face in `bbox`, in image pixels, in the order of [`Self::scheme`].
    pub fn landmarks(&self, image: &RgbImage, bbox: &BBox) -> FaceLandmarks {
        let frame = BoxFrame::new(bbox);
        let mut shape = self.initial_shape.clone();
        let mut pixels = Vec::new();
        for cascade in &self.cascades {
            self.feature_pixels(image, &frame, &shape, cascade, &mut pixels);
            for tree in &cascade.trees {
                for (s, d) in shape.iter_mut().zip(tree.leaf(&pixels, self.initial_shape.len())) {
                    *s += d;
                }
            }
        }
        let points = shape
            .chunks_exact(2)
            .map(|p| {
                let [x, y] = frame.to_pixel(p[0], p[1]).map(round_half_up);
                Point::new(x as f32, y as f32)
            })
            .collect();
        FaceLandmarks {
            scheme: self.scheme,
            points,
        }
    }

    /// The gray levels of `cascade`'s feature pixels, placed relative to the current `shape`.
    fn feature_pixels(&self, image: &RgbImage, frame: &BoxFrame, shape: &[f32], cascade: &Cascade, out: &mut Vec<f32>) {
        let [[a, b], [c, d]] = similarity_transform(&self.initial_shape, shape);
        out.clear();
        out.extend(cascade.anchors.iter().zip(&cascade.deltas).map(|(&anchor, &[dx, dy])| {
            let x = a * dx + b * dy + shape[2 * anchor];
            let y = c * dx + d * dy + shape[2 * anchor + 1];
            let [px, py] = frame.to_pixel(x, y).map(round_half_up);
            gray_at(image, px, py)
        }));
    }
}

/// The box-normalised frame: (0, 0) is the box's top-left corner, (1, 1) its bottom-right one.
struct BoxFrame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl BoxFrame {
    fn new(bbox: &BBox) -> Self {
        let [x1, y1, x2, y2] = bbox.to_array().map(f64::from);
        Self {
            left: x1,
            top: y1,
            width: x2 - x1,
            height: y2 - y1,
        }
    }

    fn to_pixel(&self, x: f32, y: f32) -> [f64; 2] {
        [
            self.left + f64::from(x) * self.width,
            self.top + f64::from(y) * self.height,
        ]
    }
}

/// dlib's conversion of a real coordinate to a pixel index: `floor(v + 0.5)`.
fn round_half_up(v: f64) -> i64 {
    (v + 0.5).floor() as i64
}

/// dlib's gray level of an RGB pixel, `(r + g + b) / 3` in integers; 0 outside the image.
fn gray_at(image: &RgbImage, x: i64, y: i64) -> f32 {
    match (u32::try_from(x), u32::try_from(y)) {
        (Ok(x), Ok(y)) if x < image.width() && y < image.height() => {
            let [r, g, b] = image.get_pixel(x, y).0;
            ((u32::from(r) + u32::from(g) + u32::from(b)) / 3) as f32
        }
        _ => 0.0,
    }
}

/// The least-squares similarity (scale · rotation) mapping the centred `from` shape onto the centred `to`
/// shape (Umeyama 1991, as dlib's `find_similarity_transform`; for 2-D without reflection its SVD has this
/// closed form), computed in `f64` and returned as dlib uses it, in `f32`.
fn similarity_transform(from: &[f32], to: &[f32]) -> [[f32; 2]; 2] {
    let n = (from.len() / 2) as f64;
    let mean = |s: &[f32], k: usize| s.iter().skip(k).step_by(2).map(|&v| f64::from(v)).sum::<f64>() / n;
    let (fx, fy, tx, ty) = (mean(from, 0), mean(from, 1), mean(to, 0), mean(to, 1));
    let (mut dot, mut cross, mut spread) = (0.0, 0.0, 0.0);
    for (f, t) in from.chunks_exact(2).zip(to.chunks_exact(2)) {
        let (ux, uy) = (f64::from(f[0]) - fx, f64::from(f[1]) - fy);
        let (vx, vy) = (f64::from(t[0]) - tx, f64::from(t[1]) - ty);
        dot += ux * vx + uy * vy;
        cross += ux * vy - uy * vx;
        spread += ux * ux + uy * uy;
    }
    if spread == 0.0 {
        return [[1.0, 0.0], [0.0, 1.0]];
    }
    let (a, b) = ((dot / spread) as f32, (cross / spread) as f32);
    [[a, -b], [b, a]]
}

fn read_tree(r: &mut DlibReader, shape_len: usize) -> FormatResult<RegressionTree> {
    let splits = r.read_vec("splits", |r, _| {
        Ok(Split {
            idx1: r.read_usize("idx1")?,
            idx2: r.read_usize("idx2")?,
            thresh: r.read_f32("thresh")?,
        })
    })?;
    let leaves_at = r.offset();
    let leaves = r.read_vec("leaf values", |r, _| r.read_matrix_f32("leaf"))?;
    if leaves.len() != splits.len() + 1 {
        let problem = format!(
            "{} leaves for {} splits (expected {})",
            leaves.len(),
            splits.len(),
            splits.len() + 1
        );
        return Err(r.error_at_offset(leaves_at, "leaf values", problem));
    }
    // every leaf is checked before the values are gathered: empty leaves cannot reserve leaves × shape_len
    if let Some(leaf) = leaves.iter().find(|leaf| leaf.data.len() != shape_len) {
        return Err(r.error_at_offset(
            leaves_at,
            "leaf values",
            format!("leaf of {} values, expected {shape_len}", leaf.data.len()),
        ));
    }
    let leaf_values = leaves.into_iter().flat_map(|leaf| leaf.data).collect();
    Ok(RegressionTree { splits, leaf_values })
}

fn read_anchor(r: &mut DlibReader, num_parts: usize) -> FormatResult<usize> {
    let at = r.offset();
    let anchor = r.read_usize("anchor")?;
    if anchor >= num_parts {
        return Err(r.error_at_offset(at, "anchor", format!("landmark {anchor} of a {num_parts}-point shape")));
    }
    Ok(anchor)
}

/// Checks that the trees of `level` only read feature pixels the level defines.
fn check_cascade(cascade: Cascade, level: usize) -> std::result::Result<Cascade, String> {
    let features = cascade.deltas.len();
    if cascade.anchors.len() != features {
        return Err(format!(
            "level {level}: {} anchors for {features} feature pixels",
            cascade.anchors.len()
        ));
    }
    for (t, tree) in cascade.trees.iter().enumerate() {
        if let Some(s) = tree.splits.iter().find(|s| s.idx1 >= features || s.idx2 >= features) {
            return Err(format!(
                "level {level}, tree {t}: split reads pixel {} of {features}",
                s.idx1.max(s.idx2)
            ));
        }
    }
    Ok(cascade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_of_a_rotated_scaled_shape() {
        // `to` is `from` rotated by 90° and scaled by 2, then shifted.
        let from = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let to = [5.0, 5.0, 5.0, 7.0, 3.0, 5.0];
        let m = similarity_transform(&from, &to);
        let want = [[0.0, -2.0], [2.0, 0.0]];
        for (row, want_row) in m.iter().zip(want) {
            for (v, w) in row.iter().zip(want_row) {
                assert!((v - w).abs() < 1e-6, "{m:?}");
            }
        }
    }

    #[test]
    fn gray_is_the_integer_mean_and_black_outside() {
        let image = RgbImage::from_pixel(2, 1, image::Rgb([10, 20, 32]));
        assert_eq!(gray_at(&image, 1, 0), 20.0);
        assert_eq!(gray_at(&image, 2, 0), 0.0);
        assert_eq!(gray_at(&image, -1, 0), 0.0);
    }

    #[test]
    fn rounding_is_half_up_as_dlib() {
        assert_eq!(round_half_up(2.5), 3);
        assert_eq!(round_half_up(-2.5), -2);
        assert_eq!(round_half_up(-2.6), -3);
    }
}
