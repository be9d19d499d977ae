//! `detect --crop --for-model M` writes exactly the chip model M embeds, so `embed --aligned --model M`
//! of that chip equals `embed --model M` of the photo (issue 22: a 160×160 similarity crop at `--size
//! 150` gave the dlib model an embedding 0.603 from the photo's).

mod common;

use common::{facenet, text};
use std::path::PathBuf;

/// The embedding of each row `embed --json` prints.
fn embeddings(args: &[&str]) -> Vec<Vec<f64>> {
    let out = facenet(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn the_chip_written_for_a_model_embeds_as_the_photo_does() {
    let dir = tempfile::tempdir().unwrap();
    // obama.jpg also holds the desk phone (0.815): the crop, like embed, keeps only the real face.
    let photo: PathBuf = facenet::assets::Cache::from_env().unwrap().ensure("obama.jpg").unwrap();
    for (model, side) in [("facenet", 160), ("dlib", 150)] {
        let out_dir = dir.path().join(model);
        let out = facenet(&["detect", text(&photo), "--crop", text(&out_dir), "--for-model", model]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let chip = out_dir.join("obama.png");
        assert_eq!(image::image_dimensions(&chip).unwrap(), (side, side), "{model}");
        let from_chip = embeddings(&["--json", "embed", "--aligned", "--model", model, text(&chip)]);
        let from_photo = embeddings(&["--json", "embed", "--model", model, text(&photo)]);
        assert_eq!((from_chip.len(), from_photo.len()), (1, 1), "{model}");
        let worst = from_chip[0]
            .iter()
            .zip(&from_photo[0])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 1e-5,
            "{model}: the chip's embedding is {worst} from the photo's"
        );
    }
}

#[test]
fn for_model_excludes_the_crop_shape_options() {
    let out = facenet(&[
        "detect",
        "x.jpg",
        "--crop",
        "out",
        "--for-model",
        "dlib",
        "--size",
        "150",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}
