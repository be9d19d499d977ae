//! PyTorch state dicts → safetensors. The checkpoint is read by `pytorch-reader` (burn's reader, which
//! understands the legacy non-zip pickle format that facenet-pytorch 2.6.0 ships, as well as TAR and ZIP
//! files) without running any Python; every float tensor is stored as f32 under its state-dict name and
//! in PyTorch's layout (conv `[out, in, kh, kw]`, linear `[out, in]`), so the file reads like the original.

use crate::{Error, Result};
use pytorch_reader::{DType, PytorchReader};
use safetensors::{Dtype, tensor::TensorView};
use std::collections::BTreeMap;
use std::path::Path;

/// One f32 tensor of a state dict.
#[derive(Debug, Clone, PartialEq)]
pub struct F32Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Reads every tensor of the PyTorch checkpoint at `path` as f32, by state-dict name. A file that is not
/// a checkpoint, is truncated or corrupt, or holds a non-float tensor gives [`Error::Weights`] naming it.
pub fn read_state_dict(path: &Path) -> Result<BTreeMap<String, F32Tensor>> {
    let reader = PytorchReader::new(path).map_err(|e| Error::weights(path, e))?;
    let mut tensors = BTreeMap::new();
    for (name, tensor) in reader.into_tensors() {
        let bytes = tensor.read().map_err(|e| Error::weights(path, e))?;
        let data = match tensor.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|b| f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
                .collect(),
            other => {
                return Err(Error::weights(
                    path,
                    format!("tensor {name} has type {other:?}, expected a float"),
                ));
            }
        };
        tensors.insert(
            name,
            F32Tensor {
                shape: tensor.shape().to_vec(),
                data,
            },
        );
    }
    if tensors.is_empty() {
        return Err(Error::weights(path, "no tensors in the checkpoint"));
    }
    Ok(tensors)
}

/// Writes `tensors` to `path` as a safetensors file (little-endian f32), through a temp file and a
/// rename so that a reader never sees half a file.
pub fn write_safetensors(tensors: &BTreeMap<String, F32Tensor>, path: &Path) -> Result<()> {
    let bytes: Vec<(&String, Vec<u8>, &[usize])> = tensors
        .iter()
        .map(|(name, t)| {
            (
                name,
                t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                t.shape.as_slice(),
            )
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, data, shape)| {
            TensorView::new(Dtype::F32, shape.to_vec(), data)
                .map(|view| (name.as_str(), view))
                .map_err(|e| Error::weights(path, e))
        })
        .collect::<Result<Vec<_>>>()?;
    let serialized = safetensors::serialize(views, None).map_err(|e| Error::weights(path, e))?;
    write_atomically(path, &serialized)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    facenet_assets::files::write_atomically(path, bytes).map_err(|e| Error::weights(path, format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_checkpoint_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.pt");
        std::fs::write(&path, b"this is not a pickle at all").unwrap();
        let err = read_state_dict(&path).unwrap_err();
        assert!(err.to_string().contains("garbage.pt"), "{err}");
    }

    #[test]
    fn safetensors_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.safetensors");
        let tensors = BTreeMap::from([(
            "a.weight".to_string(),
            F32Tensor {
                shape: vec![2, 3],
                data: vec![1.0, -2.0, 3.5, 0.0, 5.0, 6.0],
            },
        )]);
        write_safetensors(&tensors, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let view = st.tensor("a.weight").unwrap();
        assert_eq!(view.shape(), &[2, 3]);
        assert_eq!(view.data().len(), 24);
        assert_eq!(f32::from_le_bytes(view.data()[4..8].try_into().unwrap()), -2.0);
    }
}
