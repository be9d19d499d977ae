//! `--json` prints exactly one JSON document on stdout, and nothing else, for every subcommand (issue 22:
//! `demo` printed text before its JSON; `gallery rename`, `detect --crop` and `embed --npy` printed
//! nothing). Each command runs on the fixture photos or tiny generated inputs. `eval ytf` is left out (no
//! video frames among the fixtures); it prints through the same report as `eval pairs` and `eval lfw`.

mod common;

use common::photo;
use std::path::{Path, PathBuf};
use std::process::Command;

fn metrics_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../facenet-core/tests/fixtures/metrics")
        .join(name)
        .display()
        .to_string()
}

/// Runs `facenet --json ARGS` and returns its one JSON document; fails on anything else on stdout.
fn json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_facenet"))
        .arg("--json")
        .args(args)
        .output()
        .expect("the facenet binary should run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not exactly one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn copy(from: &Path, to: PathBuf) -> String {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, &to).unwrap();
    to.display().to_string()
}

#[test]
fn every_subcommand_prints_one_json_document() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).display().to_string();
    let (obama, obama2, biden) = (photo("obama.jpg"), photo("obama2.jpg"), photo("biden.jpg"));
    let (o1, o2) = (obama.display().to_string(), obama2.display().to_string());
    // photos and an LFW-layout folder of them
    let photos = d("photos");
    copy(&obama, dir.path().join("photos/obama.jpg"));
    copy(&biden, dir.path().join("photos/biden.jpg"));
    copy(&obama, dir.path().join("lfw/Obama/Obama_0001.jpg"));
    copy(&obama2, dir.path().join("lfw/Obama/Obama_0002.jpg"));
    copy(&photo("obama3.jpg"), dir.path().join("lfw/Obama/Obama_0003.jpg"));
    copy(&biden, dir.path().join("lfw/Biden/Biden_0001.jpg"));
    let pairs = d("pairs.txt");
    std::fs::write(
        &pairs,
        "2\t1\nObama\t1\t2\nObama\t1\tBiden\t1\nObama\t2\t3\nObama\t3\tBiden\t1\n",
    )
    .unwrap();
    let db = d("g.db");

    let commands: Vec<Vec<String>> = [
        vec!["models", "list"],
        vec!["models", "path"],
        vec!["models", "fetch"],
        vec!["model", "summary", "--arch", "nns2"],
        vec!["demo"],
        vec!["detect", &o2],
        vec!["detect", &photos, "--draw", &d("drawn")],
        vec!["detect", &photos, "--crop", &d("crops"), "--size", "160"],
        vec!["embed", &o2],
        vec!["embed", &o2, "--npy", &d("e.npy")],
        vec!["embed", "--aligned", &d("crops")],
        vec!["compare", &o1, &o2],
        vec!["recognize", &photos, &o2],
        vec!["enroll", "--db", &db, "--name", "obama", &o1],
        vec!["identify", "--db", &db, &o2],
        vec!["gallery", "--db", &db, "list"],
        vec!["gallery", "--db", &db, "show", "obama"],
        vec!["gallery", "--db", &db, "rename", "obama", "barack"],
        vec!["gallery", "--db", &db, "export", "--out", &d("g.jsonl")],
        vec!["gallery", "--db", &d("copy.db"), "import", &d("g.jsonl")],
        vec!["gallery", "--db", &db, "remove", "barack"],
        vec!["cluster", &photos, "--out", &d("clusters.json")],
        vec!["cluster-eval", "--db", &d("copy.db")],
        vec!["eval", "pairs", "--scores", &metrics_fixture("gaussian.csv")],
        vec!["eval", "lfw", "--dir", &d("lfw"), "--pairs", &pairs],
        vec!["calibrate", "--scores", &metrics_fixture("gaussian.csv")],
        vec!["bench", "detect", "--repeat", "1"],
        vec!["bench", "embed", "--batch", "1", "--seconds", "0.1"],
        vec!["bench", "pipeline", "--seconds", "0.1"],
        vec!["bench", "peak", "--seconds", "0.05"],
        vec![
            "synth",
            "--identities",
            "4",
            "--per-identity",
            "3",
            "--size",
            "32",
            "--out",
            &d("synth"),
        ],
        vec![
            "pixel-baseline",
            "--data",
            &d("synth"),
            "--size",
            "32",
            "--side",
            "8",
            "--validation-photos",
            "3",
        ],
        vec![
            "train",
            "--data",
            &d("synth"),
            "--arch",
            "nns2",
            "--embedding-dim",
            "16",
            "--input-size",
            "64x64",
            "--out",
            &d("run"),
            "--steps",
            "1",
            "--people-per-batch",
            "3",
            "--images-per-person",
            "3",
            "--triplets-per-step",
            "3",
            "--validate-every",
            "0",
            "--checkpoint-every",
            "0",
        ],
        vec![
            "compat",
            "--old",
            &d("run"),
            "--new",
            &d("run"),
            "--data",
            &d("synth"),
            "--validation-photos",
            "3",
        ],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(String::from).collect())
    .collect();
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let value = json(&args);
        assert!(!value.is_null(), "{args:?}");
    }
}
