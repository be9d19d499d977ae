//! The pretrained FaceNet is the default model; galleries made with the dlib ResNet keep working with
//! `--model dlib` and refuse the default with a clear error. Real photos and weights from the asset cache.

use std::path::Path;
use std::process::{Command, Output};

fn facenet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .env_remove("FACENET_HOME")
        .output()
        .expect("facenet should run")
}

fn photo(name: &str) -> String {
    let out = facenet(&["models", "path", name]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn compare_defaults_to_facenet_and_reports_the_model() {
    let (obama, obama2, biden) = (photo("obama.jpg"), photo("obama2.jpg"), photo("biden.jpg"));
    let same = stdout_json(&facenet(&["--json", "compare", &obama, &obama2]));
    assert_eq!(same["model"], "facenet_20180408_102900");
    assert_eq!(same["same"], true);
    // squared L2 of unit vectors: the reference photos' 0.48 (OpenCV on the reference crops)
    assert!((same["distance"].as_f64().unwrap() - 0.48).abs() < 0.02, "{same}");
    assert!((same["threshold"].as_f64().unwrap() - 1.1).abs() < 1e-6);
    let different = stdout_json(&facenet(&["--json", "compare", &obama, &biden]));
    assert_eq!(different["same"], false);
    assert!(different["distance"].as_f64().unwrap() > 1.7, "{different}");
    let dlib = stdout_json(&facenet(&["--json", "compare", "--model", "dlib", &obama, &obama2]));
    assert_eq!(
        (dlib["model"].as_str(), dlib["same"].as_bool()),
        (Some("dlib_resnet_v1"), Some(true))
    );
}

#[test]
fn a_dlib_gallery_keeps_working_with_dlib_and_refuses_facenet() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("dlib.db");
    let db = db.to_str().unwrap();
    let (obama, obama2) = (photo("obama.jpg"), photo("obama2.jpg"));
    let out = facenet(&["enroll", "--db", db, "--model", "dlib", "--name", "obama", &obama]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found = stdout_json(&facenet(&[
        "--json", "identify", "--db", db, "--model", "dlib", &obama2,
    ]));
    assert!(found.to_string().contains("obama"), "{found}");
    let refused = facenet(&["identify", "--db", db, &obama2]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr.contains("dlib_resnet_v1") && stderr.contains("facenet_20180408_102900") && stderr.contains("--model"),
        "{stderr}"
    );
    assert!(Path::new(db).exists());
}
