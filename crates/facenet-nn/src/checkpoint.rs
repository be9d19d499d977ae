//! FaceNet checkpoints: a directory with `model.safetensors` (the weights, batch-norm statistics
//! included) and `config.json` ([`CheckpointConfig`]: architecture, input size, embedding size,
//! preprocessing, alignment, training step, id, verification threshold and the ids of the models its
//! embeddings are compatible with), so a checkpoint can be used from its directory alone.
//!
//! [`load_checkpoint`] refuses, with an error naming the file, a config it cannot read, weights that do not
//! match the config (missing, extra or wrongly shaped tensors) and truncated or corrupt weight files.

use crate::models::{Arch, FaceNet, FaceNetConfig};
use crate::preprocess::Preprocessing;
use crate::spec::InputSize;
use crate::{Error, Result};
use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;
use facenet_vision::align::Aligner;
use facenet_vision::align::margin_crop::{FACENET_MARGIN, MarginCropAligner};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The config file inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";
/// The weights file inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The checkpoint layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Default same/different threshold on the squared L2 distance of unit embeddings (range 0…4). The paper
/// chose 1.242 on LFW for its best model; public FaceNet reproductions land near 1.1. A trained model's
/// evaluation should write its own into the config.
pub const DEFAULT_THRESHOLD: f32 = 1.1;

/// How a detected face is cut out for the network: the parameters of a [`facenet_vision::align::Aligner`]
/// at the network's input size, as `facenet detect --align … --margin …` writes dataset crops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Alignment {
    /// The paper's tight crop: the box grown by `margin` pixels in total, resized to `resize × resize`,
    /// centre-cropped to the (square) input.
    Tight { margin: f32, resize: u32 },
    /// Similarity alignment of the 5 landmarks to the template; `margin` is the fraction of the short side
    /// left on each side (the paper: alignment "can improve performance slightly").
    Similarity { margin: f64 },
    /// davidsandberg's crop for his pretrained models: the box grown by `margin / 2` pixels a side, clipped,
    /// resized to the (square) input ([`MarginCropAligner`]); what the pretrained FaceNet embeds, so a
    /// fine-tuned one sees faces the same way.
    MarginCrop { margin: f32 },
}

impl Alignment {
    /// The defaults of `facenet detect` at `input`: a square input gets the tight crop (margin 44 px,
    /// resize side·182/160, davidsandberg's ratio); a non-square one (NNS2) similarity alignment, margin 0.
    pub fn default_for(input: InputSize) -> Self {
        if input.height == input.width {
            Alignment::Tight {
                margin: 44.0,
                resize: (input.width * 182 / 160) as u32,
            }
        } else {
            Alignment::Similarity { margin: 0.0 }
        }
    }

    /// The defaults for a model of `arch` at `input`: the margin crop for Inception-ResNet-v1 (the
    /// pretrained FaceNet's), else [`Alignment::default_for`].
    pub fn default_for_arch(arch: Arch, input: InputSize) -> Self {
        match arch {
            Arch::InceptionResnetV1 if input.height == input.width => Alignment::MarginCrop { margin: FACENET_MARGIN },
            _ => Self::default_for(input),
        }
    }

    /// The aligner producing `input`-sized crops.
    pub fn aligner(&self, input: InputSize) -> Result<Aligner> {
        let (w, h) = (input.width as u32, input.height as u32);
        Ok(match *self {
            Alignment::Tight { margin, resize } if w == h => Aligner::tight(w, margin, resize)?,
            Alignment::MarginCrop { margin } if w == h && margin.is_finite() => {
                Aligner::external(Box::new(MarginCropAligner { margin, size: w }))
            }
            Alignment::Tight { .. } | Alignment::MarginCrop { .. } => {
                return Err(Error::Vision(facenet_vision::Error::Invalid(format!(
                    "the {self:?} crop needs a square input and a finite margin, the model takes {w}×{h}; use similarity alignment"
                ))));
            }
            Alignment::Similarity { margin } => Aligner::similarity(w, h, margin)?,
        })
    }
}

/// Everything besides the weights that a checkpoint needs to be used: `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    pub format_version: u32,
    /// The model id stored with every embedding (galleries refuse to mix ids).
    pub id: String,
    /// Architecture, embedding size and options: what [`FaceNetConfig::init`] builds.
    pub model: FaceNetConfig,
    /// The network input (must be the model's: its architecture's unless the model overrides it).
    pub input: InputSize,
    pub preprocessing: Preprocessing,
    pub alignment: Alignment,
    /// Training steps taken when it was saved.
    pub step: u64,
    /// Same/different threshold on squared L2.
    pub threshold: f32,
    /// Ids of models whose embeddings this one's may be compared with (`facenet train --harmonic-with`,
    /// FaceNet Sec. 6): a gallery of such a model accepts this model's probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compatible_with: Vec<String>,
}

impl CheckpointConfig {
    /// Defaults for `model`: id `facenet-<arch>-<d>d`, fixed standardisation, [`Alignment::default_for_arch`]
    /// its architecture and input, step 0, threshold [`DEFAULT_THRESHOLD`].
    pub fn new(model: FaceNetConfig) -> Self {
        let input = model.input_size();
        Self {
            format_version: FORMAT_VERSION,
            id: format!("facenet-{}-{}d", model.arch, model.embedding_dim),
            input,
            alignment: Alignment::default_for_arch(model.arch, input),
            model,
            preprocessing: Preprocessing::Fixed,
            step: 0,
            threshold: DEFAULT_THRESHOLD,
            compatible_with: Vec::new(),
        }
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.model.arch
    }

    /// Checks the fields agree with each other; the message says which does not.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} (this build reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        let expected = self.model.input_size();
        if self.input != expected {
            return Err(format!(
                "input {}×{} does not match {} ({}×{})",
                self.input.height,
                self.input.width,
                self.arch(),
                expected.height,
                expected.width
            ));
        }
        if self.model.embedding_dim == 0 {
            return Err("embedding_dim is 0".into());
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(format!("threshold {} must be finite and > 0", self.threshold));
        }
        if let Err(e) = self.alignment.aligner(self.input) {
            return Err(format!("alignment {:?}: {e}", self.alignment));
        }
        self.preprocessing.validate()
    }
}

fn checkpoint_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes `model` and `config` into the directory `dir` (created if missing).
pub fn save_checkpoint(dir: &Path, model: &FaceNet, config: &CheckpointConfig) -> Result<()> {
    config.validate().map_err(|m| checkpoint_error(dir, m))?;
    let expected = config.model.num_weights();
    if model.num_weights() != expected {
        return Err(checkpoint_error(
            dir,
            format!(
                "the model has {} weights but its config ({}) describes {expected}",
                model.num_weights(),
                config.id
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| checkpoint_error(dir, format!("cannot create directory: {e}")))?;
    let weights = dir.join(WEIGHTS_FILE);
    let mut store = SafetensorsStore::from_file(&weights)
        .metadata("facenet_id", config.id.clone())
        .overwrite(true);
    // `valid()` folds pending batch-norm statistics in (burn updates them lazily) and drops autodiff
    model
        .valid()
        .save_into(&mut store)
        .map_err(|e| checkpoint_error(&weights, format!("cannot write weights: {e}")))?;
    let json = serde_json::to_string_pretty(config).expect("a checkpoint config should serialise to JSON");
    let config_path = dir.join(CONFIG_FILE);
    std::fs::write(&config_path, json + "\n").map_err(|e| checkpoint_error(&config_path, format!("cannot write: {e}")))
}

/// The checkpoint directory `path` names: the directory itself, either file in it, or a `facenet train`
/// run directory (its `model/` folder, when the directory holds no weights itself).
pub fn checkpoint_dir(path: &Path) -> PathBuf {
    let is_member = path.file_name().is_some_and(|n| n == CONFIG_FILE || n == WEIGHTS_FILE);
    let run_model = path.join(RUN_MODEL_DIR);
    match path.parent() {
        Some(parent) if is_member => parent.to_path_buf(),
        _ if !path.join(WEIGHTS_FILE).exists() && run_model.join(WEIGHTS_FILE).is_file() => run_model,
        _ => path.to_path_buf(),
    }
}

/// Where `facenet train` writes the inference checkpoint inside its run directory.
pub const RUN_MODEL_DIR: &str = "model";

/// Reads and validates `config.json` of the checkpoint at `path`.
pub fn read_checkpoint_config(path: &Path) -> Result<CheckpointConfig> {
    let config_path = checkpoint_dir(path).join(CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| checkpoint_error(&config_path, format!("cannot read: {e}")))?;
    let config: CheckpointConfig = serde_json::from_str(&text)
        .map_err(|e| checkpoint_error(&config_path, format!("not a checkpoint config: {e}")))?;
    config.validate().map_err(|m| checkpoint_error(&config_path, m))?;
    Ok(config)
}

/// Loads the checkpoint at `path` (its directory or a file in it) onto `device`.
pub fn load_checkpoint(path: &Path, device: &Device) -> Result<(FaceNet, CheckpointConfig)> {
    let config = read_checkpoint_config(path)?;
    let weights = checkpoint_dir(path).join(WEIGHTS_FILE);
    if !weights.is_file() {
        return Err(checkpoint_error(
            &weights,
            "missing (a checkpoint needs config.json and model.safetensors)",
        ));
    }
    let mut model = config.model.init(device);
    let mut store = SafetensorsStore::from_file(&weights);
    let mismatch = |detail: String| {
        checkpoint_error(
            &weights,
            format!(
                "does not match its config ({}, {}-D): {detail}",
                config.arch(),
                config.model.embedding_dim
            ),
        )
    };
    let result = model.load_from(&mut store).map_err(|e| match e.to_string() {
        m if m.contains("Validation failed") || m.contains("issing") => mismatch(first_lines(&m)),
        m => checkpoint_error(
            &weights,
            format!(
                "not a readable safetensors file (truncated or corrupt?): {}",
                first_lines(&m)
            ),
        ),
    })?;
    if !result.unused.is_empty() {
        return Err(mismatch(format!(
            "{} tensors the model does not have, e.g. {}",
            result.unused.len(),
            result.unused[0]
        )));
    }
    Ok((model, config))
}

/// The first three lines of a long library message.
fn first_lines(message: &str) -> String {
    message
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    fn saved(arch: Arch) -> (tempfile::TempDir, FaceNet, CheckpointConfig) {
        let device = Device::flex();
        let dir = tempfile::tempdir().unwrap();
        let mut config = CheckpointConfig::new(FaceNetConfig::new(arch).with_embedding_dim(64));
        config.step = 1234;
        let model = config.model.init(&device);
        save_checkpoint(dir.path(), &model, &config).unwrap();
        (dir, model, config)
    }

    #[test]
    fn save_then_load_gives_the_same_embeddings() {
        let device = Device::flex();
        let (dir, model, config) = saved(Arch::Nns2);
        let (loaded, loaded_config) = load_checkpoint(&dir.path().join(WEIGHTS_FILE), &device).unwrap();
        assert_eq!(loaded_config, config);
        let x = Tensor::<4>::random([2, 3, 140, 116], Distribution::Normal(0.0, 1.0), &device);
        let a = model.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        let b = loaded.forward(x).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn batch_norm_statistics_are_saved() {
        let device = Device::flex().autodiff();
        let dir = tempfile::tempdir().unwrap();
        let config = CheckpointConfig::new(FaceNetConfig::new(Arch::Nns2));
        let model = config.model.init(&device);
        // a training-mode forward moves the running statistics away from (0, 1)
        let x = Tensor::<4>::random([3, 3, 140, 116], Distribution::Normal(2.0, 3.0), &device);
        let _ = model.forward(x);
        save_checkpoint(dir.path(), &model, &config).unwrap();
        let plain = Device::flex();
        let (loaded, _) = load_checkpoint(dir.path(), &plain).unwrap();
        let probe = Tensor::<4>::random([1, 3, 140, 116], Distribution::Normal(0.0, 1.0), &plain);
        let trained = model
            .valid()
            .forward(probe.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let fresh = config
            .model
            .init(&plain)
            .forward(probe.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let reloaded = loaded.forward(probe).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(trained, reloaded);
        assert_ne!(fresh, reloaded);
    }

    #[test]
    fn an_input_override_is_recorded_and_checked() {
        let device = Device::flex();
        let dir = tempfile::tempdir().unwrap();
        let small = InputSize { height: 70, width: 58 };
        let config = CheckpointConfig::new(
            FaceNetConfig::new(Arch::Nns2)
                .with_embedding_dim(16)
                .with_input(Some(small)),
        );
        assert_eq!(config.input, small);
        save_checkpoint(dir.path(), &config.model.init(&device), &config).unwrap();
        let (loaded, loaded_config) = load_checkpoint(dir.path(), &device).unwrap();
        assert_eq!(loaded_config.model.input_size(), small);
        assert_eq!(
            loaded.forward(Tensor::<4>::zeros([1, 3, 70, 58], &device)).dims(),
            [1, 16]
        );
        let mut wrong = config.clone();
        wrong.input = Arch::Nns2.input_size();
        std::fs::write(dir.path().join(CONFIG_FILE), serde_json::to_string(&wrong).unwrap()).unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(err.contains("config.json") && err.contains("does not match"), "{err}");
    }

    #[test]
    fn a_training_run_directory_names_its_model_folder() {
        let (dir, _, config) = saved(Arch::Nns2);
        let run = tempfile::tempdir().unwrap();
        let model_dir = run.path().join(RUN_MODEL_DIR);
        std::fs::create_dir(&model_dir).unwrap();
        for file in [CONFIG_FILE, WEIGHTS_FILE] {
            std::fs::copy(dir.path().join(file), model_dir.join(file)).unwrap();
        }
        std::fs::write(run.path().join(CONFIG_FILE), "{\"not\": \"a checkpoint\"}").unwrap(); // the training config
        assert_eq!(checkpoint_dir(run.path()), model_dir);
        assert_eq!(checkpoint_dir(dir.path()), dir.path());
        assert_eq!(read_checkpoint_config(run.path()).unwrap(), config);
    }

    #[test]
    fn weights_of_another_architecture_are_refused() {
        let device = Device::flex();
        let (dir, _, mut config) = saved(Arch::Nns2);
        config.model = FaceNetConfig::new(Arch::Nn4).with_embedding_dim(64);
        config.input = Arch::Nn4.input_size();
        std::fs::write(dir.path().join(CONFIG_FILE), serde_json::to_string(&config).unwrap()).unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("does not match its config (nn4, 64-D)"),
            "{err}"
        );
    }

    #[test]
    fn another_embedding_size_is_refused() {
        let device = Device::flex();
        let (dir, _, mut config) = saved(Arch::Nns2);
        config.model.embedding_dim = 128;
        std::fs::write(dir.path().join(CONFIG_FILE), serde_json::to_string(&config).unwrap()).unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(err.contains("does not match its config"), "{err}");
    }

    #[test]
    fn a_truncated_weights_file_is_refused() {
        let device = Device::flex();
        let (dir, _, _) = saved(Arch::Nns2);
        let weights = dir.path().join(WEIGHTS_FILE);
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("truncated or corrupt"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_config_is_refused_naming_the_file() {
        let device = Device::flex();
        let (dir, _, mut config) = saved(Arch::Nns2);
        let path = dir.path().join(CONFIG_FILE);
        config.input = InputSize::square(96);
        std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("does not match nns2"),
            "{err}"
        );
        std::fs::write(&path, "{\"format_version\": 1").unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(err.contains("config.json: not a checkpoint config"), "{err}");
        std::fs::remove_file(dir.path().join(WEIGHTS_FILE)).unwrap();
        std::fs::write(
            &path,
            serde_json::to_string(&CheckpointConfig::new(FaceNetConfig::new(Arch::Nns2))).unwrap(),
        )
        .unwrap();
        let err = load_checkpoint(dir.path(), &device).unwrap_err().to_string();
        assert!(err.contains("model.safetensors: missing"), "{err}");
    }
}
