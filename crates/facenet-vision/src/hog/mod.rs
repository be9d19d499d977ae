//! dlib's HOG frontal face detector (`dlib.get_frontal_face_detector()`), one file per stage: the
//! [`decoder`] of the detector dlib keeps compressed in its source, [`fhog`] features, the [`pyramid`]
//! (`pyramid_down<6>`) and the sliding-window [`detector`] with dlib's non-max suppression.

pub mod decoder;
pub mod detector;
pub mod fhog;
pub mod pyramid;

pub use detector::{DlibRect, HogDetection, HogDetector, OverlapTest};
