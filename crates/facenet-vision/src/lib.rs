//! facenet-vision: everything between a photo on disk and a face crop a network can read.
//!
//! Data flows one way, a type per stage:
//! image ([`load_rgb`]) → [`Detection`] (a [`Detector`]) → [`AlignedFace`] (a [`FaceAligner`]) →
//! [`facenet_core::Embedding`] (an [`Embedder`]).
//!
//! The traits keep the stages swappable: MTCNN or another detector, dlib chips or FaceNet crops, the dlib
//! ResNet or a user's own FaceNet checkpoint, on CPU today and on other devices later.

pub mod align;
pub mod baseline;
pub mod dataset;
mod detect;
mod detection;
mod dlib_chip;
pub mod dlib_format;
pub mod draw;
mod error;
mod geometry;
pub mod hog;
mod image_io;
pub mod mmod_pyramid;
mod pipeline;
mod protocol_embedder;
mod shape_predictor;
mod stages;
pub mod synth;
pub mod tasks;

pub use align::{AlignMode, Aligner};
pub use detect::{detect_path, detect_paths, write_annotated};
pub use detection::{Detection, FaceLandmarks, LandmarkScheme};
pub use dlib_chip::{
    BoxToDlib, ChipDetails, DLIB_CHIP_PADDING, DLIB_CHIP_SIZE, DlibChipAligner, dlib_face_chip, extract_image_chip,
};
pub use dlib_format::DlibFormatError;
pub use error::{Error, Result};
pub use geometry::{BBox, Point};
pub use image_io::{DEFAULT_MAX_PIXELS, LoadOptions, load_rgb, load_rgb_from_memory};
pub use pipeline::{FacePipeline, FaceRecord};
pub use protocol_embedder::{CENTER_CROP_FRACTION, FaceCrop, ProtocolEmbedder, center_crop};
pub use shape_predictor::ShapePredictor;
pub use stages::{AlignedFace, Detector, Embedder, FaceAligner, ModelInfo, ScoreFloor};

/// An 8-bit RGB image (the `image` crate's type, re-exported so users need no direct dependency).
pub use image::RgbImage;
