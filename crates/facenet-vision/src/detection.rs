//! [`Detection`]: a face found in a photo, with its box, score and (optionally) landmarks.

use crate::geometry::{BBox, Point};
use serde::{Deserialize, Serialize};

/// Which points a [`FaceLandmarks`] holds, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandmarkScheme {
    /// MTCNN: left eye, right eye, nose, left mouth corner, right mouth corner (image left/right).
    Mtcnn5,
    /// dlib's 5-point model: right eye outer corner, right eye inner corner, left eye outer corner,
    /// left eye inner corner, nose base (the subject's right is on the image's left).
    Dlib5,
    /// dlib's 68-point model, iBUG 300-W's markup: jaw 0–16, eyebrows 17–26, nose 27–35, eyes 36–47,
    /// mouth 48–67.
    Dlib68,
}

/// Facial landmarks in image pixels, in the order their [`LandmarkScheme`] names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceLandmarks {
    pub scheme: LandmarkScheme,
    pub points: Vec<Point>,
}

/// One detected face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The face box in image pixels.
    pub bbox: BBox,
    /// The detector's confidence, 0…1 for probabilistic detectors.
    pub score: f32,
    /// Landmarks, when the detector gives them.
    pub landmarks: Option<FaceLandmarks>,
}

impl Detection {
    /// The face's prominence: box area weighted by score (how `compare` picks "the" face of a photo).
    pub fn prominence(&self) -> f32 {
        self.bbox.area() * self.score
    }
}
