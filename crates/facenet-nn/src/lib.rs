//! facenet-nn: every network of facenet, in burn (Flex CPU backend; other devices by cargo feature).
//!
//! - [`bench`]: embedding throughput, for `facenet bench`.
//! - [`device`]: the device networks run on ([`device::default_device`]).
//! - [`models::mtcnn`]: MTCNN face detection with 5 landmarks ([`models::mtcnn::Mtcnn`], a
//!   [`facenet_vision::Detector`]).
//! - [`import`]: weight import from foreign formats (PyTorch state dicts) into safetensors.
//! - [`dlib`]: [`dlib::DlibResNet`], dlib's face recognition ResNet as an [`facenet_vision::Embedder`].
//! - [`models`]: the architectures as burn modules; [`import`]: readers of foreign weight files.
//! - [`nhwc`]: fast CPU inference kernels on channels-last activations for frozen networks.
//! - [`pipeline`]: builds a [`facenet_vision::FacePipeline`] from a model and a detector name.
//! - [`models`]: the FaceNet networks NN1, NN2, NN3, NN4, NNS1, NNS2 as one [`FaceNet`] type built from a
//!   [`FaceNetConfig`]; [`spec`] describes them as data and prints the paper-style [`Summary`];
//!   [`layers`] holds the shared blocks; [`options`] every choice the paper leaves open.
//! - [`loss`]: the triplet loss.
//! - [`gemm_conv`], [`windows`], [`batch_norm`], [`lrn`]: the layers' own Flex operations (convolution as
//!   batched im2col products, max and L2 pooling, batch norm + ReLU, LRN) with handwritten backward passes,
//!   which [`layers`] routes to on Flex; [`memory`]: keeps malloc from unmapping the step's freed buffers.
//! - [`checkpoint`]: save/load a trained FaceNet (safetensors + `config.json`); [`preprocess`]: pixels to
//!   input tensors as the checkpoint says; [`embedder::FaceNetEmbedder`]: a checkpoint as a
//!   [`facenet_vision::Embedder`].
//!
//! Later modules hold the dlib ResNet and triplet training (`train/`).

pub mod bench;
pub mod batch_norm;
pub mod checkpoint;
pub mod device;
pub mod dlib;
pub mod embedder;
pub mod gemm_conv;
mod error;
pub mod import;
pub mod layers;
pub mod loss;
pub mod lrn;
pub mod memory;
pub mod models;
pub mod nhwc;
pub mod options;
pub mod pipeline;
pub mod preprocess;
pub mod spec;
pub mod train;
pub mod windows;

pub use error::{Error, Result};
pub use loss::triplet_loss;
pub use models::{Arch, FaceNet, FaceNetConfig};
pub use options::ArchOptions;
pub use spec::{InputSize, Summary};
