//! PyTorch checkpoints (`import::torch::read_state_dict`, what the MTCNN weights of facenet-pytorch go
//! through): legacy pickles, TAR and ZIP files. The reader takes a path, so each input is written to one
//! file in a private temporary folder first.
#![no_main]

use facenet_nn::import::torch::read_state_dict;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::LazyLock;

static FILE: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("facenet-fuzz-torch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary folder is writable");
    dir.join("input.pt")
});

fuzz_target!(|bytes: &[u8]| {
    std::fs::write(&*FILE, bytes).expect("the temporary file is writable");
    if let Ok(tensors) = read_state_dict(&FILE) {
        for tensor in tensors.values() {
            let elements = tensor.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
            assert_eq!(elements, Some(tensor.data.len()), "{:?}", tensor.shape);
        }
    }
});
