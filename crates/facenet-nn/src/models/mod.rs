//! The networks of facenet as burn modules, one file (or folder) per architecture; no file parsing here
//! (see [`crate::import`]).
//!
//! - [`dlib_resnet`]: dlib's face recognition ResNet (150×150 chip → 128-D).
//! - [`facenet`]: the FaceNet networks as one type, [`FaceNet`], built from a [`FaceNetConfig`] naming an
//!   [`Arch`]: [`nn1`] (Table 1), [`inception`] (NN2, NN3, NN4, NNS1), [`nns2`].
//! - [`inception_resnet_v1`]: Inception-ResNet-v1 as davidsandberg/facenet builds it (160×160 → 512-D): its
//!   spec, the frozen inference network and its trainable layers (an [`Arch`] of [`FaceNet`]).
//! - [`mtcnn`]: MTCNN face detection with 5 landmarks (P-Net, R-Net, O-Net).

pub mod dlib_resnet;
pub mod facenet;
pub mod inception;
pub mod inception_resnet_v1;
pub mod mtcnn;
pub mod nn1;
pub mod nns2;

pub use facenet::{Arch, FaceNet, FaceNetConfig, Layer};

/// The summary table of the architecture called `arch`: one of the paper's FaceNets ([`Arch`], with an
/// `embedding_dim`-D embedding) or `inception-resnet-v1` (davidsandberg's, always 512-D).
pub fn summary(arch: &str, embedding_dim: usize) -> Result<crate::Summary, String> {
    if arch.eq_ignore_ascii_case(inception_resnet_v1::ARCH_NAME) {
        return Ok(inception_resnet_v1::InceptionResnetV1Spec::facenet_20180408().summary());
    }
    let arch: Arch = arch
        .parse()
        .map_err(|e: String| format!("{e}, or {}", inception_resnet_v1::ARCH_NAME))?;
    Ok(FaceNetConfig::new(arch).with_embedding_dim(embedding_dim).summary())
}
