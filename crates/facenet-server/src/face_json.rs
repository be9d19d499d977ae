//! A face as CompreFace reports it (REST API v1): `box` (`probability`, integer `x_min`, `y_min`,
//! `x_max`, `y_max`), with the `landmarks` plugin `landmarks` ([[x, y], …]), with the `calculator` plugin
//! `embedding`, with `status=true` `execution_time` (milliseconds); and the answer's `plugins_versions`.

use crate::engine::{Face, PhotoFaces};
use crate::params::FaceParams;
use crate::similarity::rounded;
use serde_json::{Map, Value, json};

/// The JSON object of `face`, as `params` asks.
pub fn face_object(face: &Face, photo: &PhotoFaces, params: &FaceParams) -> Map<String, Value> {
    let d = &face.detection;
    let mut object = Map::new();
    object.insert(
        "box".into(),
        json!({
            "probability": rounded(d.score),
            "x_min": d.bbox.x1.round() as i64,
            "y_min": d.bbox.y1.round() as i64,
            "x_max": d.bbox.x2.round() as i64,
            "y_max": d.bbox.y2.round() as i64,
        }),
    );
    if params.landmarks {
        let points: Vec<[i64; 2]> = d
            .landmarks
            .as_ref()
            .map(|l| {
                l.points
                    .iter()
                    .map(|p| [p.x.round() as i64, p.y.round() as i64])
                    .collect()
            })
            .unwrap_or_default();
        object.insert("landmarks".into(), json!(points));
    }
    if params.calculator
        && let Some(embedding) = &face.embedding
    {
        object.insert("embedding".into(), json!(embedding.as_slice()));
    }
    if params.status {
        let mut times = Map::new();
        times.insert("detector".into(), json!(photo.detector_ms.round()));
        if face.embedding.is_some() {
            times.insert("calculator".into(), json!(photo.calculator_ms.round()));
        }
        object.insert("execution_time".into(), Value::Object(times));
    }
    object
}

/// `plugins_versions`: the detector and the embedding model in use.
pub fn plugins_versions(detector: &str, model_id: &str) -> Value {
    json!({
        "detector": format!("facenet.{detector}"),
        "calculator": format!("facenet.{model_id}"),
    })
}
