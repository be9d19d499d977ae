//! A PostgreSQL restart in the middle of a batch enrol (the cluster of scripts/pg_test_server.sh stopped
//! and started by the test): the gallery reconnects and retries, or stops with a clear error, and every
//! face it reported stored is there, once. Its own test binary, so no other test sees the restart.

mod common;

use facenet_core::distance::Metric;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{FaceSource, Gallery, GalleryLocation, GalleryModel, NewFace};
use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

fn server_script(action: &str) {
    let status = Command::new(common::pg_script()).arg(action).status().unwrap();
    assert!(status.success(), "pg_test_server.sh {action}");
}

/// Starts the server again even when the test fails half-way.
struct RestartGuard;

impl Drop for RestartGuard {
    fn drop(&mut self) {
        let _ = Command::new(common::pg_script()).arg("start").output();
    }
}

#[test]
fn a_server_restart_mid_enrol_loses_nothing_reported_stored() {
    let Some(server) = common::pg_server() else { return };
    let location = GalleryLocation::Postgres(common::fresh_database(&server));
    let model = GalleryModel {
        id: "synthetic".into(),
        dim: 32,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    };
    let mut gallery = Gallery::open_location_for(&location, &model).unwrap();
    let faces = SyntheticFaces::new(100, 4, 32, 0.3, 3);
    let items: Vec<(String, NewFace)> = (0..faces.len())
        .map(|i| {
            let (identity, embedding) = faces.face(i);
            let source = FaceSource {
                path: format!("{i}.jpg"),
                sha256: format!("sha{i}"),
                face_index: 0,
            };
            (
                format!("person{identity}"),
                NewFace {
                    source: Some(source),
                    ..NewFace::bare(embedding)
                },
            )
        })
        .collect();
    let _guard = RestartGuard;
    let restarter = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        server_script("stop");
        std::thread::sleep(Duration::from_secs(1));
        server_script("start");
    });
    let (mut reported, mut errors) = (Vec::new(), Vec::new());
    for chunk in items.chunks(4) {
        let batch: Vec<(&str, &NewFace)> = chunk.iter().map(|(s, f)| (s.as_str(), f)).collect();
        match gallery.enroll_batch(&batch) {
            Ok(ids) => reported.extend(ids.into_iter().flatten()),
            Err(e) => errors.push(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    restarter.join().unwrap();
    for error in &errors {
        assert!(
            error.contains(&location.to_string()),
            "a clear error names the gallery: {error}"
        );
    }
    let reopened = Gallery::open_location(&location, false).unwrap();
    let mut stored = HashSet::new();
    reopened
        .for_each_face(100, |face| {
            stored.insert(face.id);
            Ok(())
        })
        .unwrap();
    assert!(
        reported.iter().all(|id| stored.contains(id)),
        "every face reported stored is there"
    );
    assert_eq!(stored.len(), reopened.face_count().unwrap());
    assert!(errors.is_empty(), "the restart is survived by reconnecting: {errors:?}");
    assert_eq!(reported.len(), items.len(), "every face stored once");
    assert_eq!(stored.len(), items.len());
}
