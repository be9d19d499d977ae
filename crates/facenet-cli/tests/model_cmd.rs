//! `facenet model summary`: the paper-style architecture tables, as text and JSON.

mod common;

use common::facenet;

#[test]
fn summary_json_has_the_papers_nn2_totals() {
    let out = facenet(&["--json", "model", "summary", "--arch", "nn2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout should be JSON");
    assert_eq!(s["arch"], "nn2");
    assert_eq!(s["input"], serde_json::json!([224, 224, 3]));
    assert_eq!(s["params"], 7_448_256);
    let macs = s["multiply_adds"].as_u64().unwrap() as f64;
    assert!((macs - 1.6e9).abs() / 1.6e9 < 0.01, "{macs}");
    let layers = s["layers"].as_array().unwrap();
    let row_3a = layers.iter().find(|l| l["name"] == "inception_3a").unwrap();
    assert_eq!(row_3a["params"], 163_328);
    assert_eq!(row_3a["output"], serde_json::json!([28, 28, 256]));
}

#[test]
fn summary_table_lists_every_layer_of_nn1() {
    let out = facenet(&["model", "summary", "--arch", "nn1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["conv1", "rnorm1", "conv6", "pool4", "fc1", "fc2", "fc7128"] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing:\n{text}");
    }
    assert!(text.contains("140.01M params"), "{text}");
}

#[test]
fn an_unknown_arch_is_a_usage_error() {
    let out = facenet(&["model", "summary", "--arch", "nn9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown architecture"));
}

#[test]
fn inception_resnet_v1_counts_the_frozen_graphs_weights() {
    let out = facenet(&["--json", "model", "summary", "--arch", "inception-resnet-v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout should be JSON");
    assert_eq!(s["input"], serde_json::json!([160, 160, 3]));
    // every stored float of graph_final.pb but the 22 scalars; 1.418 G multiply-adds a face
    assert_eq!(s["params"], 23_469_360);
    assert_eq!(s["multiply_adds"], 1_417_662_304u64);
    let layers = s["layers"].as_array().unwrap();
    let mixed_7a = layers.iter().find(|l| l["name"] == "Mixed_7a").unwrap();
    assert_eq!(mixed_7a["output"], serde_json::json!([3, 3, 1792]));
    assert_eq!(
        layers
            .iter()
            .filter(|l| l["name"].as_str().unwrap().contains("block17_"))
            .count(),
        10
    );
}
