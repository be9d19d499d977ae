//! Weights converted once from a model asset (dlib's `.dat`, FaceNet's frozen graph) into the asset cache's
//! derived folder: a safetensors file and a JSON config beside it, both named after the model id. Later
//! loads read only these two files.

use crate::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The converted weights and their config for model `model_id` in the derived folder `derived`.
pub fn converted_paths(derived: &Path, model_id: &str) -> (PathBuf, PathBuf) {
    (
        derived.join(format!("{model_id}.safetensors")),
        derived.join(format!("{model_id}.json")),
    )
}

/// Reads a converted model's JSON config.
pub fn read_config<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::weights(path, e))
}

/// Writes a converted model's JSON config atomically (readers see the old file or the whole new one).
pub fn write_config<T: Serialize>(path: &Path, config: &T) -> Result<()> {
    let json = serde_json::to_string_pretty(config).expect("a config of numbers and strings should serialise");
    facenet_assets::files::write_atomically(path, json.as_bytes())
        .map_err(|e| Error::weights(path, format!("cannot write: {e}")))
}
