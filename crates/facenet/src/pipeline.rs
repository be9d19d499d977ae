//! Building a [`FacePipeline`] from names: which detector finds faces and which model embeds them. The
//! model decides the alignment (davidsandberg's margin crop for the pretrained FaceNet, dlib chips for the
//! dlib ResNet, the checkpoint's own crop for a trained FaceNet).
//! Every CLI command that reads photos goes through [`build_pipeline`].

use facenet_assets::Cache;
use facenet_kernels::device::{Device, DeviceChoice, default_device, device_for, is_flex};
use facenet_nn::Result;
use facenet_nn::dlib::{DlibResNet, SHAPE_PREDICTOR_ASSET, dlib_stages};
use facenet_nn::embedder::FaceNetEmbedder;
use facenet_nn::mmod::MmodDetector;
use facenet_nn::models::mtcnn::{Mtcnn, MtcnnConfig};
use facenet_nn::pretrained::PretrainedFaceNet;
use facenet_vision::align::margin_crop::MarginCropAligner;
use facenet_vision::hog::HogDetector;
use facenet_vision::{
    BoxToDlib, Detector, DlibChipAligner, Embedder, FaceAligner, FacePipeline, LoadOptions, ShapePredictor,
};
use std::path::PathBuf;
use std::str::FromStr;

/// Which embedding model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// davidsandberg's pretrained FaceNet 20180408-102900 (Inception-ResNet-v1, 512-D; default): MTCNN box
    /// → box + 22 px a side, clipped → 160×160 (OpenCV bilinear) → (x − 127.5)/128 → unit vector.
    FaceNet,
    /// The pretrained dlib ResNet.
    Dlib,
    /// A FaceNet checkpoint (safetensors + JSON config) trained by `facenet train`.
    Checkpoint(PathBuf),
}

impl FromStr for ModelSpec {
    type Err = String;

    /// `facenet`, `dlib`, or the path of a checkpoint.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "facenet" => Ok(ModelSpec::FaceNet),
            "dlib" => Ok(ModelSpec::Dlib),
            "" => Err("empty model name".into()),
            path => Ok(ModelSpec::Checkpoint(path.into())),
        }
    }
}

/// Which face detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectorSpec {
    /// MTCNN with 5 landmarks (default).
    #[default]
    Mtcnn,
    /// dlib's HOG frontal face detector after `upsample` 2× upsamplings (face_recognition's default: 1).
    Hog { upsample: u32 },
    /// dlib's MMOD CNN face detector after `upsample` 2× upsamplings (face_recognition's `model="cnn"`).
    Cnn { upsample: u32 },
}

impl FromStr for DetectorSpec {
    type Err = String;

    /// `mtcnn`, `hog` or `cnn` (both dlib detectors upsampled once, as face_recognition does).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mtcnn" => Ok(DetectorSpec::Mtcnn),
            "hog" => Ok(DetectorSpec::Hog { upsample: 1 }),
            "cnn" => Ok(DetectorSpec::Cnn { upsample: 1 }),
            other => Err(format!("unknown detector `{other}` (mtcnn, hog or cnn)")),
        }
    }
}

/// Everything [`build_pipeline`] needs.
#[derive(Debug, Clone)]
pub struct PipelineSpec {
    pub model: ModelSpec,
    pub detector: DetectorSpec,
    pub load: LoadOptions,
    /// Where the networks run (`--device`); the CPU by default.
    pub device: DeviceChoice,
}

impl Default for PipelineSpec {
    fn default() -> Self {
        Self {
            model: ModelSpec::FaceNet,
            detector: DetectorSpec::default(),
            load: LoadOptions::default(),
            device: DeviceChoice::default(),
        }
    }
}

/// Builds the pipeline `spec` names on the device it names, loading weights from `cache` (fetching them if
/// missing).
pub fn build_pipeline(spec: &PipelineSpec, cache: &Cache) -> Result<FacePipeline> {
    let device = device_for(spec.device)?;
    match &spec.model {
        ModelSpec::Checkpoint(path) => {
            // load the model first: a bad checkpoint is reported before any detector weights are fetched
            let (embedder, aligner) = checkpoint_stages(path, &device)?;
            let detector = build_detector(spec.detector, &device, cache)?;
            Ok(FacePipeline::new(detector, aligner, embedder).with_load_options(spec.load))
        }
        ModelSpec::FaceNet => {
            let embedder = build_embedder(&ModelSpec::FaceNet, &device, cache)?;
            let detector = build_detector(spec.detector, &device, cache)?;
            let aligner = MarginCropAligner::facenet();
            Ok(FacePipeline::new(detector, Box::new(aligner), embedder).with_load_options(spec.load))
        }
        ModelSpec::Dlib => {
            let detector = build_detector(spec.detector, &device, cache)?;
            let (aligner, embedder) = dlib_stages(cache, dlib_boxes_for(spec.detector), &device)?;
            Ok(FacePipeline::new(detector, Box::new(aligner), Box::new(embedder)).with_load_options(spec.load))
        }
    }
}

/// The aligner `model` embeds through, for `detector`'s boxes, without loading the model: `facenet
/// detect --crop --for-model` writes with it exactly the chips `facenet embed --aligned --model` takes.
pub fn build_aligner(model: &ModelSpec, detector: DetectorSpec, cache: &Cache) -> Result<Box<dyn FaceAligner>> {
    match model {
        ModelSpec::FaceNet => Ok(Box::new(MarginCropAligner::facenet())),
        ModelSpec::Dlib => {
            let predictor = ShapePredictor::from_file(&cache.ensure(SHAPE_PREDICTOR_ASSET)?)?;
            Ok(Box::new(DlibChipAligner::new(predictor, dlib_boxes_for(detector))))
        }
        ModelSpec::Checkpoint(path) => Ok(checkpoint_stages(path, &default_device())?.1),
    }
}

/// The embedding model alone on `device`, for inputs that are already aligned chips (`facenet embed
/// --aligned`). The pretrained FaceNet runs its frozen NHWC form on the CPU and its burn module elsewhere.
pub fn build_embedder(model: &ModelSpec, device: &Device, cache: &Cache) -> Result<Box<dyn Embedder>> {
    match model {
        ModelSpec::FaceNet if is_flex(device) => Ok(Box::new(PretrainedFaceNet::load(cache)?)),
        ModelSpec::FaceNet => Ok(Box::new(FaceNetEmbedder::pretrained(cache, device)?)),
        ModelSpec::Dlib => Ok(Box::new(DlibResNet::load_on(cache, device)?)),
        ModelSpec::Checkpoint(path) => Ok(Box::new(FaceNetEmbedder::load(path, device)?)),
    }
}

/// The embedder (on `device`) and aligner of a FaceNet checkpoint: the crop and preprocessing it was
/// trained with.
pub fn checkpoint_stages(path: &std::path::Path, device: &Device) -> Result<(Box<dyn Embedder>, Box<dyn FaceAligner>)> {
    let embedder = FaceNetEmbedder::load(path, device)?;
    let aligner = embedder.aligner()?;
    Ok((Box::new(embedder), Box::new(aligner)))
}

/// How each detector's boxes map to the dlib HOG boxes dlib's predictor was trained on.
fn dlib_boxes_for(detector: DetectorSpec) -> BoxToDlib {
    match detector {
        DetectorSpec::Mtcnn => BoxToDlib::MTCNN,
        // face_recognition hands the CNN's boxes to the predictors unchanged too.
        DetectorSpec::Hog { .. } | DetectorSpec::Cnn { .. } => BoxToDlib::Unchanged,
    }
}

/// Builds the detector `spec` names, with its default parameters, loading weights from `cache`
/// (fetched and converted on first use). MTCNN runs on `device`; dlib's HOG and MMOD detectors on the CPU.
pub fn build_detector(spec: DetectorSpec, device: &Device, cache: &Cache) -> Result<Box<dyn Detector>> {
    match spec {
        DetectorSpec::Mtcnn => Ok(Box::new(Mtcnn::pretrained(cache, MtcnnConfig::new(), device)?)),
        DetectorSpec::Hog { upsample } => {
            let mut hog = HogDetector::from_dlib_header(&cache.ensure("frontal_face_detector.h")?)?;
            hog.upsample = upsample;
            Ok(Box::new(hog))
        }
        DetectorSpec::Cnn { upsample } => {
            let mut cnn = MmodDetector::load(cache)?;
            cnn.upsample = upsample;
            Ok(Box::new(cnn))
        }
    }
}
