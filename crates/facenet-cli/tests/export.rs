//! `facenet export --onnx`: the pretrained FaceNet is written as an ONNX file (its agreement with
//! onnxruntime is `scripts/check_onnx_export.sh`); a model without an exporter is refused by name.

mod common;

use common::{facenet, text};

#[test]
fn facenet_is_written_and_dlib_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("facenet.onnx");
    let run = facenet(&["--json", "export", "--onnx", text(&out), "--model", "facenet"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let written: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let bytes = std::fs::metadata(&out).unwrap().len();
    assert_eq!(written["bytes"].as_u64(), Some(bytes));
    assert!(bytes > 23_000_000 * 4, "the 23.5 M weights as floats: {bytes} bytes");

    let refused = dir.path().join("dlib.onnx");
    let run = facenet(&["export", "--onnx", text(&refused), "--model", "dlib"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("dlib"));
    assert!(!refused.exists(), "nothing is written for a refused model");
}
