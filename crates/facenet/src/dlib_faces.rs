//! face_recognition 1.3.0's operations (ageitgey/face_recognition, `face_recognition/api.py`) over dlib's
//! models ported to Rust: face locations from dlib's HOG detector (`get_frontal_face_detector`) or its
//! MMOD CNN detector (`cnn_face_detection_model_v1`), 5- or
//! 68-point landmarks on given boxes (`shape_predictor`), and the dlib ResNet's 128-D descriptors of the
//! chips those landmarks give (`face_recognition_model_v1.compute_face_descriptor`, one jitter).
//! The Python package's `facenet.face_recognition` is a thin layer over [`DlibFaces`].

use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_nn::Result;
use facenet_nn::dlib::{DlibResNet, SHAPE_PREDICTOR_ASSET};
use facenet_nn::mmod::{MmodDetection, MmodDetector};
use facenet_vision::hog::{HogDetection, HogDetector};
use facenet_vision::{AlignedFace, BBox, FaceLandmarks, RgbImage, ShapePredictor, dlib_face_chip};
use std::str::FromStr;

/// dlib's 68-point predictor (face_recognition's "large" landmark model).
pub const SHAPE_PREDICTOR_68_ASSET: &str = "shape_predictor_68_face_landmarks.dat";
/// dlib's HOG detector, read from dlib's own source header.
pub const HOG_DETECTOR_ASSET: &str = "frontal_face_detector.h";

/// face_recognition's landmark models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandmarkModel {
    /// dlib's 5-point predictor (face_recognition's encoding default).
    Small,
    /// dlib's 68-point predictor (face_recognition's landmark default).
    Large,
}

impl FromStr for LandmarkModel {
    type Err = String;

    /// `small` or `large`, as face_recognition names them.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "small" => Ok(Self::Small),
            "large" => Ok(Self::Large),
            other => Err(format!(
                "invalid landmarks model type `{other}`: supported models are ['small', 'large']"
            )),
        }
    }
}

/// dlib's two detectors, both shape predictors and the dlib ResNet, loaded once.
pub struct DlibFaces {
    hog: HogDetector,
    cnn: MmodDetector,
    small: ShapePredictor,
    large: ShapePredictor,
    resnet: DlibResNet,
}

impl DlibFaces {
    /// Loads the five dlib models from `cache` (fetching them if missing).
    pub fn load(cache: &Cache) -> Result<Self> {
        Ok(Self {
            hog: HogDetector::from_dlib_header(&cache.ensure(HOG_DETECTOR_ASSET)?)?,
            cnn: MmodDetector::load(cache)?,
            small: ShapePredictor::from_file(&cache.ensure(SHAPE_PREDICTOR_ASSET)?)?,
            large: ShapePredictor::from_file(&cache.ensure(SHAPE_PREDICTOR_68_ASSET)?)?,
            resnet: DlibResNet::load(cache)?,
        })
    }

    /// dlib's HOG detections after `upsample` 2× upsamplings, in dlib's order (highest score first):
    /// face_recognition's `_raw_face_locations(img, upsample, "hog")`.
    pub fn hog_locations(&self, image: &RgbImage, upsample: u32) -> Vec<HogDetection> {
        self.hog.run(image, upsample, self.hog.adjust_threshold)
    }

    /// dlib's MMOD CNN detections after `upsample` 2× upsamplings, in dlib's order (highest confidence
    /// first): face_recognition's `_raw_face_locations(img, upsample, "cnn")`.
    pub fn cnn_locations(&self, image: &RgbImage, upsample: u32) -> Vec<MmodDetection> {
        self.cnn.run(image, upsample, self.cnn.adjust_threshold)
    }

    /// The `model` predictor's landmarks for the face in `bbox` (dlib's inclusive box corners).
    pub fn landmarks(&self, image: &RgbImage, bbox: &BBox, model: LandmarkModel) -> FaceLandmarks {
        match model {
            LandmarkModel::Small => self.small.landmarks(image, bbox),
            LandmarkModel::Large => self.large.landmarks(image, bbox),
        }
    }

    /// The dlib ResNet's raw 128-D descriptor of each face's 150×150 chip (cut around its 5 or 68
    /// landmarks), in order: face_recognition's `face_encodings` with `num_jitters=1`.
    pub fn encodings(&self, image: &RgbImage, faces: &[FaceLandmarks]) -> Result<Vec<Embedding>> {
        let chips = faces
            .iter()
            .map(|landmarks| {
                Ok(AlignedFace {
                    image: dlib_face_chip(image, landmarks)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.resnet.descriptors(&chips)
    }
}
