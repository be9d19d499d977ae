//! `facenet export --onnx`: the pretrained FaceNet is written as an ONNX file (its agreement with
//! onnxruntime is `scripts/check_onnx_export.sh`); a model without an exporter (a checkpoint) is refused.

mod common;

use common::{facenet, text};

#[test]
fn facenet_and_dlib_are_written_and_a_checkpoint_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("facenet.onnx");
    let run = facenet(&["--json", "export", "--onnx", text(&out), "--model", "facenet"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let written: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let bytes = std::fs::metadata(&out).unwrap().len();
    assert_eq!(written["bytes"].as_u64(), Some(bytes));
    assert!(bytes > 23_000_000 * 4, "the 23.5 M weights as floats: {bytes} bytes");

    let dlib = dir.path().join("dlib.onnx");
    let run = facenet(&["export", "--onnx", text(&dlib), "--model", "dlib"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        std::fs::metadata(&dlib).unwrap().len() > 5_600_000 * 4,
        "the 5.6 M weights as floats"
    );

    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let refused = dir.path().join("checkpoint.onnx");
    let run = facenet(&["export", "--onnx", text(&refused), "--model", text(&run_dir)]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("not implemented"));
    assert!(!refused.exists(), "nothing is written for a refused model");
}
