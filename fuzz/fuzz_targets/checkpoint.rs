//! Checkpoints of `facenet train` (`facenet_nn::checkpoint`); the first byte chooses the file. Even:
//! the bytes are `config.json` (`read_checkpoint_config`: JSON, then the validation of every field).
//! Odd: they are `model.safetensors` beside the config of the seed run (NNS2 at 40 × 40, as
//! scripts/fuzz_seeds.sh trains it): `load_checkpoint` reads the safetensors header, then checks every
//! tensor's name, dtype and shape against the model the config builds. Each input is written to a
//! private temporary folder first (the readers take a path).
#![no_main]

use burn::tensor::Device;
use facenet_nn::checkpoint::{CONFIG_FILE, CheckpointConfig, WEIGHTS_FILE, load_checkpoint, read_checkpoint_config};
use facenet_nn::{Arch, FaceNetConfig, InputSize};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::LazyLock;

/// A folder of its own for each file kind: `config/` gets the fuzzed configs, `weights/` a fixed config
/// and the fuzzed weights.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("facenet-fuzz-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("config")).expect("the temporary folder is writable");
    std::fs::create_dir_all(dir.join("weights")).expect("the temporary folder is writable");
    let model = FaceNetConfig::new(Arch::Nns2).with_input(Some(InputSize::square(40)));
    let config = CheckpointConfig::new(model);
    let json = serde_json::to_string(&config).expect("a config serialises");
    std::fs::write(dir.join("weights").join(CONFIG_FILE), json).expect("the temporary file is writable");
    dir
});

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let dir = DIR.join("config");
        std::fs::write(dir.join(CONFIG_FILE), bytes).expect("the temporary file is writable");
        if let Err(e) = read_checkpoint_config(&dir) {
            assert!(e.to_string().contains(CONFIG_FILE), "{e}");
        }
    } else {
        let dir = DIR.join("weights");
        std::fs::write(dir.join(WEIGHTS_FILE), bytes).expect("the temporary file is writable");
        if let Err(e) = load_checkpoint(&dir, &Device::flex()) {
            assert!(e.to_string().contains(WEIGHTS_FILE), "{e}");
        }
    }
});
