//! dlib DNN model files: the ResNet embedder's reader (`import::dlib_dnn::parse`) and the MMOD
//! detector's (`import::dlib_mmod::parse`); the first byte chooses which.
#![no_main]

use facenet_nn::import::{dlib_dnn, dlib_mmod};
use facenet_nn::models::dlib_resnet::DlibResNetConfig;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<DlibResNetConfig> = LazyLock::new(DlibResNetConfig::v1);

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let _ = dlib_dnn::parse(bytes, &CONFIG);
    } else {
        let _ = dlib_mmod::parse(bytes);
    }
});
