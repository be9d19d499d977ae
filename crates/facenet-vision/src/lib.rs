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
pub mod draw;
mod dlib_chip;
pub mod dlib_format;
mod error;
mod geometry;
mod image_io;
mod pipeline;
mod protocol_embedder;
mod shape_predictor;
mod stages;
pub mod tasks;
pub mod synth;

pub use align::{AlignMode, Aligner};
pub use detect::{detect_path, detect_paths, write_annotated};
pub use dlib_format::DlibFormatError;
pub use dlib_chip::{dlib_face_chip, extract_image_chip, BoxToDlib, ChipDetails, DlibChipAligner, DLIB_CHIP_PADDING, DLIB_CHIP_SIZE};
pub use detection::{Detection, FaceLandmarks, LandmarkScheme};
pub use error::{Error, Result};
pub use geometry::{BBox, Point};
pub use pipeline::{FacePipeline, FaceRecord};
pub use protocol_embedder::{center_crop, FaceCrop, ProtocolEmbedder, CENTER_CROP_FRACTION};
pub use image_io::{load_rgb, load_rgb_from_memory, LoadOptions, DEFAULT_MAX_PIXELS};
pub use shape_predictor::ShapePredictor;
pub use stages::{AlignedFace, Detector, Embedder, FaceAligner, ModelInfo};

/// An 8-bit RGB image (the `image` crate's type, re-exported so users need no direct dependency).
pub use image::RgbImage;
