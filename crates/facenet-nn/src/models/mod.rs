//! The networks of facenet, one file (or folder) per architecture.
//!
//! - [`facenet`]: the FaceNet networks as one type, [`FaceNet`], built from a [`FaceNetConfig`] naming an
//!   [`Arch`]: [`nn1`] (Table 1), [`inception`] (NN2, NN3, NN4, NNS1), [`nns2`].
//! - [`mtcnn`]: MTCNN face detection with 5 landmarks (P-Net, R-Net, O-Net).

pub mod facenet;
pub mod inception;
pub mod mtcnn;
pub mod nn1;
pub mod nns2;

pub use facenet::{Arch, FaceNet, FaceNetConfig, Layer};
