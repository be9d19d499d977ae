//! The default pipeline: MTCNN → davidsandberg's crop (box + 22 px a side, clipped, truncated, 160×160
//! with OpenCV's bilinear resize) → (x − 127.5)/128 → FaceNet 20180408-102900 → 512-D unit vector. On the
//! reference photos, our crop of each reference face has per-channel means within 2 of OpenCV's
//! (per-channel means and sha256 stored in facenet-nn's `tests/fixtures/facenet_reference.json`, no
//! pixels) and our embedding within squared L2 0.02 of OpenCV's.

use facenet::assets::Cache;
use facenet::core::distance::squared_l2;
use facenet::pipeline::{PipelineSpec, build_pipeline};
use facenet::vision::align::margin_crop::{FACENET_MARGIN, margin_crop_box};
use facenet::vision::{LoadOptions, load_rgb};
use std::path::Path;

#[test]
fn our_crops_and_embeddings_match_opencvs_on_every_reference_face() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../facenet-nn/tests/fixtures/facenet_reference.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let cache = Cache::from_env().unwrap();
    let spec = PipelineSpec::default();
    // Every face the reference holds, obama.jpg's desk phone (0.815, below the decision score) included.
    let pipeline = build_pipeline(&spec, &cache).unwrap().with_min_score(0.0);
    assert_eq!(pipeline.model_info().id, "facenet_20180408_102900");
    let mut checked = 0;
    for (photo, entry) in json["photos"].as_object().unwrap() {
        let path = cache.ensure(photo).unwrap();
        let image = load_rgb(&path, &LoadOptions::default()).unwrap();
        let records = pipeline.process_path(&path).unwrap();
        for face in entry["faces"].as_array().unwrap() {
            let chip = face["chip"].as_str().unwrap();
            let reference: Vec<f32> = face["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let expected_crop: Vec<u32> = face["crop_ltrb"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect();
            // our detection of this face: the one whose crop box is nearest the reference's
            let (record, crop) = records
                .iter()
                .map(|r| {
                    (
                        r,
                        margin_crop_box(&r.detection, image.width(), image.height(), FACENET_MARGIN),
                    )
                })
                .min_by_key(|(_, c)| c.iter().zip(&expected_crop).map(|(a, b)| a.abs_diff(*b)).sum::<u32>())
                .unwrap_or_else(|| panic!("{chip}: no face found"));
            let off = crop
                .iter()
                .zip(&expected_crop)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap();
            assert!(off <= 3, "{chip}: our crop {crop:?}, OpenCV's {expected_crop:?}");
            let ours = facenet::vision::align::margin_crop::crop_and_resize(&image, crop, 160).unwrap();
            for (c, mean) in face["chip_mean_rgb"].as_array().unwrap().iter().enumerate() {
                let ours_mean = ours
                    .as_raw()
                    .iter()
                    .skip(c)
                    .step_by(3)
                    .map(|&v| f64::from(v))
                    .sum::<f64>()
                    / 25_600.0;
                let diff = (ours_mean - mean.as_f64().unwrap()).abs();
                assert!(diff <= 2.0, "{chip} channel {c}: mean differs by {diff}");
            }
            let distance = squared_l2(record.embedding.as_slice(), &reference);
            eprintln!("{chip}: crop {crop:?} (OpenCV's {expected_crop:?}), squared L2 {distance:.5}");
            assert!(distance < 0.02, "{chip}: squared L2 {distance} to OpenCV's embedding");
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}
