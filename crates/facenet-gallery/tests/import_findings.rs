//! Gallery import files as fuzzing found them (issue 20, target `gallery_import`): every bad line is an
//! error naming the file and the line.

use facenet_gallery::Gallery;
use facenet_gallery::jsonl::import;
use std::path::Path;

const HEADER: &str =
    r#"{"format":"facenet-gallery","version":1,"model":{"id":"tiny","dim":4,"metric":"squared_l2","threshold":1.1}}"#;

/// Fuzz finding: a face whose embedding is shorter than the header's model failed in the final batch's
/// insert with "embedding of 3 values, the gallery's model … makes 4", naming neither file nor line.
#[test]
fn a_short_embedding_names_the_file_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = Gallery::open(&dir.path().join("g.db")).unwrap();
    let text = format!(
        "{HEADER}\n{}\n{}\n",
        r#"{"id":1,"subject":"ann","model_id":"tiny","embedding":[0.5,0.5,0.5,0.5],"created_at":1}"#,
        r#"{"id":2,"subject":"bob","model_id":"tiny","embedding":[1.0,0.0,0.0],"created_at":2}"#
    );
    let error = import(&mut gallery, text.as_bytes(), Path::new("export.jsonl")).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("export.jsonl") && message.contains('3') && message.contains("embedding of 3 values"),
        "{message}"
    );
}
