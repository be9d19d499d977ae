//! dlib's HOG frontal face detector (`dlib.get_frontal_face_detector()`), one file per stage: the
//! [`decoder`] of the detector dlib keeps compressed in its source, [`fhog`] features, the [`pyramid`]
//! (`pyramid_down<6>`) and the sliding-window [`detector`] with dlib's non-max suppression.
//!
//! The inner loops of the three hot stages (resampling, gradients, filtering) are plain slice loops that
//! the compiler vectorises; [`facenet_core::multiversion!`] compiles each for AVX-512 and AVX2 beside the baseline and
//! picks one at run time by CPU feature. Rust never fuses a multiply and an add, so every version rounds
//! exactly as the baseline does: the features and scores do not depend on the CPU.

pub mod decoder;
pub mod detector;
pub mod fhog;
pub mod pyramid;

pub use detector::{DlibRect, HogDetection, HogDetector, OverlapTest};
