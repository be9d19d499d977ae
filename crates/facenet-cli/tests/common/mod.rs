//! Helpers shared by the CLI's integration tests: run the built `facenet` binary, fetch a fixture photo
//! from the asset cache, a path as text. Each test binary uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `facenet ARGS…` run to completion, its output captured.
pub fn facenet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .output()
        .expect("the facenet binary should run")
}

/// A fixture photo from the asset cache (fetched on first use).
pub fn photo(name: &str) -> PathBuf {
    facenet::assets::Cache::from_env().unwrap().ensure(name).unwrap()
}

pub fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}
