//! The MTCNN weights of facenet-pytorch 2.6.0 (`pnet.pt`, `rnet.pt`, `onet.pt`: legacy non-zip torch
//! pickles of the P/R/O-Net state dicts), converted once to `derived/mtcnn-{p,r,o}net.safetensors` in the
//! asset cache and loaded from there. The davidsandberg `det{1,2,3}.npy` files hold the same numbers;
//! the torch files are used because their layout is already PyTorch's (the reference implementation's).

use super::torch::{read_state_dict, write_safetensors};
use crate::{Error, Result};
use burn::module::Module;
use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use facenet_assets::Cache;
use std::path::{Path, PathBuf};

/// One of MTCNN's three networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtcnnNet {
    PNet,
    RNet,
    ONet,
}

impl MtcnnNet {
    /// The pinned asset holding its torch state dict.
    pub fn asset_name(self) -> &'static str {
        match self {
            MtcnnNet::PNet => "pnet.pt",
            MtcnnNet::RNet => "rnet.pt",
            MtcnnNet::ONet => "onet.pt",
        }
    }

    /// The file name of its converted weights in the cache's `derived/` folder.
    pub fn derived_name(self) -> &'static str {
        match self {
            MtcnnNet::PNet => "mtcnn-pnet.safetensors",
            MtcnnNet::RNet => "mtcnn-rnet.safetensors",
            MtcnnNet::ONet => "mtcnn-onet.safetensors",
        }
    }
}

/// The safetensors weights of `net`: fetched and converted on first use, then read from the cache.
pub fn mtcnn_weights(cache: &Cache, net: MtcnnNet) -> Result<PathBuf> {
    let converted = cache.derived_dir()?.join(net.derived_name());
    if !converted.is_file() {
        let source = cache.ensure(net.asset_name())?;
        convert_torch_checkpoint(&source, &converted)?;
    }
    Ok(converted)
}

/// Converts the torch checkpoint at `source` to safetensors at `target` (names and layouts unchanged).
pub fn convert_torch_checkpoint(source: &Path, target: &Path) -> Result<()> {
    write_safetensors(&read_state_dict(source)?, target)
}

/// Loads safetensors holding a PyTorch state dict into `module`: linear weights are transposed to
/// burn's `[in, out]`, PReLU `weight` becomes burn's `alpha`. Every parameter of the module must be
/// present with its shape, else [`Error::Weights`] names the file and the tensors at fault.
pub fn load_torch_safetensors<M: Module>(mut module: M, path: &Path) -> Result<M> {
    let bytes = std::fs::read(path).map_err(|e| Error::weights(path, e))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes))
        .with_from_adapter(PyTorchToBurnAdapter)
        .with_key_remapping(r"^(prelu[0-9_]*)\.weight$", "$1.alpha");
    let applied = module.load_from(&mut store).map_err(|e| Error::weights(path, e))?;
    if !applied.errors.is_empty() || !applied.missing.is_empty() {
        let missing: Vec<&str> = applied.missing.iter().map(|(name, _)| name.as_str()).collect();
        let errors: Vec<String> = applied.errors.iter().map(|e| format!("{e:?}")).collect();
        return Err(Error::weights(
            path,
            format!("missing tensors {missing:?}, errors {errors:?}"),
        ));
    }
    Ok(module)
}
