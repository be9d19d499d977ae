//! facenet-nn: the networks of facenet, in burn (Flex CPU backend; other devices by cargo feature), built on
//! the operations of `facenet_kernels`.
//!
//! - [`layers`]: the shared blocks (conv + batch norm + ReLU, max and L2 pooling, LRN, fully connected,
//!   L2 normalisation); [`options`]: every choice the paper leaves open.
//! - [`spec`]: a network as data, the paper-style [`Summary`] (Tables 1–2); [`models`]: the FaceNet networks
//!   NN1, NN2, NN3, NN4, NNS1, NNS2 as one [`FaceNet`] type built from a [`FaceNetConfig`], the dlib ResNet
//!   and MTCNN ([`models::mtcnn::Mtcnn`], a [`facenet_vision::Detector`]).
//! - [`loss`]: the triplet loss (Eq. 1).
//! - [`import`]: readers of foreign weight files (dlib DNN `.dat`, PyTorch state dicts, MTCNN).
//! - [`checkpoint`]: save/load a trained FaceNet (safetensors + `config.json`); [`preprocess`]: pixels to
//!   input tensors as the checkpoint says.
//! - [`dlib`]: [`dlib::DlibResNet`], dlib's face recognition ResNet as a [`facenet_vision::Embedder`], and its
//!   aligner; [`embedder::FaceNetEmbedder`]: a checkpoint as an embedder; [`pretrained::PretrainedFaceNet`]:
//!   davidsandberg's pretrained FaceNet (Inception-ResNet-v1, 512-D) read from its frozen TensorFlow graph;
//!   [`finetune`]: that network's weights restored into its trainable form (which
//!   [`embedder::FaceNetEmbedder::pretrained`] embeds with on devices other than the CPU), and partial
//!   freezing.

pub mod checkpoint;
pub mod derived;
pub mod dlib;
pub mod embedder;
mod error;
pub mod export;
pub mod finetune;
pub mod import;
pub mod layers;
pub mod loss;
pub mod mmod;
pub mod models;
pub mod options;
pub mod preprocess;
pub mod pretrained;
pub mod spec;

pub use error::{Error, Result};
pub use loss::triplet_loss;
pub use models::{Arch, FaceNet, FaceNetConfig};
pub use options::ArchOptions;
pub use spec::{InputSize, Summary};
