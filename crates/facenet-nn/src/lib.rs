//! facenet-nn: every network of facenet, in burn (Flex CPU backend; other devices by cargo feature).
//!
//! - [`device`]: the device networks run on ([`device::default_device`]).
//! - [`models::mtcnn`]: MTCNN face detection with 5 landmarks ([`models::mtcnn::Mtcnn`], a
//!   [`facenet_vision::Detector`]).
//! - [`import`]: weight import from foreign formats (PyTorch state dicts) into safetensors.
//! - [`pipeline`]: builds a [`facenet_vision::FacePipeline`] from a model and a detector name.
//!
//! Later modules hold the FaceNet architectures (NN1…NNS2), the dlib ResNet, MTCNN, weight import from
//! foreign formats (`import/`), and triplet training (`train/`).

pub mod device;
mod error;
pub mod import;
pub mod models;
pub mod pipeline;

pub use error::{Error, Result};
