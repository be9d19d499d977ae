//! `facenet export --onnx`: a model written as a standard ONNX file (`facenet_nn::export`), so that any
//! ONNX runtime computes the same embeddings (checked by `scripts/check_onnx_export.sh` with onnxruntime).
//! The pretrained FaceNet and the dlib ResNet; checkpoints are refused with a clear error until their
//! exporter exists.

use crate::pipeline::ModelSpec;
use facenet_assets::Cache;
use facenet_nn::export::inception_resnet_v1::to_onnx;
use facenet_nn::models::inception_resnet_v1::InceptionResnetV1Spec;
use facenet_nn::pretrained::PretrainedFaceNet;
use facenet_nn::{Error, Result};
use std::path::Path;

/// Writes `model` as an ONNX model to `out` (atomically); returns its size in bytes.
pub fn export_onnx(model: &ModelSpec, cache: &Cache, out: &Path) -> Result<usize> {
    let bytes = match model {
        ModelSpec::FaceNet => {
            let weights = PretrainedFaceNet::load_weights(cache)?;
            to_onnx(&InceptionResnetV1Spec::facenet_20180408(), &weights)
                .map_err(|e| Error::Unavailable(format!("exporting facenet: {e}")))?
        }
        ModelSpec::Dlib => facenet_nn::dlib::DlibResNet::load(cache)?.to_onnx(),
        ModelSpec::Checkpoint(dir) => return Err(not_yet(&dir.display().to_string())),
    };
    facenet_assets::files::write_atomically(out, &bytes).map_err(|source| Error::Io {
        path: out.into(),
        source,
    })?;
    Ok(bytes.len())
}

fn not_yet(model: &str) -> Error {
    Error::Unavailable(format!(
        "ONNX export of --model {model} is not implemented yet (facenet and dlib are)"
    ))
}
