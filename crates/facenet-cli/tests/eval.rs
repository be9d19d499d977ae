//! `facenet eval pairs` / `facenet calibrate` / `facenet eval lfw|ytf` argument and file handling: the
//! JSON schema shared by every protocol, the report folder, and malformed files named with their line.
//! (The LFW and YTF runs themselves are tested in facenet-core with a fake embedder.)

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn facenet(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .env("FACENET_HOME", home)
        .output()
        .expect("the facenet binary should run")
}

fn metrics_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../facenet-core/tests/fixtures/metrics")
        .join(name)
}

fn json_of(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout should be one JSON document")
}

#[test]
fn eval_pairs_json_has_the_protocol_schema() {
    let home = tempfile::tempdir().unwrap();
    let scores = metrics_fixture("gaussian.csv");
    let report = json_of(&facenet(
        home.path(),
        &["--json", "eval", "pairs", "--scores", scores.to_str().unwrap()],
    ));
    for key in [
        "accuracy_mean",
        "accuracy_se",
        "accuracy_std",
        "val_mean",
        "val_std",
        "far_mean",
        "auc",
        "eer",
        "pairs",
        "folds",
        "skipped_pairs",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    assert_eq!(report["pairs"], 600);
    let folds = report["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 10);
    for key in ["threshold", "accuracy", "val", "far"] {
        assert!(folds[0].get(key).is_some(), "fold missing {key}");
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(metrics_fixture("expected.json")).unwrap()).unwrap();
    let reference = expected["gaussian"]["accuracy_mean"].as_f64().unwrap();
    assert!((report["accuracy_mean"].as_f64().unwrap() - reference).abs() < 1e-9);
}

#[test]
fn eval_pairs_without_folds_splits_in_file_order() {
    let home = tempfile::tempdir().unwrap();
    let scores = home.path().join("scores.csv");
    let lines: String = (0..50)
        .map(|i| format!("{},{}\n", 0.1 + (i % 7) as f64 * 0.2, i % 2))
        .collect();
    std::fs::write(&scores, format!("distance,same\n{lines}")).unwrap();
    let report = json_of(&facenet(
        home.path(),
        &[
            "--json",
            "eval",
            "pairs",
            "--scores",
            scores.to_str().unwrap(),
            "--folds",
            "5",
        ],
    ));
    let pairs_per_fold: Vec<u64> = report["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pairs"].as_u64().unwrap())
        .collect();
    assert_eq!(pairs_per_fold, [10; 5]);
}

#[test]
fn eval_pairs_report_folder_joins_json_charts_and_page() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("report");
    let scores = metrics_fixture("far_1e-3.csv");
    let out = facenet(
        home.path(),
        &[
            "eval",
            "pairs",
            "--scores",
            scores.to_str().unwrap(),
            "--report",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("accuracy 94.90 %"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["pairs"], 3000);
    for png in ["roc.png", "histogram.png"] {
        let bytes = std::fs::read(dir.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{png} should be a PNG");
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("roc.png") && html.contains("histogram.png") && html.contains("94.90 %"));
}

#[test]
fn calibrate_reaches_the_target_far() {
    let home = tempfile::tempdir().unwrap();
    let scores = metrics_fixture("gaussian.csv");
    let c = json_of(&facenet(
        home.path(),
        &[
            "--json",
            "calibrate",
            "--scores",
            scores.to_str().unwrap(),
            "--far",
            "0.01",
        ],
    ));
    assert!(c["far"].as_f64().unwrap() <= 0.01);
    let (val, low, high) = (
        c["val"].as_f64().unwrap(),
        c["val_interval"]["low"].as_f64().unwrap(),
        c["val_interval"]["high"].as_f64().unwrap(),
    );
    assert!(low < val && val < high, "{c}");
    assert_eq!((c["n_same"].as_u64(), c["n_diff"].as_u64()), (Some(300), Some(300)));
}

#[test]
fn malformed_files_fail_with_their_line() {
    let home = tempfile::tempdir().unwrap();
    let scores = home.path().join("bad.csv");
    std::fs::write(&scores, "fold,distance,same\n1,0.5,1\n1,0.6\n").unwrap();
    let pairs = home.path().join("pairs.txt");
    std::fs::write(&pairs, "10\t300\nAbel_Pacheco\t1\tfour\n").unwrap();
    let splits = home.path().join("splits.tsv");
    std::fs::write(
        &splits,
        "split\tvideo1\tvideo2\tsame\tname1\tname2\n1\t1\t2\tyes\ta\tb\n",
    )
    .unwrap();
    let videos = home.path().join("videos.tsv");
    std::fs::write(&videos, "video_index_1based\tlabel\tname\n1\t1\tA/0\n2\t1\tA/1\n").unwrap();
    let cases: [(Vec<&str>, String); 4] = [
        (
            vec!["eval", "pairs", "--scores", scores.to_str().unwrap()],
            format!("{}:3:", scores.display()),
        ),
        (
            vec!["calibrate", "--scores", scores.to_str().unwrap()],
            format!("{}:3:", scores.display()),
        ),
        (
            vec!["eval", "lfw", "--dir", ".", "--pairs", pairs.to_str().unwrap()],
            format!("{}:2:", pairs.display()),
        ),
        (
            vec![
                "eval",
                "ytf",
                "--dir",
                ".",
                "--splits",
                splits.to_str().unwrap(),
                "--videos",
                videos.to_str().unwrap(),
            ],
            format!("{}:2:", splits.display()),
        ),
    ];
    for (args, expected) in cases {
        let out = facenet(home.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
    }
}
