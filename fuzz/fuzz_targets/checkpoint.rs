//! Checkpoints of `facenet train`: `config.json` (`checkpoint::read_checkpoint_config`: JSON, then the
//! validation of every field), written to a private temporary folder first (the reader takes a path).
#![no_main]

use facenet_nn::checkpoint::read_checkpoint_config;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::LazyLock;

static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("facenet-fuzz-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary folder is writable");
    dir
});

fuzz_target!(|config: &[u8]| {
    std::fs::write(DIR.join("config.json"), config).expect("the temporary file is writable");
    if let Err(e) = read_checkpoint_config(&DIR) {
        assert!(e.to_string().contains("config.json"), "{e}");
    }
});
