//! The LFW and YTF runners end to end on stand-in trees (empty files named as the protocols want) with
//! a fake embedder: every image is embedded once, pairs are skipped with a reason when an image is
//! missing or faceless, and the report has the protocol's folds.

mod common;

use common::{fake_embedding, fixture, scratch_dir, shared_data, touch};
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_core::metrics::PAPER_TARGET_FAR;
use facenet_core::protocols::lfw::{evaluate_lfw, read_lfw_pairs};
use facenet_core::protocols::ytf::{PAPER_FRAMES, evaluate_ytf, read_ytf, video_frames};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

/// The fake embedder, with `None` (no face) for files whose name contains "noface".
fn embedder(root: &Path) -> impl Fn(&Path) -> Result<Option<Embedding>, String> + Sync + '_ {
    move |path: &Path| {
        if path.to_string_lossy().contains("noface") {
            Ok(None)
        } else {
            Ok(Some(fake_embedding(root, path)))
        }
    }
}

#[test]
fn lfw_sample_skips_missing_and_faceless_images() {
    let pairs = read_lfw_pairs(&fixture("lfw/pairs_view2_sample.txt")).unwrap();
    let dir = scratch_dir();
    let root = dir.path();
    for pair in &pairs.pairs {
        for image in [&pair.first, &pair.second] {
            touch(root, &image.relative_path("jpg"));
        }
    }
    // Dean_Barker_0001 is missing; Abdullah_Gul_0006 exists only as .png.
    std::fs::remove_file(root.join("Dean_Barker/Dean_Barker_0001.jpg")).unwrap();
    std::fs::remove_file(root.join("Abdullah_Gul/Abdullah_Gul_0006.jpg")).unwrap();
    touch(root, Path::new("Abdullah_Gul/Abdullah_Gul_0006.png"));
    let embedded = Mutex::new(Vec::new());
    let embed = |path: &Path| -> Result<Option<Embedding>, String> {
        embedded.lock().unwrap().push(path.to_path_buf());
        // Akhmed_Zakayev_0003 has no detectable face.
        if path.ends_with("Akhmed_Zakayev/Akhmed_Zakayev_0003.jpg") {
            Ok(None)
        } else {
            Ok(Some(fake_embedding(root, path)))
        }
    };
    let scored = evaluate_lfw(root, &pairs, Metric::SquaredL2, embed).unwrap();

    let embedded = embedded.into_inner().unwrap();
    let distinct: HashSet<_> = embedded.iter().collect();
    assert_eq!(distinct.len(), embedded.len(), "each image should be embedded once");
    assert!(
        embedded
            .iter()
            .any(|p| p.ends_with("Abdullah_Gul/Abdullah_Gul_0006.png"))
    );

    let skipped: Vec<(usize, &str)> = scored.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0].0, 3, "Akhmed_Zakayev 1 3");
    assert!(skipped[0].1.starts_with("no face detected in "), "{}", skipped[0].1);
    assert_eq!(skipped[1].0, 4, "Akhmed_Zakayev 2 3");
    assert_eq!(skipped[2].0, 5, "Abdel_Madi_Shabneh 1 Dean_Barker 1");
    assert!(
        skipped[2].1.starts_with("missing image ") && skipped[2].1.contains("Dean_Barker_0001.jpg"),
        "{}",
        skipped[2].1
    );

    assert_eq!(scored.distances.len(), 9);
    let report = scored.evaluate(PAPER_TARGET_FAR).unwrap();
    assert_eq!((report.evaluation.pairs, report.skipped_pairs), (9, 3));
    assert_eq!(report.evaluation.cross_validation.folds.len(), 2);
    let json = serde_json::to_value(&report).unwrap();
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
        "skipped",
    ] {
        assert!(json.get(key).is_some(), "the report JSON should have {key}");
    }
}

#[test]
fn lfw_real_pairs_on_a_stand_in_tree() {
    let Some(path) = shared_data("lfw/pairs.txt") else {
        return;
    };
    let pairs = read_lfw_pairs(&path).unwrap();
    let dir = scratch_dir();
    let root = dir.path();
    let mut images: Vec<_> = pairs.pairs.iter().flat_map(|p| [&p.first, &p.second]).collect();
    images.sort();
    images.dedup();
    for image in &images {
        touch(root, &image.relative_path("jpg"));
    }
    let embed = embedder(root);
    let report = evaluate_lfw(root, &pairs, Metric::SquaredL2, embed)
        .unwrap()
        .evaluate(PAPER_TARGET_FAR)
        .unwrap();
    let cv = &report.evaluation.cross_validation;
    assert_eq!(
        (report.evaluation.pairs, report.skipped_pairs, cv.folds.len()),
        (6000, 0, 10)
    );
    assert!(cv.folds.iter().all(|f| f.pairs == 600));
    assert!(
        cv.accuracy_mean > 0.95,
        "the fake embedder separates identities: {}",
        cv.accuracy_mean
    );
    assert!(report.evaluation.auc > 0.98);
}

#[test]
fn frames_sort_by_frame_number() {
    let dir = scratch_dir();
    for name in ["0.10.jpg", "0.2.jpg", "0.1.jpg", "notes.txt"] {
        touch(dir.path(), Path::new(name));
    }
    let frames: Vec<String> = video_frames(dir.path())
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(frames, ["0.1.jpg", "0.2.jpg", "0.10.jpg"]);
}

#[test]
fn ytf_sample_uses_the_first_frames_with_a_face() {
    let protocol = read_ytf(&fixture("ytf/videos_sample.tsv"), &fixture("ytf/splits_sample.tsv")).unwrap();
    let dir = scratch_dir();
    let root = dir.path();
    for video in &protocol.videos {
        if video.name == "Ray_Wasden/0" {
            continue; // a missing video folder
        }
        for frame in 1..=6 {
            let name = if frame == 2 {
                format!("noface.{frame}.jpg")
            } else {
                format!("{}.{frame}.jpg", video.index)
            };
            touch(root, &Path::new(&video.name).join(name));
        }
    }
    let embed = embedder(root);
    let used = Mutex::new(Vec::new());
    let embed = |path: &Path| {
        used.lock().unwrap().push(path.to_path_buf());
        embed(path)
    };
    let scored = evaluate_ytf(root, &protocol, 3, Metric::SquaredL2, embed).unwrap();
    assert_eq!(scored.skipped.len(), 1);
    assert_eq!(
        (scored.skipped[0].line, scored.skipped[0].second.as_str()),
        (4, "Ray_Wasden/0")
    );
    // Frames 1, 2 (no face), 3, 4 give 3 faces: 5 and 6 are never read.
    let used = used.into_inner().unwrap();
    assert!(
        used.iter()
            .all(|p| !p.to_string_lossy().ends_with(".5.jpg") && !p.to_string_lossy().ends_with(".6.jpg"))
    );
    assert_eq!(used.len(), 15 * 4);

    // The first pair's distance is the mean over the 3 × 3 frame pairs.
    let frames = |video: &str, index: u32| -> Vec<Embedding> {
        [1, 3, 4]
            .iter()
            .map(|f| fake_embedding(root, &root.join(video).join(format!("{index}.{f}.jpg"))))
            .collect()
    };
    let (a, b) = (frames("Sadie_Frost/1", 2961), frames("Sadie_Frost/5", 2963));
    let mean: f64 = a
        .iter()
        .flat_map(|x| {
            b.iter()
                .map(move |y| f64::from(Metric::SquaredL2.distance(x.as_slice(), y.as_slice())))
        })
        .sum::<f64>()
        / 9.0;
    assert!((scored.distances[0] - mean).abs() < 1e-12);

    let report = scored.evaluate(PAPER_TARGET_FAR).unwrap();
    assert_eq!(
        (report.evaluation.pairs, report.evaluation.cross_validation.folds.len()),
        (7, 2)
    );
    assert_eq!(PAPER_FRAMES, 100);
}
