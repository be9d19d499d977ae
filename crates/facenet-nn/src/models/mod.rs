//! The networks of facenet, one file (or folder) per architecture.
//!
//! - [`mtcnn`]: MTCNN face detection with 5 landmarks (P-Net, R-Net, O-Net).

pub mod mtcnn;
