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
//!
//! Later modules hold the FaceNet architectures (NN1…NNS2), the dlib ResNet, MTCNN, weight import from
//! foreign formats (`import/`), and triplet training (`train/`).

pub mod bench;
pub mod device;
pub mod dlib;
mod error;
pub mod import;
pub mod models;
pub mod nhwc;
pub mod pipeline;

pub use error::{Error, Result};
