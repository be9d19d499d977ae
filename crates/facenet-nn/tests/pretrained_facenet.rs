//! davidsandberg's FaceNet 20180408-102900 read from its frozen TensorFlow graph: equal to OpenCV dnn on
//! the reference faces, counted like the graph, and refusing broken graphs with an error naming the file
//! and the node.
//!
//! Reference numbers: `tests/fixtures/facenet_reference.json` (OpenCV dnn 5.0, `shared/peers/facenet_ref.py`).
//! The 160×160 crops are not committed: each is made again here from the fetched photo with the reference
//! crop box and OpenCV's bilinear resize ([`facenet_vision::align::cv_linear`]) and checked against the
//! sha256 and per-channel mean of OpenCV's crop stored in the fixture. Three of the four are the same bytes;
//! obama_1 (an upscale from 99×105) differs in its first row only, so the 1e-4 embedding bound is asserted
//! on the three exact crops and obama_1's embedding is held to 0.01.
//! OpenCV's own chips (the exact network inputs) are photos and not committed either: the bound —
//! every reference chip within 1e-4 L2 of OpenCV's embedding — is checked on them from
//! `$FACENET_SHARED/reference/facenet_chips` or `<workspace>/../shared/reference/facenet_chips`, skipped with a
//! note when neither exists.

use facenet_assets::Cache;
use facenet_core::distance::{l2, squared_l2};
use facenet_nn::import::facenet_graph::OUTPUT;
use facenet_nn::import::tf_graph::{
    AttrKind, AttrValue, Dim, Graph, GraphDef, ListValue, NodeDef, TensorProto, TensorShapeProto,
};
use facenet_nn::models::inception_resnet_v1::InceptionResnetV1Spec;
use facenet_nn::pretrained::{MODEL_ASSET, PretrainedFaceNet, converted_paths};
use facenet_vision::align::margin_crop::crop_and_resize;
use facenet_vision::{AlignedFace, Embedder, LoadOptions, load_rgb};
use prost::Message;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

struct RefFace {
    photo: String,
    chip: String,
    crop: [u32; 4],
    chip_sha256: String,
    chip_mean_rgb: Vec<f64>,
    exact: bool,
    embedding: Vec<f32>,
}

fn reference_faces() -> Vec<RefFace> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facenet_reference.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut faces = Vec::new();
    for (photo, entry) in json["photos"].as_object().unwrap() {
        for face in entry["faces"].as_array().unwrap() {
            let numbers = |key: &str| -> Vec<f64> {
                face[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let crop = numbers("crop_ltrb");
            faces.push(RefFace {
                photo: photo.clone(),
                chip: face["chip"].as_str().unwrap().into(),
                crop: [crop[0] as u32, crop[1] as u32, crop[2] as u32, crop[3] as u32],
                chip_sha256: face["chip_sha256"].as_str().unwrap().into(),
                chip_mean_rgb: numbers("chip_mean_rgb"),
                exact: face["reproduced_exactly"].as_bool().unwrap(),
                embedding: numbers("embedding").into_iter().map(|v| v as f32).collect(),
            });
        }
    }
    assert_eq!(faces.len(), 4);
    faces
}

fn cache() -> Cache {
    Cache::from_env().unwrap()
}

fn graph_path() -> PathBuf {
    cache().ensure(MODEL_ASSET).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The reference crop of `face`, made from the fetched photo.
fn crop_of(face: &RefFace) -> AlignedFace {
    let photo = load_rgb(&cache().ensure(&face.photo).unwrap(), &LoadOptions::default()).unwrap();
    AlignedFace {
        image: crop_and_resize(&photo, face.crop, 160).unwrap(),
    }
}

#[test]
fn crops_are_opencvs_byte_for_byte_or_within_its_mean() {
    for face in reference_faces() {
        let chip = crop_of(&face);
        let same_bytes = sha256_hex(chip.image.as_raw()) == face.chip_sha256;
        assert_eq!(same_bytes, face.exact, "{}", face.chip);
        for (c, reference) in face.chip_mean_rgb.iter().enumerate() {
            let mean = chip
                .image
                .as_raw()
                .iter()
                .skip(c)
                .step_by(3)
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / 25_600.0;
            assert!(
                (mean - reference).abs() < 0.1,
                "{} channel {c}: mean {mean}, OpenCV's {reference}",
                face.chip
            );
        }
    }
}

#[test]
fn embeddings_equal_opencv_dnn_within_1e_4_and_survive_conversion() {
    let derived = tempfile::tempdir().unwrap();
    let converted = PretrainedFaceNet::load_converting(&graph_path(), derived.path()).unwrap();
    let (weights, config) = converted_paths(derived.path());
    assert!(weights.exists() && config.exists());
    let reloaded = PretrainedFaceNet::load_converting(&graph_path(), derived.path()).unwrap();
    let faces = reference_faces();
    let chips: Vec<AlignedFace> = faces.iter().map(crop_of).collect();
    // one batch of four and one face at a time give the same numbers
    let batch = converted.embed(&chips).unwrap();
    for ((face, chip), ours) in faces.iter().zip(&chips).zip(&batch) {
        let alone = &reloaded.embed(std::slice::from_ref(chip)).unwrap()[0];
        let reference = facenet_core::Embedding::new(face.embedding.clone());
        let distance = l2(ours.as_slice(), reference.as_slice());
        eprintln!("{}: L2 {distance:.2e} to OpenCV's embedding", face.chip);
        let bound = if face.exact { 1e-4 } else { 1e-2 };
        assert!(distance < bound, "{}: L2 {distance} to OpenCV's embedding", face.chip);
        assert!(
            l2(ours.as_slice(), alone.as_slice()) < 1e-5,
            "{}: batch and single differ",
            face.chip
        );
    }
    // the reference photos' distances: Obama 0.48, Obama–Biden ≥ 1.8, on both sides of the threshold
    let threshold = converted.info().threshold;
    let d = |a: usize, b: usize| squared_l2(batch[a].as_slice(), batch[b].as_slice());
    let index = |chip: &str| faces.iter().position(|f| f.chip == chip).unwrap();
    let (biden, obama, obama2) = (index("biden_0"), index("obama_0"), index("obama2_0"));
    assert!((d(obama, obama2) - 0.480).abs() < 0.002 && d(obama, obama2) < threshold);
    assert!(d(obama, biden) > 1.8 && d(obama, biden) > threshold);
}

/// `shared/reference/facenet_chips`, if this checkout has shared/ beside it (or FACENET_SHARED names one).
fn shared_chips_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("FACENET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("reference/facenet_chips");
    dir.is_dir().then_some(dir)
}

#[test]
fn every_opencv_chip_embeds_within_1e_4_of_opencvs_embedding() {
    let Some(dir) = shared_chips_dir() else {
        eprintln!("note: no shared/reference/facenet_chips (set FACENET_SHARED); OpenCV chip parity not checked");
        return;
    };
    let faces = reference_faces();
    let chips: Vec<AlignedFace> = faces
        .iter()
        .map(|face| {
            let path = dir.join(format!("{}.png", face.chip));
            let image = load_rgb(&path, &LoadOptions::default()).unwrap();
            assert_eq!(
                sha256_hex(image.as_raw()),
                face.chip_sha256,
                "{} is not the chip the reference embedded",
                path.display()
            );
            AlignedFace { image }
        })
        .collect();
    let derived = tempfile::tempdir().unwrap();
    let net = PretrainedFaceNet::load_converting(&graph_path(), derived.path()).unwrap();
    for (face, ours) in faces.iter().zip(net.embed(&chips).unwrap()) {
        let distance = l2(ours.as_slice(), &face.embedding);
        eprintln!("{} (OpenCV's chip): L2 {distance:.2e} to OpenCV's embedding", face.chip);
        assert!(distance < 1e-4, "{}: L2 {distance} to OpenCV's embedding", face.chip);
    }
}

#[test]
fn the_spec_counts_the_graphs_weights() {
    let bytes = std::fs::read(graph_path()).unwrap();
    let graph = Graph::decode(&bytes).unwrap();
    let summary = InceptionResnetV1Spec::facenet_20180408().summary();
    assert_eq!(graph.weight_count(OUTPUT).unwrap(), summary.params);
    assert_eq!(summary.params, 23_469_360);
}

#[test]
fn a_truncated_graph_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.pb");
    let bytes = std::fs::read(graph_path()).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let err = PretrainedFaceNet::from_graph(&path).unwrap_err().to_string();
    assert!(err.contains("truncated.pb") && err.contains("GraphDef"), "{err}");
    std::fs::write(&path, b"\xff\xff\xff\xff not a protobuf").unwrap();
    let err = PretrainedFaceNet::from_graph(&path).unwrap_err().to_string();
    assert!(err.contains("truncated.pb"), "{err}");
}

// ---- small bad graphs, built with the same prost messages ----

fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn attr(node: &mut NodeDef, key: &str, value: AttrKind) {
    node.attr.insert(key.into(), AttrValue { value: Some(value) });
}

fn float_const(name: &str, shape: &[i64]) -> NodeDef {
    let mut n = node(name, "Const", &[]);
    let count: i64 = shape.iter().product();
    let tensor = TensorProto {
        dtype: 1,
        tensor_shape: Some(TensorShapeProto {
            dim: shape.iter().map(|&size| Dim { size }).collect(),
        }),
        tensor_content: vec![0; 4 * count as usize],
        ..Default::default()
    };
    attr(&mut n, "value", AttrKind::Tensor(tensor));
    n
}

/// `input` → the first conv (`filter_shape`) → BiasAdd → `embeddings` (an Identity).
fn stem_graph(filter_shape: &[i64], last_op: &str) -> Vec<NodeDef> {
    let conv = "InceptionResnetV1/Conv2d_1a_3x3";
    let mut conv2d = node(
        &format!("{conv}/Conv2D"),
        "Conv2D",
        &["input", &format!("{conv}/weights")],
    );
    attr(
        &mut conv2d,
        "strides",
        AttrKind::List(ListValue {
            i: vec![1, 2, 2, 1],
            ..Default::default()
        }),
    );
    attr(&mut conv2d, "padding", AttrKind::S(b"VALID".to_vec()));
    vec![
        node("input", "Placeholder", &[]),
        float_const(&format!("{conv}/weights"), filter_shape),
        conv2d,
        float_const(&format!("{conv}/Conv2D_bn_offset"), &[32]),
        node(
            &format!("{conv}/BiasAdd"),
            "BiasAdd",
            &[&format!("{conv}/Conv2D"), &format!("{conv}/Conv2D_bn_offset")],
        ),
        node("embeddings", last_op, &[&format!("{conv}/BiasAdd")]),
    ]
}

fn refusal(nodes: Vec<NodeDef>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad_graph.pb");
    std::fs::write(&path, GraphDef { node: nodes }.encode_to_vec()).unwrap();
    let err = PretrainedFaceNet::from_graph(&path).unwrap_err().to_string();
    assert!(err.contains("bad_graph.pb"), "{err}");
    err
}

#[test]
fn an_unknown_op_on_the_path_is_refused_naming_the_node() {
    let err = refusal(stem_graph(&[3, 3, 3, 32], "Softmax"));
    assert!(
        err.contains("embeddings") && err.contains("unknown op \"Softmax\""),
        "{err}"
    );
    let mut dangling = stem_graph(&[3, 3, 3, 32], "Identity");
    dangling.remove(0);
    let err = refusal(dangling);
    assert!(
        err.contains("Conv2d_1a_3x3/Conv2D") && err.contains("\"input\""),
        "{err}"
    );
}

#[test]
fn a_missing_weight_is_refused_naming_the_node() {
    // the stem conv is fine; the next conv of the spec is not in the graph
    let err = refusal(stem_graph(&[3, 3, 3, 32], "Identity"));
    assert!(err.contains("InceptionResnetV1/Conv2d_2a_3x3/Conv2D: missing"), "{err}");
}

#[test]
fn a_mis_shaped_weight_is_refused_with_the_expected_shape() {
    let err = refusal(stem_graph(&[3, 3, 3, 16], "Identity"));
    assert!(
        err.contains("InceptionResnetV1/Conv2d_1a_3x3/weights") && err.contains("expected [3, 3, 3, 32]"),
        "{err}"
    );
}
