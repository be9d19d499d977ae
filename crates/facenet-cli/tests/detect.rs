//! `facenet detect` end to end on a fixture photo (from the asset cache): table, CSV, JSON, drawings,
//! dataset crops (resumable, a bad file reported and the rest done), and the pixel limit.

mod common;

use common::{facenet, photo, text};
use std::path::Path;

#[test]
fn json_csv_and_drawings() {
    let obama2 = photo("obama2.jpg");
    let out = facenet(&["--json", "detect", text(&obama2)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let photos: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let face = &photos[0]["faces"][0];
    assert_eq!(photos[0]["path"], text(&obama2));
    assert_eq!(photos[0]["faces"].as_array().unwrap().len(), 1);
    assert_eq!(face["box"].as_array().unwrap().len(), 4);
    assert_eq!(face["landmarks"].as_array().unwrap().len(), 5);
    assert!(face["score"].as_f64().unwrap() > 0.99);
    // The reference box of obama2.jpg is [190.16, 213.31, 472.48, 638.68].
    assert!((face["box"][0].as_f64().unwrap() - 190.16).abs() < 1.0);

    let out = facenet(&["detect", "--csv", text(&obama2)]);
    let csv = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("path,face,score,x1,y1,x2,y2,lx1,ly1"), "{csv}");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].split(',').count(), 17);

    let dir = tempfile::tempdir().unwrap();
    let out = facenet(&["detect", "--draw", text(dir.path()), text(&obama2)]);
    assert_eq!(out.status.code(), Some(0));
    let drawn = image::open(dir.path().join("obama2.png")).unwrap();
    assert_eq!((drawn.width(), drawn.height()), (626, 1200));
}

#[test]
fn crops_a_dataset_resumably_and_reports_the_bad_file() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(data.join("obama")).unwrap();
    std::fs::create_dir_all(data.join("nobody")).unwrap();
    std::fs::copy(photo("obama2.jpg"), data.join("obama").join("o2.jpg")).unwrap();
    std::fs::write(data.join("nobody").join("broken.jpg"), b"\xff\xd8\xff truncated").unwrap();
    let out_dir = root.path().join("crops");
    for (align, size) in [("similarity", "112"), ("tight", "160")] {
        let out_dir = out_dir.join(align);
        let args = [
            "detect",
            text(&data),
            "--crop",
            text(&out_dir),
            "--size",
            size,
            "--align",
            align,
        ];
        let out = facenet(&args);
        assert_eq!(out.status.code(), Some(1), "the broken file makes the exit code 1");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("broken.jpg") && stderr.contains("1 written"),
            "{stderr}"
        );
        let crop = image::open(out_dir.join("obama").join("o2.png")).unwrap();
        assert_eq!(crop.width().to_string(), size);
        let again = String::from_utf8_lossy(&facenet(&args).stderr).to_string();
        assert!(again.contains("0 written, 1 skipped"), "{again}");
    }
}

#[test]
fn pixel_limit_is_a_clear_error() {
    let out = facenet(&["detect", "--max-pixels", "1000", text(&photo("obama.jpg"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the limit of 1000"));
}

/// `--detector hog` is dlib's HOG detector: its boxes (dlib's, [left, top, right, bottom]) at upsample 1
/// and 0, without landmarks; an unknown detector is a usage error.
#[test]
fn hog_detector_gives_dlibs_boxes() {
    let (obama2, biden) = (photo("obama2.jpg"), photo("biden.jpg"));
    // (photo file name, box) per face; photos come out sorted by path, as every command lists them
    let boxes = |extra: &[&str]| -> Vec<(String, Vec<i64>)> {
        let mut args = vec!["--json", "detect", "--detector", "hog"];
        args.extend_from_slice(extra);
        args.extend([text(&obama2), text(&biden)]);
        let out = facenet(&args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let photos: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        photos
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| {
                let name = Path::new(p["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                p["faces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |f| (name.clone(), f.clone()))
                    .collect::<Vec<_>>()
            })
            .map(|(name, f)| {
                assert!(f["landmarks"].as_array().unwrap().is_empty());
                let bbox = f["box"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as i64)
                    .collect();
                (name, bbox)
            })
            .collect()
    };
    let named = |pairs: [(&str, [i64; 4]); 2]| -> Vec<(String, Vec<i64>)> {
        pairs.iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect()
    };
    assert_eq!(
        boxes(&[]),
        named([
            ("biden.jpg", [419, 241, 740, 562]),
            ("obama2.jpg", [171, 290, 438, 558])
        ])
    );
    assert_eq!(
        boxes(&["--upsample", "0"]),
        named([
            ("biden.jpg", [439, 233, 749, 542]),
            ("obama2.jpg", [164, 302, 474, 611])
        ])
    );
    let out = facenet(&["detect", "--detector", "nope", text(&obama2)]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--detector cnn` is dlib's MMOD CNN detector: dlib's boxes (`cnn_face_detection_model_v1(...)(img, 1)`)
/// and confidences, without landmarks; `recognize --detector cnn` tells Obama from Biden.
#[test]
fn cnn_detector_gives_dlibs_boxes_and_recognizes() {
    let obama2 = photo("obama2.jpg");
    let out = facenet(&["--json", "detect", "--detector", "cnn", text(&obama2)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let photos: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let faces = photos[0]["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    let bbox: Vec<i64> = faces[0]["box"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as i64)
        .collect();
    assert_eq!(bbox, [135, 277, 429, 571]);
    assert!((faces[0]["score"].as_f64().unwrap() - 1.055411).abs() < 1e-3);
    assert!(faces[0]["landmarks"].as_array().unwrap().is_empty());

    let known = tempfile::tempdir().unwrap();
    std::fs::copy(photo("obama.jpg"), known.path().join("obama.jpg")).unwrap();
    std::fs::copy(photo("biden.jpg"), known.path().join("biden.jpg")).unwrap();
    let out = facenet(&["recognize", "--detector", "cnn", text(known.path()), text(&obama2)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.contains("obama2.jpg,obama")), "{stdout}");
    assert!(!stdout.contains("biden"), "{stdout}");
}

/// `recognize --detector hog` (face_recognition's pipeline: HOG boxes, dlib landmarks and ResNet) tells
/// Obama from Biden.
#[test]
fn recognize_with_the_hog_detector() {
    let known = tempfile::tempdir().unwrap();
    std::fs::copy(photo("obama.jpg"), known.path().join("obama.jpg")).unwrap();
    std::fs::copy(photo("biden.jpg"), known.path().join("biden.jpg")).unwrap();
    let out = facenet(&[
        "recognize",
        "--detector",
        "hog",
        text(known.path()),
        text(&photo("obama2.jpg")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.contains("obama2.jpg,obama")), "{stdout}");
    assert!(!stdout.contains("biden"), "{stdout}");
}

#[test]
fn numeric_options_outside_their_range_are_usage_errors_that_say_why() {
    let obama = photo("obama.jpg");
    for (args, reason) in [
        (vec!["detect", "--min-face", "0"], "P-Net's window is 12 px"),
        (vec!["detect", "--min-face", "NaN"], "outside 12..="),
        (vec!["detect", "--max-pixels", "0"], "outside 1..="),
        (vec!["detect", "--crop", "c", "--size", "0"], "outside 16..=1024"),
        (vec!["compare", "--threshold=-1"], "a distance"),
        (vec!["identify", "--k", "0"], "at least 1"),
    ] {
        let mut args = args;
        args.push(text(&obama));
        if args[0] == "compare" {
            args.push(text(&obama));
        }
        let out = facenet(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
    // the smallest allowed face still works on a photo (the pyramid stays bounded)
    let out = facenet(&["detect", "--min-face", "12", text(&photo("obama2.jpg"))]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
