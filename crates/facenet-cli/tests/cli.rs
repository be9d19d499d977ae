//! The binary's contract: help, version, exit codes 0/1/2, JSON on stdout.

use std::process::{Command, Output};

fn facenet(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .env("FACENET_HOME", home)
        .env("FACENET_PIP", "facenet-test-no-such-pip")
        .env("FACENET_NPM", "facenet-test-no-such-npm")
        .output()
        .expect("the facenet binary should run")
}

#[test]
fn version_and_help_exit_zero() {
    let home = tempfile::tempdir().unwrap();
    let out = facenet(home.path(), &["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("facenet "));
    for args in [
        &["--help"][..],
        &["models", "--help"],
        &["models", "fetch", "--help"],
        &["demo", "--help"],
    ] {
        let out = facenet(home.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn usage_errors_exit_two() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(facenet(home.path(), &["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(facenet(home.path(), &["no-such-command"]).status.code(), Some(2));
    assert_eq!(facenet(home.path(), &["models"]).status.code(), Some(2));
}

#[test]
fn a_missing_client_is_one_error_line_and_exit_one() {
    let home = tempfile::tempdir().unwrap();
    let out = facenet(home.path(), &["models", "fetch", "--package", "facenet_pytorch"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("facenet-test-no-such-pip is not installed"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_package_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let out = facenet(home.path(), &["models", "fetch", "--package", "left-pad"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown package \"left-pad\""));
}

#[test]
fn list_json_on_an_empty_cache() {
    let home = tempfile::tempdir().unwrap();
    let out = facenet(home.path(), &["--json", "models", "list", "--all"]);
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout should be JSON");
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["name"] == "dlib_face_recognition_resnet_model_v1.dat"
                && r["installed"] == false
                && r["licence"] == "CC0-1.0")
    );
    let out = facenet(home.path(), &["models", "path", "obama.jpg"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        home.path().join("assets/obama.jpg").display().to_string()
    );
}

/// Without the `gpu` feature every command that runs a network refuses `--device gpu` with one error line
/// saying how to get it, before it loads or reads anything; a device it does not know is a usage error.
#[cfg(not(feature = "gpu"))]
#[test]
fn the_gpu_device_in_a_cpu_build_is_one_error_saying_how_to_get_it() {
    let home = tempfile::tempdir().unwrap();
    let photo = home.path().join("photo.jpg");
    let photo = photo.to_str().unwrap();
    let run_dir = home.path().join("run");
    for args in [
        &["embed", "--device", "gpu", photo][..],
        &["compare", "--device", "gpu", photo, photo],
        &["bench", "train", "--device", "gpu"],
        &["bench", "embed", "--device", "gpu"],
        &[
            "train",
            "--device",
            "gpu",
            "--data",
            photo,
            "--out",
            run_dir.to_str().unwrap(),
        ],
    ] {
        let out = facenet(home.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(
            errors[0].contains("--device gpu") && errors[0].contains("--features gpu"),
            "{args:?}: {stderr}"
        );
    }
    let out = facenet(home.path(), &["embed", "--device", "tpu", photo]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected cpu or gpu"));
}

/// `facenet … | head -1`: once the reader has gone, the output stops without a panic or a backtrace.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(["model", "summary", "--arch", "nn1"])
        .env("FACENET_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes before the first line is written
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}
