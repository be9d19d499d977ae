//! Inputs that did not work are said, in text and JSON, with exit code 1 (issue 22): a missing gallery
//! is refused by every reading command and never created; photos without a face, an empty known folder;
//! outputs that would overwrite each other; a clustering run's output folders.

mod common;

use common::{facenet, photo, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A grey photo without a face.
fn blank(dir: &Path) -> PathBuf {
    let path = dir.join("blank.png");
    image::RgbImage::from_pixel(200, 160, image::Rgb([128, 128, 128]))
        .save(&path)
        .unwrap();
    path
}

fn copy(from: &Path, to: PathBuf) -> PathBuf {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, &to).unwrap();
    to
}

#[test]
fn reading_commands_refuse_a_gallery_that_does_not_exist_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let nested = dir.path().join("no/such/dir/x.db");
    let obama = photo("obama.jpg");
    for args in [
        vec!["identify", "--db", text(&typo), text(&obama)],
        vec!["gallery", "--db", text(&typo), "list"],
        vec!["gallery", "--db", text(&nested), "list"],
        vec!["gallery", "--db", text(&typo), "show", "alice"],
        vec!["gallery", "--db", text(&typo), "export", "--out", "-"],
        vec!["gallery", "--db", text(&typo), "rename", "a", "b"],
        vec!["cluster-eval", "--db", text(&nested)],
    ] {
        let out = facenet(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("no such gallery file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!typo.exists() && !dir.path().join("no").exists(), "nothing was created");
    // enrol creates the file, never a folder
    let out = facenet(&["enroll", "--db", text(&nested), "--name", "obama", text(&obama)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!dir.path().join("no").exists());
}

#[test]
fn photos_without_a_face_are_said_with_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    let blank = blank(dir.path());
    let db = dir.path().join("g.db");
    let out = facenet(&["enroll", "--db", text(&db), "--name", "nobody", text(&blank)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "enrolling a photo without a face is a failure"
    );
    assert!(stderr(&out).contains("blank.png: no face found"), "{}", stderr(&out));

    let out = facenet(&[
        "enroll",
        "--db",
        text(&db),
        "--name",
        "obama",
        text(&photo("obama.jpg")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let obama2 = photo("obama2.jpg");
    let out = facenet(&["identify", "--db", text(&db), text(&blank), text(&obama2)]);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert!(lines.lines().next().unwrap().contains("no_persons_found"), "{lines}");
    assert!(lines.lines().nth(1).unwrap().contains("obama"), "{lines}");
    let out = facenet(&["--json", "identify", "--db", text(&db), text(&blank), text(&obama2)]);
    assert_eq!(out.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "no_persons_found");
    assert_eq!(rows[0]["face"], serde_json::Value::Null);
    assert_eq!(
        (rows[1]["name"].as_str(), rows[1]["face"].as_u64()),
        (Some("obama"), Some(0))
    );
    assert_eq!(rows[1]["box"].as_array().unwrap().len(), 4);
}

#[test]
fn recognize_says_no_persons_found_refuses_an_empty_known_folder_and_takes_folders() {
    let dir = tempfile::tempdir().unwrap();
    let blank = blank(dir.path());
    let empty_known = dir.path().join("emptyknown");
    copy(&blank, empty_known.join("ghost.png"));
    let obama2 = photo("obama2.jpg");
    let out = facenet(&["recognize", text(&empty_known), text(&obama2)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("no known face"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("unknown_person"));

    let known = dir.path().join("known");
    copy(&photo("obama.jpg"), known.join("obama.jpg"));
    let unknown = dir.path().join("unknown");
    copy(&obama2, unknown.join("deep/o2.jpg"));
    copy(&photo("biden.jpg"), unknown.join("b.jpg"));
    let out = facenet(&["recognize", text(&known), text(&unknown), text(&blank)]);
    assert_eq!(out.status.code(), Some(1), "the photo without a face makes it 1");
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    // all photos in path order: blank.png sorts before unknown/
    assert_eq!(lines[0], format!("{},no_persons_found", text(&blank)));
    let b = text(&unknown.join("b.jpg")).to_string();
    assert!(lines[1].starts_with(&format!("{b},unknown_person,,0,")), "{lines:?}");
    let o2 = text(&unknown.join("deep/o2.jpg")).to_string();
    assert!(lines[2].starts_with(&format!("{o2},obama,0.")), "{lines:?}");
    assert_eq!(lines[2].split(',').count(), 8, "path,name,distance,face,x1,y1,x2,y2");

    let out = facenet(&["--json", "recognize", text(&known), text(&unknown)]);
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "unknown", "JSON says unknown, as identify");
    assert_eq!(rows[1]["face"], 0);
    assert_eq!(rows[1]["box"].as_array().unwrap().len(), 4);
}

#[test]
fn outputs_that_would_overwrite_each_other_are_an_error_and_relative_folders_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let obama2 = photo("obama2.jpg");
    let x = copy(&obama2, dir.path().join("in/x/trip/a.jpg"));
    let y = copy(&obama2, dir.path().join("in/y/trip/a.jpg"));
    for flag in ["--crop", "--draw"] {
        let out_dir = dir.path().join(flag.trim_start_matches('-'));
        let out = facenet(&["detect", text(&x), text(&y), flag, text(&out_dir)]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = stderr(&out);
        assert!(err.contains(text(&x)) && err.contains(text(&y)), "{flag}: {err}");
        assert!(!out_dir.join("a.png").exists(), "{flag}: nothing written");

        let out = facenet(&["detect", text(&dir.path().join("in")), flag, text(&out_dir)]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", stderr(&out));
        for kept in ["x/trip/a.png", "y/trip/a.png"] {
            assert!(out_dir.join(kept).is_file(), "{flag}: {kept}");
        }
    }
}

#[test]
fn a_clustering_run_owns_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy(&photo("obama.jpg"), photos.join("o1.jpg"));
    copy(&photo("obama2.jpg"), photos.join("o2.jpg"));
    let out = dir.path().join("clusters.json");
    let links = dir.path().join("links");
    let run = |extra: &[&str]| {
        let mut args = vec!["cluster", text(&photos), "--out", text(&out), "--link", text(&links)];
        args.extend_from_slice(extra);
        facenet(&args)
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let sheets = dir.path().join("clusters.json.sheets");
    let stale = sheets.join("cluster_099.png");
    std::fs::write(&stale, b"an earlier run's sheet").unwrap();
    std::fs::create_dir_all(links.join("cluster_099")).unwrap();

    let again = run(&[]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "a second run into the same output is refused"
    );
    assert!(stderr(&again).contains("--overwrite"), "{}", stderr(&again));
    assert!(stale.exists());

    assert_eq!(run(&["--overwrite"]).status.code(), Some(0));
    assert!(
        !stale.exists() && !links.join("cluster_099").exists(),
        "the earlier run's output is gone"
    );
    assert!(sheets.join("cluster_000.png").is_file() && links.join("cluster_000").is_dir());

    // --overwrite never empties a folder that holds something a run did not write
    std::fs::write(links.join("my_notes.txt"), b"mine").unwrap();
    let out = run(&["--overwrite"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("my_notes.txt"), "{}", stderr(&out));
    assert!(links.join("my_notes.txt").exists());
}
