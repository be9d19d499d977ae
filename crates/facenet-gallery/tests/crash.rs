//! No data loss: a process killed with SIGKILL in the middle of a bulk enrol leaves a sound gallery
//! holding every face whose enrol call had returned.
//!
//! The test re-runs this test binary as a child that runs only `child_enrols_forever` (ignored unless
//! asked for by name and `FACENET_CRASH_DB`), reads the face ids it prints after each enrol call
//! returns, kills it, and checks the database.

use facenet_core::distance::Metric;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{Gallery, GalleryModel, NewFace};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn model() -> GalleryModel {
    GalleryModel {
        id: "synthetic".into(),
        dim: 128,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    }
}

#[test]
#[ignore = "the child half of sigkill_mid_enrol_loses_no_returned_face"]
fn child_enrols_forever() {
    let Ok(db) = std::env::var("FACENET_CRASH_DB") else {
        return;
    };
    let mut gallery = Gallery::open_for(db.as_ref(), &model()).unwrap();
    let faces = SyntheticFaces::new(50, 100_000, 128, 0.3, 5);
    let stdout = std::io::stdout();
    for (i, (_, embedding)) in faces.iter().enumerate() {
        let ids = gallery
            .enroll(&format!("person{}", i % 7), &[NewFace::bare(embedding)])
            .unwrap();
        let mut out = stdout.lock();
        writeln!(out, "{}", ids[0].expect("a face without a source is always new")).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_mid_enrol_loses_no_returned_face() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_enrols_forever",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FACENET_CRASH_DB", &db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test binary should start again as a child");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut returned = BTreeSet::new();
    while returned.len() < 300 {
        let line = lines.next().expect("the child should keep enrolling").unwrap();
        if let Ok(id) = line.trim().parse::<i64>() {
            returned.insert(id);
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    // Ids printed after those already read also count: their enrol calls returned too.
    returned.extend(lines.map_while(Result::ok).filter_map(|l| l.trim().parse::<i64>().ok()));

    let gallery = Gallery::open(&db).expect("the gallery should open after a kill");
    gallery.integrity_check().expect("integrity_check should pass");
    let mut stored = BTreeSet::new();
    gallery
        .for_each_face(500, |face| {
            stored.insert(face.id);
            Ok(())
        })
        .unwrap();
    let lost: Vec<_> = returned.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} returned faces lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(stored.len() >= returned.len());
}
