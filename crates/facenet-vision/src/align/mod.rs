//! Alignment: the one [`Aligner`] every model uses to cut faces out of photos.
//!
//! - [`AlignMode::Similarity`]: least-squares similarity from MTCNN's 5 landmarks to a canonical
//!   template, at any output size (96, 112, 150, 160, 165, 220, 224, 140×116, …), with a margin
//!   ([`similarity`] documents the template and the margin).
//! - [`AlignMode::Tight`]: the FaceNet paper's tight crop without alignment, box + margin, resized and
//!   centre-cropped as davidsandberg/facenet does ([`tight`]).
//! - [`AlignMode::External`]: the hook for aligners written elsewhere. The dlib ResNet needs dlib's
//!   face chips (150×150, padding 0.25, from dlib's own 5-point landmarks); they come from
//!   `facenet_vision::dlib_chip` / `DlibChipAligner` (branch `dlib`), which is plugged in here as
//!   `Aligner::external(Box::new(DlibChipAligner::…))`, so that every model still goes through `Aligner`.
//!
//! - [`margin_crop`]: davidsandberg's crop for his pretrained FaceNet (box + 22 px a side, clipped,
//!   resized to 160×160 by [`cv_linear`], OpenCV's fixed-point bilinear resize reproduced exactly).
//!
//! [`dataset`] crops whole folder-per-identity datasets with any aligner (`align_dataset_mtcnn.py`).
//!
//! All modes sample bilinearly ([`warp`]); pixels outside the photo are black, so faces at the border
//! never fail.

pub mod cv_linear;
pub mod dataset;
pub mod margin_crop;
pub mod similarity;
pub mod tight;
pub mod warp;

use crate::{AlignedFace, Detection, Error, FaceAligner, Result};
use image::RgbImage;

/// How faces are cut out.
pub enum AlignMode {
    /// Similarity-aligned to the 5-point template; `margin` is the fraction of the short side left on
    /// each side of the template square (0 = the ArcFace 112×112 layout).
    Similarity { margin: f64 },
    /// Box grown by `margin` pixels in total, resized to `resize`, centre-cropped to the output size.
    Tight { margin: f32, resize: (u32, u32) },
    /// Another aligner (dlib chips), used as it is; it decides its own output size.
    External(Box<dyn FaceAligner>),
}

impl std::fmt::Debug for AlignMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AlignMode::Similarity { margin } => f.debug_struct("Similarity").field("margin", margin).finish(),
            AlignMode::Tight { margin, resize } => f
                .debug_struct("Tight")
                .field("margin", margin)
                .field("resize", resize)
                .finish(),
            AlignMode::External(_) => f.write_str("External"),
        }
    }
}

/// Cuts detected faces out of photos at one output size, in one [`AlignMode`].
#[derive(Debug)]
pub struct Aligner {
    mode: AlignMode,
    width: u32,
    height: u32,
}

impl Aligner {
    /// Similarity alignment to `width × height` with `margin` (see [`AlignMode::Similarity`]).
    pub fn similarity(width: u32, height: u32, margin: f64) -> Result<Self> {
        if !(0.0..0.5).contains(&margin) {
            return Err(Error::Invalid(format!("alignment margin {margin} must be in [0, 0.5)")));
        }
        Self::sized(AlignMode::Similarity { margin }, width, height)
    }

    /// The tight crop: box + `margin` pixels, resized to `resize × resize`, centre crop `size × size`.
    pub fn tight(size: u32, margin: f32, resize: u32) -> Result<Self> {
        if resize < size || !margin.is_finite() {
            return Err(Error::Invalid(format!(
                "tight crop: resize {resize} must be ≥ size {size}, margin {margin} finite"
            )));
        }
        Self::sized(
            AlignMode::Tight {
                margin,
                resize: (resize, resize),
            },
            size,
            size,
        )
    }

    /// davidsandberg/facenet's preprocessing: margin 44 at 182, centre crop 160.
    pub fn davidsandberg() -> Self {
        Self {
            mode: AlignMode::Tight {
                margin: 44.0,
                resize: (182, 182),
            },
            width: 160,
            height: 160,
        }
    }

    /// An aligner written elsewhere (the dlib chip aligner), behind the same type.
    pub fn external(aligner: Box<dyn FaceAligner>) -> Self {
        Self {
            mode: AlignMode::External(aligner),
            width: 0,
            height: 0,
        }
    }

    fn sized(mode: AlignMode, width: u32, height: u32) -> Result<Self> {
        if width == 0 || height == 0 || width > 4096 || height > 4096 {
            return Err(Error::Invalid(format!(
                "alignment size {width}×{height} must be 1…4096 on each side"
            )));
        }
        Ok(Self { mode, width, height })
    }

    pub fn mode(&self) -> &AlignMode {
        &self.mode
    }

    /// The crop of `detection` from `image`.
    pub fn crop(&self, image: &RgbImage, detection: &Detection) -> Result<RgbImage> {
        match &self.mode {
            AlignMode::Similarity { margin } => {
                let landmarks = detection.landmarks.as_ref().ok_or_else(|| {
                    Error::Invalid("similarity alignment needs landmarks; the detection has none".into())
                })?;
                similarity::align_similarity(
                    image,
                    landmarks.scheme,
                    &landmarks.points,
                    self.width,
                    self.height,
                    *margin,
                )
            }
            AlignMode::Tight { margin, resize } => {
                tight::align_tight(image, &detection.bbox, *margin, *resize, self.width, self.height)
            }
            AlignMode::External(aligner) => aligner.align(image, detection).map(|face| face.image),
        }
    }
}

impl FaceAligner for Aligner {
    fn align(&self, image: &RgbImage, detection: &Detection) -> Result<AlignedFace> {
        self.crop(image, detection).map(|image| AlignedFace { image })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BBox, FaceLandmarks, LandmarkScheme, Point};
    use image::Rgb;

    fn detection_with(points: [[f64; 2]; 5]) -> Detection {
        Detection {
            bbox: BBox::new(0.0, 0.0, 10.0, 10.0),
            score: 1.0,
            landmarks: Some(FaceLandmarks {
                scheme: LandmarkScheme::Mtcnn5,
                points: points.iter().map(|p| Point::new(p[0] as f32, p[1] as f32)).collect(),
            }),
        }
    }

    /// Paints a 3×3 bright dot at each point on black.
    fn dots(width: u32, height: u32, points: &[[f64; 2]]) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let near = points
                .iter()
                .any(|p| (x as f64 - p[0].round()).abs() <= 1.0 && (y as f64 - p[1].round()).abs() <= 1.0);
            if near { Rgb([255; 3]) } else { Rgb([0; 3]) }
        })
    }

    #[test]
    fn template_landmarks_land_on_the_template_at_every_size() {
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
            let margin = 0.1;
            let target = similarity::template(w, h, margin);
            // The photo: the template moved by a similarity (scale 2.3, rotated 0.3 rad, shifted).
            let (s, a) = (2.3f64, 0.3f64);
            let photo_points = target.map(|[x, y]| {
                [
                    s * (a.cos() * x - a.sin() * y) + 140.0,
                    s * (a.sin() * x + a.cos() * y) + 60.0,
                ]
            });
            let photo = dots(900, 900, &photo_points);
            let crop = Aligner::similarity(w, h, margin)
                .unwrap()
                .crop(&photo, &detection_with(photo_points))
                .unwrap();
            assert_eq!(crop.dimensions(), (w, h));
            for p in target {
                let v = crop.get_pixel(p[0].round() as u32, p[1].round() as u32).0[0];
                assert!(v > 100, "{w}×{h}: no dot at template point {p:?} ({v})");
            }
        }
    }

    #[test]
    fn faces_at_the_border_do_not_panic() {
        let photo = RgbImage::from_pixel(30, 20, Rgb([50; 3]));
        let det = detection_with([[-40.0, -30.0], [-5.0, -30.0], [-20.0, -10.0], [-35.0, 5.0], [-8.0, 5.0]]);
        for aligner in [
            Aligner::similarity(112, 112, 0.0).unwrap(),
            Aligner::tight(160, 32.0, 160).unwrap(),
            Aligner::davidsandberg(),
        ] {
            let _ = aligner.crop(&photo, &det);
        }
        let on_edge = Detection {
            bbox: BBox::new(25.0, 15.0, 45.0, 35.0),
            ..det
        };
        assert_eq!(
            Aligner::davidsandberg().crop(&photo, &on_edge).unwrap().dimensions(),
            (160, 160)
        );
    }

    #[test]
    fn invalid_settings_are_errors() {
        assert!(Aligner::similarity(0, 112, 0.0).is_err());
        assert!(Aligner::similarity(112, 112, 0.7).is_err());
        assert!(Aligner::tight(160, 44.0, 100).is_err());
        let no_landmarks = Detection {
            bbox: BBox::new(0.0, 0.0, 5.0, 5.0),
            score: 1.0,
            landmarks: None,
        };
        assert!(
            Aligner::similarity(112, 112, 0.0)
                .unwrap()
                .crop(&RgbImage::new(8, 8), &no_landmarks)
                .is_err()
        );
    }
}
