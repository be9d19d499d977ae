//! The networks of facenet as burn modules, one file (or folder) per architecture; no file parsing here
//! (see [`crate::import`]).
//!
//! - [`dlib_resnet`]: dlib's face recognition ResNet (150×150 chip → 128-D).
//! - [`mtcnn`]: MTCNN face detection with 5 landmarks (P-Net, R-Net, O-Net).

pub mod dlib_resnet;
pub mod mtcnn;
