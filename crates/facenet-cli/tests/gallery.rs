//! The gallery commands that need no model: list, show, remove, rename, export, import, cluster-eval,
//! on a gallery filled through the library; and the usage errors of enroll, identify and cluster.

use facenet::core::distance::Metric;
use facenet::gallery::synthetic::SyntheticFaces;
use facenet::gallery::{Gallery, GalleryModel, NewFace};
use std::path::Path;
use std::process::{Command, Output};

fn facenet(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .env("FACENET_HOME", home)
        .output()
        .expect("the facenet binary should run")
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout should be JSON")
}

/// 3 identities × 4 synthetic faces, subjects alice, bob, carol.
fn fill(db: &Path) {
    let model = GalleryModel {
        id: "synthetic".into(),
        dim: 128,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    };
    let mut gallery = Gallery::open_for(db, &model).unwrap();
    for (identity, embedding) in SyntheticFaces::new(3, 4, 128, 0.4, 3).iter() {
        gallery
            .enroll(["alice", "bob", "carol"][identity], &[NewFace::bare(embedding)])
            .unwrap();
    }
}

#[test]
fn list_show_rename_remove() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("g.db");
    fill(&db);
    let db = db.to_str().unwrap();
    let list = json(&facenet(home.path(), &["--json", "gallery", "--db", db, "list"]));
    let names: Vec<(&str, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["faces"].as_u64().unwrap()))
        .collect();
    assert_eq!(names, [("alice", 4), ("bob", 4), ("carol", 4)]);

    let show = json(&facenet(home.path(), &["--json", "gallery", "--db", db, "show", "bob"]));
    let faces = show.as_array().unwrap();
    assert_eq!(faces.len(), 4);
    assert_eq!(faces[0]["embedding"].as_array().unwrap().len(), 128);
    let first_bob = faces[0]["id"].as_i64().unwrap().to_string();

    assert_eq!(
        facenet(home.path(), &["gallery", "--db", db, "rename", "bob", "robert"])
            .status
            .code(),
        Some(0)
    );
    let out = facenet(home.path(), &["gallery", "--db", db, "rename", "alice", "robert"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a subject named \"robert\" already exists"));

    let removed = json(&facenet(
        home.path(),
        &[
            "--json", "gallery", "--db", db, "remove", "robert", "--face", &first_bob,
        ],
    ));
    assert_eq!(removed["removed_faces"], 1);
    let out = facenet(
        home.path(),
        &["gallery", "--db", db, "remove", "alice", "--face", &first_bob],
    );
    assert_eq!(out.status.code(), Some(1), "a face of another subject is refused");
    let removed = json(&facenet(
        home.path(),
        &["--json", "gallery", "--db", db, "remove", "carol"],
    ));
    assert_eq!(removed["removed_faces"], 4);

    let out = facenet(home.path(), &["gallery", "--db", db, "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("robert") && !text.contains("carol") && text.contains("2 subjects, 7 faces"),
        "{text}"
    );
    let out = facenet(home.path(), &["gallery", "--db", db, "show", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no subject named \"nobody\""));
}

#[test]
fn export_and_import_move_a_gallery() {
    let home = tempfile::tempdir().unwrap();
    let (a, b, file) = (
        home.path().join("a.db"),
        home.path().join("b.db"),
        home.path().join("backup.jsonl"),
    );
    fill(&a);
    let out = facenet(
        home.path(),
        &[
            "gallery",
            "--db",
            a.to_str().unwrap(),
            "export",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().lines().count(),
        13,
        "a header and 12 faces"
    );
    let imported = json(&facenet(
        home.path(),
        &[
            "--json",
            "gallery",
            "--db",
            b.to_str().unwrap(),
            "import",
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(imported["faces"], 12);
    let list = |db: &Path| {
        json(&facenet(
            home.path(),
            &["--json", "gallery", "--db", db.to_str().unwrap(), "list"],
        ))
    };
    let strip = |v: serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].clone(), s["faces"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(list(&a)), strip(list(&b)));
    let stdout = facenet(
        home.path(),
        &["gallery", "--db", a.to_str().unwrap(), "export", "--out", "-"],
    );
    assert_eq!(stdout.stdout, std::fs::read(&file).unwrap());
}

#[test]
fn cluster_eval_scores_thresholds_against_the_gallery() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("g.db");
    fill(&db);
    let rows = json(&facenet(
        home.path(),
        &[
            "--json",
            "cluster-eval",
            "--db",
            db.to_str().unwrap(),
            "--threshold",
            "0.01,1.0",
        ],
    ));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows[0]["clusters"], 12);
    assert_eq!(rows[1]["clusters"], 3);
    assert!(rows[1]["bcubed"]["f"].as_f64().unwrap() >= 0.99);
    let out = facenet(
        home.path(),
        &[
            "cluster-eval",
            "--db",
            db.to_str().unwrap(),
            "--method",
            "chinese-whispers",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12 faces of 3 identities"));
}

#[test]
fn foreign_files_and_other_models_are_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let junk = home.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 5000]).unwrap();
    let out = facenet(home.path(), &["gallery", "--db", junk.to_str().unwrap(), "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("junk.db: not a facenet gallery"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let empty = home.path().join("empty.db");
    drop(Gallery::open(&empty).unwrap());
    let out = facenet(home.path(), &["cluster-eval", "--db", empty.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty, no model recorded"));
}

#[test]
fn usage_errors_exit_two() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["enroll"][..],
        &["enroll", "--name", "x"],
        &["enroll", "--from-dir", "d", "a.jpg"],
        &["identify"],
        &["identify", "a.jpg", "--aggregation", "median"],
        &["cluster", "photos"],
        &["cluster", "photos", "--out", "c.json", "--method", "kmeans"],
        &["gallery"],
        &["gallery", "rename", "only-one"],
    ] {
        assert_eq!(facenet(home.path(), args).status.code(), Some(2), "{args:?}");
    }
}
