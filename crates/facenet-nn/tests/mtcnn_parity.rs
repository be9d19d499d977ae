//! MTCNN against facenet-pytorch 2.6.0 on real photos: same number of faces, boxes IoU ≥ 0.95, landmarks
//! within 2 px, probabilities within 1e-3.
//!
//! `fixtures/mtcnn_reference.json` was produced by the shared peer script, with facenet-pytorch 2.6.0
//! (CPU, float32, `MTCNN(keep_all=True)` defaults) and a torchvision shim for `batched_nms`:
//! ```text
//! THREADS=2 python peers/mtcnn_ref.py ~/.cache/facenet/assets/*.jpg ~/.cache/facenet/assets/32bit.png
//! ```
//! (its `ms` fields dropped). Its obama/obama2/biden entries equal shared/reference/mtcnn_reference.json.
//!
//! JPEGs decode to Pillow's pixels (libjpeg-turbo's defaults, see facenet-vision's `image_io`), so every
//! face of every photo must meet every bound.

use facenet_assets::Cache;
use facenet_kernels::device::default_device;
use facenet_nn::models::mtcnn::{Mtcnn, MtcnnConfig, MtcnnFace};
use facenet_vision::{BBox, LoadOptions, load_rgb};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Reference {
    boxes: Vec<[f32; 4]>,
    probs: Vec<f32>,
    landmarks: Vec<[[f32; 2]; 5]>,
}

fn references() -> BTreeMap<String, Reference> {
    serde_json::from_str(include_str!("fixtures/mtcnn_reference.json")).expect("the fixture should parse")
}

fn bbox(b: &[f32; 4]) -> BBox {
    BBox::new(b[0], b[1], b[2], b[3])
}

/// The differences between `ours` and the reference faces of `photo`, one line each (empty: equal);
/// each reference face is matched to our face of highest IoU.
fn differences(photo: &str, ours: &[MtcnnFace], reference: &Reference) -> Vec<String> {
    if ours.len() != reference.boxes.len() {
        return vec![format!(
            "{photo}: {} faces, reference {}: {ours:?}",
            ours.len(),
            reference.boxes.len()
        )];
    }
    let mut found = Vec::new();
    for (k, want) in reference.boxes.iter().enumerate() {
        let best = ours
            .iter()
            .max_by(|a, b| {
                bbox(&a.bbox)
                    .iou(&bbox(want))
                    .total_cmp(&bbox(&b.bbox).iou(&bbox(want)))
            })
            .unwrap();
        let iou = bbox(&best.bbox).iou(&bbox(want));
        if iou < 0.95 {
            found.push(format!(
                "{photo} face {k}: IoU {iou} (ours {:?}, reference {want:?})",
                best.bbox
            ));
        }
        if (best.probability - reference.probs[k]).abs() > 1e-3 {
            found.push(format!(
                "{photo} face {k}: probability {} vs {}",
                best.probability, reference.probs[k]
            ));
        }
        for (p, (a, b)) in best.landmarks.iter().zip(&reference.landmarks[k]).enumerate() {
            let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            if d > 2.0 {
                found.push(format!("{photo} face {k} landmark {p}: {a:?} vs {b:?} ({d} px)"));
            }
        }
    }
    found
}

#[test]
fn equals_facenet_pytorch_on_every_reference_photo() {
    let cache = Cache::from_env().unwrap();
    let mtcnn = Mtcnn::pretrained(&cache, MtcnnConfig::new(), &default_device()).unwrap();
    let mut found = Vec::new();
    for (photo, reference) in references() {
        let image = load_rgb(&cache.ensure(&photo).unwrap(), &LoadOptions::default()).unwrap();
        found.extend(differences(&photo, &mtcnn.detect_faces(&image), &reference));
    }
    assert!(found.is_empty(), "{found:#?}");
}
