//! [`PretrainedFaceNetModule`]: davidsandberg's pretrained FaceNet 20180408-102900 ([`crate::pretrained`])
//! as a burn module on any device: its weights restored into the trainable Inception-ResNet-v1
//! ([`crate::finetune::load_pretrained`]), whose batch norms in inference mode compute exactly the frozen
//! graph's `conv(x) + offset`. This is what `--device gpu` embeds with; the CPU runs the frozen NHWC form
//! ([`crate::pretrained::PretrainedFaceNet`]), which is faster there. Same input, same [`ModelInfo`], same
//! embeddings (within 1e-4; `tests/gpu.rs` checks it on the reference crops).

use crate::Result;
use crate::finetune::load_pretrained;
use crate::models::FaceNet;
use crate::preprocess::{Preprocessing, faces_to_tensor};
use crate::pretrained::{INPUT_SIDE, PretrainedFaceNet};
use burn::tensor::Device;
use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_vision::{AlignedFace, Embedder, ModelInfo};

/// Crops per forward pass (bounds device memory: ≈ 2 MB of activations per crop).
const MAX_BATCH: usize = 32;

/// The pretrained FaceNet on a burn device.
#[derive(Debug)]
pub struct PretrainedFaceNetModule {
    model: FaceNet,
    info: ModelInfo,
    device: Device,
}

impl PretrainedFaceNetModule {
    /// Loads the network onto `device` (fetching and converting the graph on first use).
    pub fn load(cache: &Cache, device: &Device) -> Result<Self> {
        Ok(Self {
            model: load_pretrained(cache, device)?,
            info: PretrainedFaceNet::model_info(),
            device: device.clone(),
        })
    }

    fn embed_batch(&self, faces: &[AlignedFace]) -> Vec<Embedding> {
        let images: Vec<_> = faces.iter().map(|f| &f.image).collect();
        let x = faces_to_tensor(&images, &Preprocessing::Fixed, &self.device); // [n, 3, 160, 160]
        let values = self
            .model
            .forward(x)
            .into_data()
            .try_to_vec::<f32>()
            .expect("embeddings should be f32");
        values
            .chunks_exact(self.info.dim)
            .map(|row| Embedding::new(row.to_vec()))
            .collect()
    }
}

impl Embedder for PretrainedFaceNetModule {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&self, faces: &[AlignedFace]) -> facenet_vision::Result<Vec<Embedding>> {
        if let Some(face) = faces.iter().find(|f| f.image.dimensions() != (INPUT_SIDE, INPUT_SIDE)) {
            let (w, h) = face.image.dimensions();
            return Err(facenet_vision::Error::Invalid(format!(
                "a {w}×{h} crop; FaceNet 20180408-102900 needs {INPUT_SIDE}×{INPUT_SIDE} crops"
            )));
        }
        Ok(faces
            .chunks(MAX_BATCH)
            .flat_map(|batch| self.embed_batch(batch))
            .collect())
    }
}
