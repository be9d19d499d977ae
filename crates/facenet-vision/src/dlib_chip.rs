//! dlib's face chips: the 150×150 crops the dlib ResNet was trained on, cut exactly as dlib's
//! `get_face_chip_details` + `extract_image_chip` do (dlib `image_transforms/interpolation.h`,
//! `image_transforms/image_pyramid.h`), and [`DlibChipAligner`], the [`FaceAligner`] that runs the
//! 5-point [`ShapePredictor`] on a detection and cuts its chip.
//!
//! The chip geometry: dlib's mean 5-point face template, padded by `padding` on every side and scaled to
//! the chip size, is fitted to the landmarks by a least-squares similarity transform; the chip is the
//! rectangle that transform gives, turned by its angle. Sampling: when the rectangle is much larger than
//! the chip, dlib first halves the image with its 5×5 Gaussian pyramid (`pyramid_down<2>`) until one more
//! halving would leave fewer pixels than the chip, then samples bilinearly (truncating to 8 bits);
//! points outside the image are black.

use crate::{AlignedFace, BBox, Detection, Error, FaceAligner, FaceLandmarks, LandmarkScheme, Result, ShapePredictor};
use image::{Rgb, RgbImage};

/// The chip size of the dlib ResNet (`compute_face_descriptor`).
pub const DLIB_CHIP_SIZE: u32 = 150;
/// The padding around the landmark template of the dlib ResNet's chips.
pub const DLIB_CHIP_PADDING: f64 = 0.25;

/// dlib's mean face for its 5-point model, in a unit square, in [`LandmarkScheme::Dlib5`] order.
const MEAN_FACE_5: [[f64; 2]; 5] = [
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
];

/// dlib's mean face for its 68-point model, points 17–67 (x then y, unit square): what
/// `get_face_chip_details` fits a 68-point shape to, leaving out the eyebrows and the lower lip.
const MEAN_FACE_68_FROM_17: [[f64; 2]; 51] = [
    [0.000213256, 0.106454],
    [0.0752622, 0.038915],
    [0.18113, 0.0187482],
    [0.29077, 0.0344891],
    [0.393397, 0.0773906],
    [0.586856, 0.0773906],
    [0.689483, 0.0344891],
    [0.799124, 0.0187482],
    [0.904991, 0.038915],
    [0.98004, 0.106454],
    [0.490127, 0.203352],
    [0.490127, 0.307009],
    [0.490127, 0.409805],
    [0.490127, 0.515625],
    [0.36688, 0.587326],
    [0.426036, 0.609345],
    [0.490127, 0.628106],
    [0.554217, 0.609345],
    [0.613373, 0.587326],
    [0.121737, 0.216423],
    [0.187122, 0.178758],
    [0.265825, 0.179852],
    [0.334606, 0.231733],
    [0.260918, 0.245099],
    [0.182743, 0.244077],
    [0.645647, 0.231733],
    [0.714428, 0.179852],
    [0.793132, 0.178758],
    [0.858516, 0.216423],
    [0.79751, 0.244077],
    [0.719335, 0.245099],
    [0.254149, 0.780233],
    [0.340985, 0.745405],
    [0.428858, 0.727388],
    [0.490127, 0.742578],
    [0.551395, 0.727388],
    [0.639268, 0.745405],
    [0.726104, 0.780233],
    [0.642159, 0.864805],
    [0.556721, 0.902192],
    [0.490127, 0.909281],
    [0.423532, 0.902192],
    [0.338094, 0.864805],
    [0.290379, 0.784792],
    [0.428096, 0.778746],
    [0.490127, 0.785343],
    [0.552157, 0.778746],
    [0.689874, 0.784792],
    [0.553364, 0.824182],
    [0.490127, 0.831803],
    [0.42689, 0.824182],
];

/// Whether `get_face_chip_details` fits 68-point landmark `i` (17…67): not the eyebrows (17–26), not the
/// lower lip (55–59, 65–67).
fn fits_68_point(i: usize) -> bool {
    !((17..=26).contains(&i) || (55..=59).contains(&i) || (65..=67).contains(&i))
}

/// The (template point in a unit square, landmark index) pairs dlib fits for a shape of `scheme`.
fn template_pairs(scheme: LandmarkScheme) -> Option<Vec<([f64; 2], usize)>> {
    match scheme {
        LandmarkScheme::Dlib5 => Some(MEAN_FACE_5.iter().copied().zip(0..).collect()),
        LandmarkScheme::Dlib68 => Some(
            MEAN_FACE_68_FROM_17
                .iter()
                .copied()
                .zip(17..)
                .filter(|&(_, i)| fits_68_point(i))
                .collect(),
        ),
        LandmarkScheme::Mtcnn5 => None,
    }
}

/// A rectangle with real corners, as dlib's `drectangle`: `right` and `bottom` are inclusive, so the
/// width is `right − left + 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DRect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl DRect {
    /// The smallest rectangle holding `points` (dlib adds points to an empty `drectangle`).
    fn bounding(points: &[[f64; 2]]) -> Self {
        let fold = |f: fn(f64, f64) -> f64, init: f64, k: usize| points.iter().map(|p| p[k]).fold(init, f);
        Self {
            left: fold(f64::min, f64::INFINITY, 0),
            top: fold(f64::min, f64::INFINITY, 1),
            right: fold(f64::max, f64::NEG_INFINITY, 0),
            bottom: fold(f64::max, f64::NEG_INFINITY, 1),
        }
    }

    /// `centered_drect`: a `width × height` rectangle centred on `center`.
    fn centered(center: [f64; 2], width: f64, height: f64) -> Self {
        let (half_w, half_h) = ((width - 1.0) / 2.0, (height - 1.0) / 2.0);
        Self {
            left: center[0] - half_w,
            top: center[1] - half_h,
            right: center[0] + half_w,
            bottom: center[1] + half_h,
        }
    }

    fn is_empty(&self) -> bool {
        self.top > self.bottom || self.left > self.right
    }

    fn width(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.right - self.left + 1.0
        }
    }

    fn height(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.bottom - self.top + 1.0
        }
    }

    fn area(&self) -> f64 {
        self.width() * self.height()
    }

    fn center(&self) -> [f64; 2] {
        [(self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0]
    }

    fn corners(&self) -> [[f64; 2]; 4] {
        [
            [self.left, self.top],
            [self.right, self.top],
            [self.left, self.bottom],
            [self.right, self.bottom],
        ]
    }

    fn translated(&self, dx: f64, dy: f64) -> Self {
        Self {
            left: self.left + dx,
            top: self.top + dy,
            right: self.right + dx,
            bottom: self.bottom + dy,
        }
    }

    fn grown(&self, by: f64) -> Self {
        Self {
            left: self.left - by,
            top: self.top - by,
            right: self.right + by,
            bottom: self.bottom + by,
        }
    }

    fn intersect(&self, other: &Self) -> Self {
        Self {
            left: self.left.max(other.left),
            top: self.top.max(other.top),
            right: self.right.min(other.right),
            bottom: self.bottom.min(other.bottom),
        }
    }

    /// `pyramid_down<2>::rect_down`: the rectangle in the next (half-size) pyramid level.
    fn down(&self) -> Self {
        let [left, top] = point_down([self.left, self.top]);
        let [right, bottom] = point_down([self.right, self.bottom]);
        Self {
            left,
            top,
            right,
            bottom,
        }
    }

    /// The integer rectangle dlib converts this to (`std::lround` of each side).
    fn rounded(&self) -> PixelRect {
        PixelRect {
            left: self.left.round() as i64,
            top: self.top.round() as i64,
            right: self.right.round() as i64,
            bottom: self.bottom.round() as i64,
        }
    }
}

/// dlib's `rectangle`: integer sides, `right`/`bottom` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PixelRect {
    left: i64,
    top: i64,
    right: i64,
    bottom: i64,
}

impl PixelRect {
    fn width(&self) -> i64 {
        (self.right - self.left + 1).max(0)
    }

    fn height(&self) -> i64 {
        (self.bottom - self.top + 1).max(0)
    }
}

/// `pyramid_down<2>::point_down`: where a point of one level lies in the next.
fn point_down([x, y]: [f64; 2]) -> [f64; 2] {
    [x / 2.0 - 1.25, y / 2.0 - 0.75]
}

/// `rotate_point`: `p` turned by `angle` (radians) around `center`.
fn rotate_point(center: [f64; 2], [x, y]: [f64; 2], angle: f64) -> [f64; 2] {
    let (sin, cos) = angle.sin_cos();
    let (dx, dy) = (x - center[0], y - center[1]);
    [cos * dx - sin * dy + center[0], sin * dx + cos * dy + center[1]]
}

/// Where a chip is cut from its image, as dlib's `chip_details`: a rectangle in the image, turned by
/// `angle` around its centre, resampled to `rows × cols`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChipDetails {
    rect: DRect,
    angle: f64,
    rows: u32,
    cols: u32,
}

impl ChipDetails {
    /// dlib's `get_face_chip_details` for a 5- or 68-point dlib shape: the chip of `size × size` pixels
    /// with `padding` (a fraction of the template's size) around dlib's mean face.
    pub fn for_face(landmarks: &FaceLandmarks, size: u32, padding: f64) -> Result<Self> {
        let expected = match landmarks.scheme {
            LandmarkScheme::Dlib5 => 5,
            LandmarkScheme::Dlib68 => 68,
            LandmarkScheme::Mtcnn5 => 0,
        };
        let pairs = template_pairs(landmarks.scheme).filter(|_| landmarks.points.len() == expected);
        let Some(pairs) = pairs else {
            return Err(Error::Invalid(format!(
                "dlib chips need dlib's 5 or 68 landmarks, got {} {:?} points",
                landmarks.points.len(),
                landmarks.scheme
            )));
        };
        if let Some(i) = landmarks
            .points
            .iter()
            .position(|p| !(p.x.is_finite() && p.y.is_finite()))
        {
            return Err(Error::Invalid(format!(
                "dlib chip: landmark {i} ({}, {}) is not finite",
                landmarks.points[i].x, landmarks.points[i].y
            )));
        }
        if size == 0 || !padding.is_finite() || padding < 0.0 {
            return Err(Error::Invalid(format!(
                "chip size {size} and padding {padding}: need size > 0, padding ≥ 0"
            )));
        }
        let template: Vec<[f64; 2]> = pairs
            .iter()
            .map(|(p, _)| p.map(|v| (padding + v) / (2.0 * padding + 1.0) * f64::from(size)))
            .collect();
        let points: Vec<[f64; 2]> = pairs
            .iter()
            .map(|&(_, i)| [f64::from(landmarks.points[i].x), f64::from(landmarks.points[i].y)])
            .collect();
        Ok(Self::from_similarity(&template, &points, size, size))
    }

    /// dlib's `chip_details(chip_points, img_points, dims)`: the similarity transform from chip to image
    /// points gives the angle, the scale, and (through the chip's centre) the rectangle.
    fn from_similarity(chip_points: &[[f64; 2]], image_points: &[[f64; 2]], rows: u32, cols: u32) -> Self {
        let ([[a, _], [b, _]], shift) = similarity_transform(chip_points, image_points);
        let angle = b.atan2(a);
        let scale = a.hypot(b);
        let (cx, cy) = (f64::from(cols) / 2.0, f64::from(rows) / 2.0);
        let center = [a * cx - b * cy + shift[0], b * cx + a * cy + shift[1]];
        let rect = DRect::centered(center, f64::from(cols) * scale, f64::from(rows) * scale);
        Self {
            rect,
            angle,
            rows,
            cols,
        }
    }

    fn pixel_count(&self) -> f64 {
        f64::from(self.rows) * f64::from(self.cols)
    }
}

/// The least-squares similarity transform (scale · rotation, then shift) taking `from` onto `to`
/// (Umeyama 1991, dlib's `find_similarity_transform`; in 2-D without reflection its SVD solution has this
/// closed form). Returns the 2×2 matrix and the shift.
fn similarity_transform(from: &[[f64; 2]], to: &[[f64; 2]]) -> ([[f64; 2]; 2], [f64; 2]) {
    let n = from.len() as f64;
    let mean = |ps: &[[f64; 2]]| {
        ps.iter()
            .fold([0.0, 0.0], |acc, p| [acc[0] + p[0] / n, acc[1] + p[1] / n])
    };
    let (mf, mt) = (mean(from), mean(to));
    let (mut dot, mut cross, mut spread) = (0.0, 0.0, 0.0);
    for (f, t) in from.iter().zip(to) {
        let (ux, uy, vx, vy) = (f[0] - mf[0], f[1] - mf[1], t[0] - mt[0], t[1] - mt[1]);
        dot += ux * vx + uy * vy;
        cross += ux * vy - uy * vx;
        spread += ux * ux + uy * uy;
    }
    let (a, b) = if spread == 0.0 {
        (1.0, 0.0)
    } else {
        (dot / spread, cross / spread)
    };
    let shift = [mt[0] - (a * mf[0] - b * mf[1]), mt[1] - (b * mf[0] + a * mf[1])];
    ([[a, -b], [b, a]], shift)
}

/// dlib's `extract_image_chip` with bilinear interpolation: the chip `details` describes, cut from `image`.
pub fn extract_image_chip(image: &RgbImage, details: &ChipDetails) -> RgbImage {
    if details.angle == 0.0
        && f64::from(details.rows) == details.rect.height()
        && f64::from(details.cols) == details.rect.width()
    {
        return copy_chip(image, details.rect.rounded());
    }
    let depth = pyramid_depth(details);
    let bounds = source_bounds(image, details, depth);
    let mut source = crop(image, bounds);
    let mut rect = details.rect.translated(-bounds.left as f64, -bounds.top as f64);
    while rect.down().area() > details.pixel_count() {
        source = pyramid_down(&source);
        rect = rect.down();
    }
    // The affine map from chip pixels to `source` pixels: chip corners to the turned rectangle's corners.
    let center = rect.center();
    let [tl, tr, bl, _] = rect.corners().map(|p| rotate_point(center, p, details.angle));
    let (last_col, last_row) = (f64::from(details.cols.max(2) - 1), f64::from(details.rows.max(2) - 1));
    let along_x = [(tr[0] - tl[0]) / last_col, (tr[1] - tl[1]) / last_col];
    let along_y = [(bl[0] - tl[0]) / last_row, (bl[1] - tl[1]) / last_row];
    RgbImage::from_fn(details.cols, details.rows, |c, r| {
        let (c, r) = (f64::from(c), f64::from(r));
        let x = tl[0] + along_x[0] * c + along_y[0] * r;
        let y = tl[1] + along_x[1] * c + along_y[1] * r;
        bilinear(&source, x, y)
    })
}

/// How many pyramid levels dlib builds for one chip (it may use fewer; see [`extract_image_chip`]).
fn pyramid_depth(details: &ChipDetails) -> u32 {
    let mut rect = details.rect.down();
    let mut depth = 0;
    while rect.area() > details.pixel_count() {
        rect = rect.down();
        depth += 1;
    }
    depth
}

/// The part of the image dlib crops before building the pyramid: the turned chip rectangle grown by a
/// margin for the filter (2 px, doubled plus 2 per level), clipped to the image, rounded to pixels.
fn source_bounds(image: &RgbImage, details: &ChipDetails, depth: u32) -> PixelRect {
    let grow = (0..depth).fold(2.0, |g, _| g * 2.0 + 2.0);
    let center = details.rect.center();
    let turned = DRect::bounding(&details.rect.corners().map(|p| rotate_point(center, p, details.angle)));
    let whole = DRect {
        left: 0.0,
        top: 0.0,
        right: f64::from(image.width()) - 1.0,
        bottom: f64::from(image.height()) - 1.0,
    };
    turned.grown(grow).intersect(&whole).rounded()
}

/// The pixels of `image` inside `rect` (which lies within the image or is empty).
fn crop(image: &RgbImage, rect: PixelRect) -> RgbImage {
    let (w, h) = (rect.width() as u32, rect.height() as u32);
    RgbImage::from_fn(w, h, |x, y| *image.get_pixel(rect.left as u32 + x, rect.top as u32 + y))
}

/// dlib's `basic_extract_image_chip`: a plain copy of `rect`, black where it leaves the image.
fn copy_chip(image: &RgbImage, rect: PixelRect) -> RgbImage {
    RgbImage::from_fn(rect.width() as u32, rect.height() as u32, |c, r| {
        let (x, y) = (rect.left + i64::from(c), rect.top + i64::from(r));
        match (u32::try_from(x), u32::try_from(y)) {
            (Ok(x), Ok(y)) if x < image.width() && y < image.height() => *image.get_pixel(x, y),
            _ => Rgb([0, 0, 0]),
        }
    })
}

/// dlib's `interpolate_bilinear` at (x, y), truncated to 8 bits; black unless all four neighbours exist.
fn bilinear(image: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    let (left, top) = (x.floor(), y.floor());
    if !(left >= 0.0 && top >= 0.0 && left + 1.0 < f64::from(image.width()) && top + 1.0 < f64::from(image.height())) {
        return Rgb([0, 0, 0]);
    }
    let (fx, fy) = (x - left, y - top);
    let (l, t) = (left as u32, top as u32);
    let [tl, tr, bl, br] = [(l, t), (l + 1, t), (l, t + 1), (l + 1, t + 1)].map(|(x, y)| image.get_pixel(x, y).0);
    Rgb(std::array::from_fn(|k| {
        let v = |p: [u8; 3]| f64::from(p[k]);
        let value = (1.0 - fy) * ((1.0 - fx) * v(tl) + fx * v(tr)) + fy * ((1.0 - fx) * v(bl) + fx * v(br));
        value as u8
    }))
}

/// dlib's `pyramid_down<2>` for RGB images: a separable [1 4 6 4 1]² / 256 filter keeping every other
/// row and column; `(w − 3) / 2 × (h − 3) / 2` pixels (none for images of 8 pixels or fewer a side).
fn pyramid_down(image: &RgbImage) -> RgbImage {
    let (w, h) = image.dimensions();
    if w <= 8 || h <= 8 {
        return RgbImage::new(0, 0);
    }
    let (out_w, out_h) = ((w - 3) / 2, (h - 3) / 2);
    // Horizontal pass: every row of the input, every other column, sums of 16 × 255 at most.
    let rows: Vec<[u32; 3]> = (0..h)
        .flat_map(|y| (0..out_w).map(move |c| (y, 2 * c)))
        .map(|(y, x)| weighted_sum(|k| image.get_pixel(x + k, y).0.map(u32::from)))
        .collect();
    RgbImage::from_fn(out_w, out_h, |c, r| {
        let sum = weighted_sum(|k| rows[((2 * r + k) * out_w + c) as usize]);
        Rgb(sum.map(|v| (v / 256) as u8))
    })
}

/// `p(0) + 4 p(1) + 6 p(2) + 4 p(3) + p(4)`, per channel.
fn weighted_sum(p: impl Fn(u32) -> [u32; 3]) -> [u32; 3] {
    const WEIGHTS: [u32; 5] = [1, 4, 6, 4, 1];
    (0..5u32).fold([0; 3], |acc, k| {
        let v = p(k);
        std::array::from_fn(|i| acc[i] + WEIGHTS[k as usize] * v[i])
    })
}

/// dlib's 150×150 chip (padding 0.25) for a face with dlib's 5 or 68 landmarks: what the dlib ResNet reads.
pub fn dlib_face_chip(image: &RgbImage, landmarks: &FaceLandmarks) -> Result<RgbImage> {
    let details = ChipDetails::for_face(landmarks, DLIB_CHIP_SIZE, DLIB_CHIP_PADDING)?;
    Ok(extract_image_chip(image, &details))
}

/// How a detector's face box becomes the box dlib's predictor expects. dlib's predictor was trained on
/// its HOG detector's boxes: squares around eyes, nose and mouth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoxToDlib {
    /// The boxes are dlib HOG boxes already.
    Unchanged,
    /// A square of side `scale · width`, centred `shift_down · width` below the box's centre.
    SquareFromWidth { scale: f32, shift_down: f32 },
}

impl BoxToDlib {
    /// For MTCNN boxes (facenet-pytorch defaults), which are taller than dlib's (brow to chin) and sit
    /// higher. Fitted with dlib on the four full-face asset photos (obama, obama2, obama3, biden): dlib's
    /// landmarks from the mapped MTCNN box against dlib's landmarks from its HOG box. Unmapped MTCNN boxes:
    /// mean landmark error 0.86 % of the eye distance, descriptor 0.047–0.095 (L2) from the HOG-box
    /// descriptor; mapped: 0.33 %, 0.025–0.063 (a least-squares fit of the boxes themselves, 1.072 and
    /// 0.059, agrees). scripts/fit_mtcnn_to_dlib_boxes.py reproduces the fit.
    pub const MTCNN: Self = Self::SquareFromWidth {
        scale: 1.075,
        shift_down: 0.05,
    };

    /// The mapped box; computed in f64, so a box near ±`f32::MAX` saturates to ±∞ instead of ∞ − ∞ = NaN.
    pub fn apply(&self, bbox: &BBox) -> BBox {
        match *self {
            Self::Unchanged => *bbox,
            Self::SquareFromWidth { scale, shift_down } => {
                let [x1, y1, x2, y2] = bbox.to_array().map(f64::from);
                let width = x2 - x1;
                let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0 + f64::from(shift_down) * width);
                let half = f64::from(scale) * width / 2.0;
                BBox::new(
                    (cx - half) as f32,
                    (cy - half) as f32,
                    (cx + half) as f32,
                    (cy + half) as f32,
                )
            }
        }
    }
}

/// The dlib ResNet's aligner: dlib's 5-point predictor on the (mapped) detection box, then dlib's
/// 150×150 chip with padding 0.25.
#[derive(Debug, Clone)]
pub struct DlibChipAligner {
    predictor: ShapePredictor,
    boxes: BoxToDlib,
}

impl DlibChipAligner {
    /// `boxes` says how the detector's boxes map to dlib's ([`BoxToDlib::MTCNN`] for MTCNN).
    pub fn new(predictor: ShapePredictor, boxes: BoxToDlib) -> Self {
        Self { predictor, boxes }
    }

    /// dlib's landmarks for a detection (the ones the chip is cut around).
    pub fn landmarks(&self, image: &RgbImage, detection: &Detection) -> FaceLandmarks {
        self.predictor.landmarks(image, &self.boxes.apply(&detection.bbox))
    }
}

impl FaceAligner for DlibChipAligner {
    fn align(&self, image: &RgbImage, detection: &Detection) -> Result<AlignedFace> {
        let landmarks = self.landmarks(image, detection);
        Ok(AlignedFace {
            image: dlib_face_chip(image, &landmarks)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    fn level_face(scale: f32) -> FaceLandmarks {
        let points = MEAN_FACE_5
            .iter()
            .map(|p| Point::new(100.0 + scale * p[0] as f32, 80.0 + scale * p[1] as f32))
            .collect();
        FaceLandmarks {
            scheme: LandmarkScheme::Dlib5,
            points,
        }
    }

    #[test]
    fn an_upright_face_gives_an_unturned_square_around_it() {
        let details = ChipDetails::for_face(&level_face(100.0), 150, 0.25).unwrap();
        assert!(details.angle.abs() < 1e-6);
        // The template spans 1 / 1.5 of the chip: 100 px of face → a 150 px rectangle.
        assert!(
            (details.rect.width() - 150.0).abs() < 1e-3 && (details.rect.height() - 150.0).abs() < 1e-3,
            "{details:?}"
        );
        // Centred on the template's centre (150, 130), 149 px from left edge to right edge.
        assert!(
            (details.rect.left - 75.5).abs() < 1e-4 && (details.rect.top - 55.5).abs() < 1e-4,
            "{details:?}"
        );
    }

    #[test]
    fn large_faces_go_through_the_pyramid_and_small_ones_do_not() {
        let small = ChipDetails::for_face(&level_face(100.0), 150, 0.25).unwrap();
        // A 300 px rectangle halves to 150.5 px, still over the chip's 150 px: one level.
        let large = ChipDetails::for_face(&level_face(200.0), 150, 0.25).unwrap();
        let larger = ChipDetails::for_face(&level_face(400.0), 150, 0.25).unwrap();
        assert_eq!([small, large, larger].map(|d| pyramid_depth(&d)), [0, 1, 2]);
    }

    #[test]
    fn pyramid_down_filters_and_halves() {
        let flat = RgbImage::from_pixel(13, 11, Rgb([200, 100, 7]));
        let down = pyramid_down(&flat);
        assert_eq!(down.dimensions(), (5, 4));
        // A flat image stays flat: 256 · v / 256.
        assert!(down.pixels().all(|p| p.0 == [200, 100, 7]));
        assert_eq!(pyramid_down(&RgbImage::new(8, 100)).dimensions(), (0, 0));
    }

    #[test]
    fn bilinear_truncates_and_is_black_at_the_border() {
        let mut image = RgbImage::new(2, 2);
        image.put_pixel(1, 0, Rgb([255, 255, 255]));
        assert_eq!(bilinear(&image, 0.5, 0.0).0, [127, 127, 127]);
        assert_eq!(
            bilinear(&image, 1.0, 0.0).0,
            [0, 0, 0],
            "needs the right neighbour inside the image"
        );
    }

    #[test]
    fn a_68_point_face_on_the_mean_template_gives_the_same_square() {
        let points = (0..68)
            .map(|i| {
                let [x, y] = if i < 17 {
                    [0.5, 0.5]
                } else {
                    MEAN_FACE_68_FROM_17[i - 17]
                };
                Point::new(100.0 + 100.0 * x as f32, 80.0 + 100.0 * y as f32)
            })
            .collect();
        let face = FaceLandmarks {
            scheme: LandmarkScheme::Dlib68,
            points,
        };
        let details = ChipDetails::for_face(&face, 150, 0.25).unwrap();
        assert!(details.angle.abs() < 1e-6, "{details:?}");
        assert!((details.rect.width() - 150.0).abs() < 1e-3, "{details:?}");
        assert!(
            (details.rect.left - 75.5).abs() < 1e-3 && (details.rect.top - 55.5).abs() < 1e-3,
            "{details:?}"
        );
        let mut short = face;
        short.points.truncate(67);
        assert!(matches!(
            ChipDetails::for_face(&short, 150, 0.25),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn other_landmark_schemes_are_refused() {
        let mut face = level_face(100.0);
        face.scheme = LandmarkScheme::Mtcnn5;
        assert!(matches!(
            ChipDetails::for_face(&face, 150, 0.25),
            Err(Error::Invalid(_))
        ));
    }
}
