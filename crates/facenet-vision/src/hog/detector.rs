//! dlib's HOG face detector, `object_detector<scan_fhog_pyramid<pyramid_down<6>>>` (dlib
//! `image_processing/object_detector.h`, `image_processing/scan_fhog_pyramid.h`), as
//! `dlib.get_frontal_face_detector().run(img, upsample, adjust_threshold)` runs it.
//!
//! The serialised detector (dlib `object_detector` version 2): the scanner's settings (cell size, padding,
//! detection window, pyramid limits), the overlap test of the non-max suppression (IoU and
//! covered-fraction thresholds), then one weight vector per sliding-window filter: `31 × rows × cols`
//! weights and a threshold.
//!
//! Detection: upsample 2× `upsample` times, build the `pyramid_down<6>` pyramid down to the 64-pixel
//! minimum, extract fHOG per level, correlate each filter with each level — through its separable
//! approximation as dlib does: each 2-D plane filter is replaced by the rank-one terms of its SVD whose
//! singular values exceed `max(1e-4, 0.001 · σ_max)` — keep every window scoring ≥ threshold + adjust,
//! map it to the image, sort by score and drop every box that overlaps a stronger one.

use super::decoder::decode_header;
use super::fhog::{Fhog, NUM_PLANES, extract_fhog};
use super::pyramid::{point_down2, point_up6, pyramid_down6, pyramid_up2, round_half_away};
use crate::dlib_format::{DlibReader, FormatResult};
use crate::{BBox, Detection, Detector, Error, Result};
use facenet_core::multiversion;
use image::RgbImage;
use rayon::prelude::*;
use std::path::Path;

/// dlib's integer rectangle, inclusive on all sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DlibRect {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

impl DlibRect {
    /// This rectangle as the pipeline's detection (dlib's detectors give no landmarks).
    pub fn to_detection(&self, score: f64) -> Detection {
        Detection {
            bbox: BBox::new(self.left as f32, self.top as f32, self.right as f32, self.bottom as f32),
            score: score as f32,
            landmarks: None,
        }
    }

    /// Pixels inside (0 when empty).
    pub fn area(&self) -> i64 {
        if self.right < self.left || self.bottom < self.top {
            0
        } else {
            (self.right - self.left + 1) * (self.bottom - self.top + 1)
        }
    }

    /// The common part (empty when they do not meet).
    pub fn intersect(&self, o: &Self) -> Self {
        Self {
            left: self.left.max(o.left),
            top: self.top.max(o.top),
            right: self.right.min(o.right),
            bottom: self.bottom.min(o.bottom),
        }
    }

    /// The smallest rectangle holding both (dlib's `a + b`).
    pub fn bounding(&self, o: &Self) -> Self {
        Self {
            left: self.left.min(o.left),
            top: self.top.min(o.top),
            right: self.right.max(o.right),
            bottom: self.bottom.max(o.bottom),
        }
    }

    /// Each corner mapped by `f` and rounded as dlib's `drectangle → rectangle` does.
    pub fn map_corners(&self, f: impl Fn([f64; 2]) -> [f64; 2]) -> Self {
        let tl = f([self.left as f64, self.top as f64]);
        let br = f([self.right as f64, self.bottom as f64]);
        Self {
            left: round_half_away(tl[0]),
            top: round_half_away(tl[1]),
            right: round_half_away(br[0]),
            bottom: round_half_away(br[1]),
        }
    }
}

/// One window the detector kept: its box in the input image, score above the filter's threshold and the
/// filter that found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HogDetection {
    pub rect: DlibRect,
    pub score: f64,
    pub filter: usize,
}

/// dlib's `test_box_overlap`: two boxes overlap when IoU (over their bounding box) exceeds `iou`, or the
/// intersection covers more than `covered` of either.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverlapTest {
    pub iou: f64,
    pub covered: f64,
}

impl OverlapTest {
    pub fn overlaps(&self, a: &DlibRect, b: &DlibRect) -> bool {
        let inner = a.intersect(b).area() as f64;
        if inner == 0.0 {
            return false;
        }
        let outer = a.bounding(b).area() as f64;
        inner / outer > self.iou || inner / a.area() as f64 > self.covered || inner / b.area() as f64 > self.covered
    }
}

/// One rank-one term of a plane filter: `col ⊗ row`.
#[derive(Debug, Clone)]
struct SeparableTerm {
    row: Vec<f32>,
    col: Vec<f32>,
}

/// A sliding-window filter: per plane its separable terms, and the threshold.
#[derive(Debug, Clone)]
struct Filter {
    planes: Vec<Vec<SeparableTerm>>,
    threshold: f64,
}

/// The scanner's settings, in the cells and pixels dlib stores.
#[derive(Debug, Clone, Copy)]
struct ScannerSettings {
    cell_size: usize,
    /// The filter size in cells (the window plus the padding).
    filter_rows: usize,
    filter_cols: usize,
    padding: usize,
    max_levels: usize,
    min_level_width: i64,
    min_level_height: i64,
}

/// dlib's HOG sliding-window detector.
#[derive(Debug, Clone)]
pub struct HogDetector {
    settings: ScannerSettings,
    overlap: OverlapTest,
    filters: Vec<Filter>,
    /// 2× upsamplings before detection (face_recognition's default is 1).
    pub upsample: u32,
    /// Added to every filter's threshold (dlib's `adjust_threshold`).
    pub adjust_threshold: f64,
}

/// The window size in cells of a `width × height` pixel window (dlib `compute_fhog_window_size`).
fn window_cells(pixels: i64, cell: i64) -> i64 {
    // centred_rect(0, 0, w, w) spans −w/2 … w/2 − 1; image_to_fhog maps p → (p − 1)/cell − 1 (truncating).
    let lo = -pixels / 2;
    let hi = lo + pixels - 1;
    let to_cells = |p: i64| (p - 1) / cell - 1;
    to_cells(hi) - to_cells(lo) + 1
}

impl HogDetector {
    /// dlib's frontal face detector from dlib's source file `frontal_face_detector.h` (the asset of that
    /// name): its compressed text decoded ([`super::decoder`]) and read. Errors name the file.
    pub fn from_dlib_header(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let in_file = |e: Error| Error::Stage(format!("{}: not a dlib detector header: {e}", path.display()));
        let bytes = decode_header(&text).map_err(in_file)?;
        Self::from_bytes(&bytes).map_err(|source| Error::DlibFile {
            path: path.into(),
            source,
        })
    }

    /// Reads a serialised `object_detector<scan_fhog_pyramid<pyramid_down<6>>>` (version 2).
    pub fn from_bytes(bytes: &[u8]) -> FormatResult<Self> {
        let mut r = DlibReader::new(bytes);
        let version = r.read_i32("object_detector version")?;
        if version != 2 {
            return Err(r.error("object_detector version", format!("version {version} (only 2 is read)")));
        }
        let settings = read_scanner(&mut r)?;
        let overlap = OverlapTest {
            iou: r.read_f64("overlap IoU threshold")?,
            covered: r.read_f64("overlap covered threshold")?,
        };
        let count = r.read_usize("number of filters")?;
        let dims = NUM_PLANES * settings.filter_rows * settings.filter_cols;
        let mut filters = Vec::with_capacity(count.min(64));
        for i in 0..count {
            let what = format!("filter {i}");
            let rows = r.read_i64(&what)?.unsigned_abs() as usize;
            let cols = r.read_i64(&what)?.unsigned_abs() as usize;
            if rows * cols != dims + 1 {
                return Err(r.error(&what, format!("{rows}×{cols} weights, expected {}", dims + 1)));
            }
            let weights = (0..=dims)
                .map(|_| r.read_f64(&what))
                .collect::<FormatResult<Vec<_>>>()?;
            filters.push(Filter {
                planes: (0..NUM_PLANES)
                    .map(|p| {
                        let size = settings.filter_rows * settings.filter_cols;
                        separable_terms(
                            &weights[p * size..(p + 1) * size],
                            settings.filter_rows,
                            settings.filter_cols,
                        )
                    })
                    .collect(),
                threshold: weights[dims],
            });
        }
        Ok(Self {
            settings,
            overlap,
            filters,
            upsample: 1,
            adjust_threshold: 0.0,
        })
    }

    /// The number of sliding-window filters (5 for dlib's frontal face detector).
    pub fn num_filters(&self) -> usize {
        self.filters.len()
    }

    /// The faces in `image` after `upsample` 2× upsamplings, strongest first, boxes in `image`'s pixels.
    pub fn run(&self, image: &RgbImage, upsample: u32, adjust_threshold: f64) -> Vec<HogDetection> {
        let mut scaled = image.clone();
        for _ in 0..upsample {
            scaled = pyramid_up2(&scaled);
        }
        let mut found = self.detect_at_scale(&scaled, adjust_threshold);
        for det in &mut found {
            for _ in 0..upsample {
                det.rect = det.rect.map_corners(point_down2);
            }
        }
        found
    }

    /// dlib's `object_detector::operator()` on one image.
    fn detect_at_scale(&self, image: &RgbImage, adjust_threshold: f64) -> Vec<HogDetection> {
        let levels = self.pyramid(image);
        let s = self.settings;
        let features: Vec<Fhog> = levels
            .par_iter()
            .map(|level| extract_fhog(level, s.cell_size, s.filter_rows, s.filter_cols))
            .collect();
        let per_filter: Vec<Vec<HogDetection>> = self
            .filters
            .par_iter()
            .enumerate()
            .map(|(index, filter)| {
                let mut found: Vec<HogDetection> = features
                    .par_iter()
                    .enumerate()
                    .flat_map_iter(|(level, fhog)| self.scan_level(fhog, level, filter, adjust_threshold, index))
                    .collect();
                found.sort_by(|a, b| b.score.total_cmp(&a.score));
                found
            })
            .collect();
        let mut all: Vec<HogDetection> = per_filter.into_iter().flatten().collect();
        all.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<HogDetection> = Vec::new();
        for det in all {
            if !kept.iter().any(|k| self.overlap.overlaps(&k.rect, &det.rect)) {
                kept.push(det);
            }
        }
        kept
    }

    /// The image and its `pyramid_down<6>` levels down to dlib's minimum level size.
    fn pyramid(&self, image: &RgbImage) -> Vec<RgbImage> {
        let s = self.settings;
        let mut rect = DlibRect {
            left: 0,
            top: 0,
            right: i64::from(image.width()) - 1,
            bottom: i64::from(image.height()) - 1,
        };
        let mut count = 0;
        loop {
            rect = rect.map_corners(super::pyramid::point_down6);
            count += 1;
            let (w, h) = (rect.right - rect.left + 1, rect.bottom - rect.top + 1);
            if !(w >= s.min_level_width && h >= s.min_level_height && count < s.max_levels) {
                break;
            }
        }
        let mut levels = vec![image.clone()];
        while levels.len() < count {
            let next = pyramid_down6(levels.last().expect("the first level is the image"));
            levels.push(next);
        }
        levels
    }

    /// Scores every window position of one level and keeps those ≥ the filter's threshold + `adjust_threshold`.
    fn scan_level(
        &self,
        fhog: &Fhog,
        level: usize,
        filter: &Filter,
        adjust_threshold: f64,
        index: usize,
    ) -> Vec<HogDetection> {
        let s = self.settings;
        let Some((saliency, area)) = correlate(fhog, filter, s.filter_rows, s.filter_cols) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let threshold = filter.threshold + adjust_threshold;
        let box_rows = (s.filter_rows - 2 * s.padding) as i64;
        let box_cols = (s.filter_cols - 2 * s.padding) as i64;
        for r in area.top..=area.bottom {
            for c in area.left..=area.right {
                let score = saliency[r as usize * fhog.cols + c as usize];
                if f64::from(score) >= threshold {
                    let left = c - box_cols / 2;
                    let top = r - box_rows / 2;
                    let window = DlibRect {
                        left,
                        top,
                        right: left + box_cols - 1,
                        bottom: top + box_rows - 1,
                    };
                    let in_image = self.cells_to_image(window);
                    let mut rect = in_image;
                    if level > 0 {
                        rect = in_image.map_corners(|mut p| {
                            for _ in 0..level {
                                p = point_up6(p);
                            }
                            p
                        });
                    }
                    out.push(HogDetection {
                        rect,
                        score: f64::from(score) - filter.threshold,
                        filter: index,
                    });
                }
            }
        }
        out
    }

    /// dlib's `fhog_to_image` of a window in cells.
    fn cells_to_image(&self, rect: DlibRect) -> DlibRect {
        let s = self.settings;
        let cell = s.cell_size as i64;
        let map = |x: i64, y: i64| {
            let px = (x + 1 - (s.filter_cols as i64 - 1) / 2) * cell + 1;
            let py = (y + 1 - (s.filter_rows as i64 - 1) / 2) * cell + 1;
            let half = cell / 2;
            (
                px + if px >= 0 { half } else { -half },
                py + if py >= 0 { half } else { -half },
            )
        };
        let (left, top) = map(rect.left, rect.top);
        let (right, bottom) = map(rect.right, rect.bottom);
        DlibRect {
            left,
            top,
            right,
            bottom,
        }
    }
}

/// The scanner part of the serialised detector.
fn read_scanner(r: &mut DlibReader) -> FormatResult<ScannerSettings> {
    let version = r.read_i32("scan_fhog_pyramid version")?;
    if version != 1 {
        return Err(r.error(
            "scan_fhog_pyramid version",
            format!("version {version} (only 1 is read)"),
        ));
    }
    let _max_size = r.read_u64("stored feature pyramid")?;
    if r.read_u64("stored feature pyramid")? != 0 {
        return Err(r.error(
            "stored feature pyramid",
            "a detector saved with an image loaded is not read",
        ));
    }
    let cell_size = r.read_i32("cell size")?;
    let padding = r.read_u64("padding")?;
    let window_width = r.read_u64("window width")?;
    let window_height = r.read_u64("window height")?;
    let max_levels = r.read_u64("max pyramid levels")?;
    let min_level_width = r.read_u64("min pyramid level width")?;
    let min_level_height = r.read_u64("min pyramid level height")?;
    let _nuclear_norm = r.read_f64("nuclear norm strength")?;
    let dims = r.read_i64("dimensions")?;
    if !(1..=64).contains(&cell_size) || window_width > 4096 || window_height > 4096 || padding > 64 {
        return Err(r.error("scanner settings", "cell size, window or padding out of range"));
    }
    let cell = i64::from(cell_size);
    let filter_cols = (window_cells(window_width as i64, cell) + 2 * padding as i64) as usize;
    let filter_rows = (window_cells(window_height as i64, cell) + 2 * padding as i64) as usize;
    if dims != (NUM_PLANES * filter_rows * filter_cols) as i64 {
        return Err(r.error("dimensions", format!("{dims} ≠ 31 × {filter_rows} × {filter_cols}")));
    }
    Ok(ScannerSettings {
        cell_size: cell_size as usize,
        filter_rows,
        filter_cols,
        padding: padding as usize,
        max_levels: max_levels as usize,
        min_level_width: min_level_width as i64,
        min_level_height: min_level_height as i64,
    })
}

/// The rank-one terms of a `rows × cols` filter (row-major) whose singular values dlib keeps, strongest
/// first: `col = u·√σ`, `row = v·√σ`.
fn separable_terms(weights: &[f64], rows: usize, cols: usize) -> Vec<SeparableTerm> {
    let (u, sigma, v) = svd(weights, rows, cols);
    let largest = sigma.iter().copied().fold(0.0, f64::max);
    let thresh = (largest * 0.001).max(1e-4);
    let mut order: Vec<usize> = (0..sigma.len()).collect();
    order.sort_by(|&a, &b| sigma[b].total_cmp(&sigma[a]));
    order
        .into_iter()
        .filter(|&j| sigma[j] >= thresh)
        .map(|j| {
            let root = sigma[j].sqrt();
            SeparableTerm {
                col: (0..rows).map(|i| (u[i * cols.min(rows) + j] * root) as f32).collect(),
                row: (0..cols).map(|i| (v[i * cols.min(rows) + j] * root) as f32).collect(),
            }
        })
        .collect()
}

/// A thin SVD of a `rows × cols` matrix (one-sided Jacobi on the columns): `U` (`rows × k`), the `k`
/// singular values and `V` (`cols × k`), `k = min(rows, cols)`, both row-major.
fn svd(a: &[f64], rows: usize, cols: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    assert!(rows >= cols, "the fHOG filters are square");
    let k = cols;
    let mut w = a.to_vec(); // rows × cols, its columns orthogonalised in place
    let mut v = vec![0.0; cols * cols];
    for i in 0..cols {
        v[i * cols + i] = 1.0;
    }
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..cols {
            for q in p + 1..cols {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for i in 0..rows {
                    let (x, y) = (w[i * cols + p], w[i * cols + q]);
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma.abs() <= 1e-15 * (alpha * beta).sqrt() || gamma == 0.0 {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for m in [&mut w, &mut v] {
                    let n = m.len() / cols;
                    for i in 0..n {
                        let (x, y) = (m[i * cols + p], m[i * cols + q]);
                        m[i * cols + p] = c * x - s * y;
                        m[i * cols + q] = s * x + c * y;
                    }
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let sigma: Vec<f64> = (0..k)
        .map(|j| (0..rows).map(|i| w[i * cols + j].powi(2)).sum::<f64>().sqrt())
        .collect();
    let mut u = vec![0.0; rows * k];
    for j in 0..k {
        if sigma[j] > 0.0 {
            for i in 0..rows {
                u[i * k + j] = w[i * cols + j] / sigma[j];
            }
        }
    }
    (u, sigma, v)
}

/// Where a filter fits on a level of `cols` cells a row: output rows `first_row..last_row`, columns
/// `first_col..first_col + width`.
#[derive(Debug, Clone, Copy)]
struct Fit {
    cols: usize,
    first_row: usize,
    last_row: usize,
    first_col: usize,
    width: usize,
}

/// Output lanes per accumulator tile of the filter passes: two AVX-512 registers, four AVX2 ones; the
/// last lanes of a row go in tiles of 8, then one at a time.
const TILE: usize = 32;

/// `dst[i] = Σₙ src[i + n]·taps[n]`, summed in tap order from 0, for `i < dst.len()`.
#[inline(always)]
fn row_taps(src: &[f32], taps: &[f32], dst: &mut [f32]) {
    let wide = dst.len() / TILE * TILE;
    let narrow = dst.len() / 8 * 8;
    row_tiles::<TILE>(src, taps, &mut dst[..wide]);
    row_tiles::<8>(&src[wide..], taps, &mut dst[wide..narrow]);
    row_tiles::<1>(&src[narrow..], taps, &mut dst[narrow..]);
}

/// [`row_taps`] on a multiple of `N` lanes, `N` accumulators at a time.
#[inline(always)]
fn row_tiles<const N: usize>(src: &[f32], taps: &[f32], dst: &mut [f32]) {
    for (t, tile) in dst.chunks_exact_mut(N).enumerate() {
        let mut acc = [0.0f32; N];
        for (n, &tap) in taps.iter().enumerate() {
            for (a, &p) in acc.iter_mut().zip(&src[t * N + n..][..N]) {
                *a += p * tap;
            }
        }
        tile.copy_from_slice(&acc);
    }
}

/// `out[i] += Σₘ rows[m·width + i]·taps[m]`, added one tap at a time in tap order.
#[inline(always)]
fn column_taps(rows: &[f32], width: usize, taps: &[f32], out: &mut [f32]) {
    let wide = out.len() / TILE * TILE;
    let narrow = out.len() / 8 * 8;
    column_tiles::<TILE>(rows, width, taps, &mut out[..wide]);
    column_tiles::<8>(&rows[wide..], width, taps, &mut out[wide..narrow]);
    column_tiles::<1>(&rows[narrow..], width, taps, &mut out[narrow..]);
}

/// [`column_taps`] on a multiple of `N` lanes, `N` accumulators at a time.
#[inline(always)]
fn column_tiles<const N: usize>(rows: &[f32], width: usize, taps: &[f32], out: &mut [f32]) {
    for (t, tile) in out.chunks_exact_mut(N).enumerate() {
        let mut acc: [f32; N] = (&*tile).try_into().expect("a tile of N lanes");
        for (m, &tap) in taps.iter().enumerate() {
            for (a, &p) in acc.iter_mut().zip(&rows[m * width + t * N..][..N]) {
                *a += p * tap;
            }
        }
        tile.copy_from_slice(&acc);
    }
}

/// One rank-one term `col ⊗ row` of one plane, correlated with the level and added to `saliency`
/// (dlib's `float_spatially_filter_image_separable` with `add_to = true`); `row_pass` is scratch of
/// `rows × width`.
#[inline(always)]
fn add_term_generic(plane: &[f32], term: &SeparableTerm, fit: Fit, row_pass: &mut [f32], saliency: &mut [f32]) {
    for (src, dst) in plane.chunks_exact(fit.cols).zip(row_pass.chunks_exact_mut(fit.width)) {
        row_taps(src, &term.row, dst);
    }
    for r in fit.first_row..fit.last_row {
        let out = &mut saliency[r * fit.cols + fit.first_col..][..fit.width];
        column_taps(&row_pass[(r - fit.first_row) * fit.width..], fit.width, &term.col, out);
    }
}

multiversion! {
    /// [`add_term_generic`] for the best instruction set of this CPU.
    fn add_term(plane: &[f32], term: &SeparableTerm, fit: Fit, row_pass: &mut [f32], saliency: &mut [f32]) = add_term_generic;
}

/// The filter's response at every cell where it fits (dlib's `float_spatially_filter_image_separable`,
/// summed over planes and terms), and that area; `None` when the level is smaller than the filter.
fn correlate(fhog: &Fhog, filter: &Filter, filter_rows: usize, filter_cols: usize) -> Option<(Vec<f32>, DlibRect)> {
    let (rows, cols) = (fhog.rows, fhog.cols);
    let (first_row, first_col) = (filter_rows / 2, filter_cols / 2);
    let last_row = rows as i64 - ((filter_rows as i64 - 1) / 2);
    let last_col = cols as i64 - ((filter_cols as i64 - 1) / 2);
    if last_row <= first_row as i64 || last_col <= first_col as i64 {
        return None;
    }
    let fit = Fit {
        cols,
        first_row,
        last_row: last_row as usize,
        first_col,
        width: last_col as usize - first_col,
    };
    let mut saliency = vec![0.0f32; rows * cols];
    let mut row_pass = vec![0.0f32; rows * fit.width];
    for (plane, terms) in fhog.planes.iter().zip(&filter.planes) {
        for term in terms {
            add_term(plane, term, fit, &mut row_pass, &mut saliency);
        }
    }
    let area = DlibRect {
        left: first_col as i64,
        top: first_row as i64,
        right: last_col - 1,
        bottom: last_row - 1,
    };
    Some((saliency, area))
}

impl Detector for HogDetector {
    fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>> {
        Ok(self
            .run(image, self.upsample, self.adjust_threshold)
            .into_iter()
            .map(|d| d.rect.to_detection(d.score))
            .collect())
    }
}
