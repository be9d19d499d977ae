//! The flags every photo-reading command shares (`--model`, `--detector`, `--device`, `--max-pixels`,
//! `--min-score`),
//! and the pipeline they build.

use facenet::kernels::device::{DeviceChoice, device_for};
use facenet::pipeline::{DetectorSpec, ModelSpec, PipelineSpec, build_embedder, build_pipeline};
use facenet::vision::{DEFAULT_MAX_PIXELS, Embedder, FacePipeline, LoadOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct PipelineArgs {
    /// Embedding model: `facenet` (davidsandberg's pretrained FaceNet 20180408-102900, 512-D), `dlib` (the
    /// pretrained dlib ResNet, 128-D) or the path of a FaceNet checkpoint.
    #[arg(long, default_value = "facenet", value_parser = clap::value_parser!(ModelSpec))]
    pub model: ModelSpec,
    /// Face detector: `mtcnn`, `hog` (dlib's HOG detector) or `cnn` (dlib's MMOD CNN detector), the dlib
    /// ones upsampled once as face_recognition does.
    #[arg(long, default_value = "mtcnn", value_parser = clap::value_parser!(DetectorSpec))]
    pub detector: DetectorSpec,
    /// Where the networks run: `cpu`, or `gpu` (burn's wgpu backend: Vulkan, Metal or DX12; in a build
    /// with `--features gpu`). MTCNN and the embedding model move; dlib's HOG and CNN detectors stay on the CPU.
    #[arg(long, default_value = "cpu", value_parser = clap::value_parser!(DeviceChoice))]
    pub device: DeviceChoice,
    /// Refuse images with more pixels than this (checked before decoding).
    #[arg(value_parser = super::ranges::max_pixels, long, default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
    /// Ignore faces the detector scores below this (default: MTCNN 0.95, stricter than its own 0.7, which
    /// lets a desk phone through at 0.815; HOG and CNN 0, their own threshold). `facenet detect` lists every score.
    #[arg(value_parser = super::ranges::score, long, value_name = "SCORE")]
    pub min_score: Option<f32>,
}

impl PipelineArgs {
    pub fn spec(&self) -> PipelineSpec {
        PipelineSpec {
            model: self.model.clone(),
            detector: self.detector,
            load: LoadOptions {
                max_pixels: self.max_pixels,
                ..LoadOptions::default()
            },
            device: self.device,
        }
    }

    /// Loads the models (fetching missing assets) and builds the pipeline.
    pub fn build(&self) -> anyhow::Result<FacePipeline> {
        let cache = facenet::assets::Cache::from_env()?;
        let pipeline = build_pipeline(&self.spec(), &cache)?;
        Ok(match self.min_score {
            Some(min_score) => pipeline.with_min_score(min_score),
            None => pipeline,
        })
    }

    /// Loads only the embedding model, for inputs that are already aligned chips.
    pub fn build_embedder(&self) -> anyhow::Result<Box<dyn Embedder>> {
        let cache = facenet::assets::Cache::from_env()?;
        Ok(build_embedder(&self.model, &device_for(self.device)?, &cache)?)
    }
}
