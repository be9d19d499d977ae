//! The flags every photo-reading command shares (`--model`, `--detector`, `--max-pixels`), and the
//! pipeline they build.

use facenet::pipeline::{DetectorSpec, ModelSpec, PipelineSpec, build_embedder, build_pipeline};
use facenet::vision::{DEFAULT_MAX_PIXELS, Embedder, FacePipeline, LoadOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct PipelineArgs {
    /// Embedding model: `facenet` (davidsandberg's pretrained FaceNet 20180408-102900, 512-D), `dlib` (the
    /// pretrained dlib ResNet, 128-D) or the path of a FaceNet checkpoint.
    #[arg(long, default_value = "facenet", value_parser = clap::value_parser!(ModelSpec))]
    pub model: ModelSpec,
    /// Face detector: `mtcnn`, or `hog` (dlib's HOG detector, upsampled once as face_recognition does).
    #[arg(long, default_value = "mtcnn", value_parser = clap::value_parser!(DetectorSpec))]
    pub detector: DetectorSpec,
    /// Refuse images with more pixels than this (checked before decoding).
    #[arg(value_parser = super::ranges::max_pixels, long, default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
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
        }
    }

    /// Loads the models (fetching missing assets) and builds the pipeline.
    pub fn build(&self) -> anyhow::Result<FacePipeline> {
        let cache = facenet::assets::Cache::from_env()?;
        Ok(build_pipeline(&self.spec(), &cache)?)
    }

    /// Loads only the embedding model, for inputs that are already aligned chips.
    pub fn build_embedder(&self) -> anyhow::Result<Box<dyn Embedder>> {
        let cache = facenet::assets::Cache::from_env()?;
        Ok(build_embedder(&self.model, &cache)?)
    }
}
