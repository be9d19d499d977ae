//! Detection quality (issue 22): MTCNN's false detections (the desk phone at 0.815 in obama.jpg) stay out
//! of decisions by the default `--min-score`; an enrol photo with several faces is warned about and
//! `enroll --face N` picks one; `compare` says which face of each photo it used.

mod common;

use common::{facenet, photo, text};
use std::process::Output;

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout should be one JSON document")
}

#[test]
fn the_desk_phone_is_no_face_by_default_but_can_be_asked_for_below_a_lower_min_score() {
    let obama = photo("obama.jpg");
    // Default: face 1 (the phone, 0.815) is below the minimum score, so it cannot be compared.
    let refused = facenet(&["compare", "--face", "1", text(&obama), text(&obama)]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("no face 1 above the minimum score") && message.contains("obama.jpg"),
        "{message}"
    );
    // Asked for below a lower minimum, it is used and reported as face 1 with its score.
    let used = json(&facenet(&[
        "--json",
        "compare",
        "--min-score",
        "0.5",
        "--face",
        "1",
        text(&obama),
        text(&obama),
    ]));
    assert_eq!(used["a"]["face"], 1);
    assert_eq!(used["a"]["faces_in_photo"], 2);
    let score = used["a"]["score"].as_f64().unwrap();
    assert!((score - 0.815).abs() < 0.01, "{score}");
    // identify and recognize-style batches see one face in obama.jpg by default, two below 0.5.
    let faces = |extra: &[&str]| {
        let mut args = vec!["--json", "embed"];
        args.extend_from_slice(extra);
        args.push(text(&obama));
        json(&facenet(&args)).as_array().unwrap().len()
    };
    assert_eq!(faces(&[]), 1);
    assert_eq!(faces(&["--min-score", "0.5"]), 2);
}

#[test]
fn compare_says_which_face_of_each_photo_it_used() {
    let (obama, biden) = (photo("obama.jpg"), photo("biden.jpg"));
    let out = facenet(&["compare", text(&obama), text(&biden)]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("obama.jpg: face 0 of 1, box [367, 79, 616, 428]"),
        "{said}"
    );
    assert!(
        said.contains("biden.jpg: face 0 of 1, box [427, 167, 714, 560]"),
        "{said}"
    );
    let answer = json(&facenet(&["--json", "compare", text(&obama), text(&biden)]));
    for (side, name) in [("a", "obama.jpg"), ("b", "biden.jpg")] {
        assert!(answer[side]["path"].as_str().unwrap().ends_with(name), "{answer}");
        assert_eq!(answer[side]["face"], 0);
        assert_eq!(answer[side]["box"].as_array().unwrap().len(), 4);
    }
}

#[test]
fn an_enrol_photo_with_several_faces_is_warned_about_and_face_n_picks_one() {
    let dir = tempfile::tempdir().unwrap();
    let obama = photo("obama.jpg");
    let db = dir.path().join("g.db");
    // With the phone let in, the photo holds two faces: a warning in stderr and in the JSON row.
    let out = facenet(&[
        "--json",
        "enroll",
        "--db",
        text(&db),
        "--name",
        "obama",
        "--min-score",
        "0.5",
        text(&obama),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rows = json(&out);
    assert!(stderr.contains("warning:") && stderr.contains("2 faces"), "{stderr}");
    assert!(rows[0]["warning"].as_str().unwrap().contains("--face N"), "{rows}");
    assert_eq!(rows[0]["enrolled_face"]["face"], 0);
    // --face 1 enrols the other face, without a warning.
    let other = dir.path().join("h.db");
    let rows = json(&facenet(&[
        "--json",
        "enroll",
        "--db",
        text(&other),
        "--name",
        "x",
        "--min-score",
        "0.5",
        "--face",
        "1",
        text(&obama),
    ]));
    assert_eq!(rows[0]["enrolled_face"]["face"], 1);
    assert!(rows[0].get("warning").is_none(), "{rows}");
    // By default the phone does not count: one face, no warning.
    let third = dir.path().join("i.db");
    let out = facenet(&[
        "--json",
        "enroll",
        "--db",
        text(&third),
        "--name",
        "obama",
        text(&obama),
    ]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
    assert_eq!(json(&out)[0]["enrolled_face"]["faces_in_photo"], 1);
}
