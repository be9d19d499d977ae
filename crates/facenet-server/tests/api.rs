//! CompreFace's REST API v1 on real photos, in-process: examples, recognition, subjects, detection,
//! verification, and the answers' field names and status codes.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use common::{photo, server};
use serde_json::json;

#[tokio::test]
async fn examples_are_added_listed_recognised_downloaded_and_deleted() {
    let s = server();
    let obama = photo("obama.jpg");
    let obama_id = s.add("obama", &obama).await;
    let biden_id = s.add("biden", &photo("biden.jpg")).await;
    assert_ne!(obama_id, biden_id);

    let (status, list) = s
        .json("GET", "/api/v1/recognition/faces?page=0&size=1", &s.recognition, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total_elements"], 2);
    assert_eq!(list["total_pages"], 2);
    assert_eq!(list["page_size"], 1);
    assert_eq!(list["faces"][0]["image_id"], obama_id.as_str());
    assert_eq!(list["faces"][0]["subject"], "obama");

    let (status, answer) = s
        .post_images(
            "/api/v1/recognition/recognize?prediction_count=2&status=true",
            &s.recognition,
            &[("file", &photo("obama2.jpg"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let face = &answer["result"][0];
    assert_eq!(face["subjects"][0]["subject"], "obama");
    assert_eq!(face["subjects"][1]["subject"], "biden");
    let (same, other) = (
        face["subjects"][0]["similarity"].as_f64().unwrap(),
        face["subjects"][1]["similarity"].as_f64().unwrap(),
    );
    assert!(same > 0.5 && other < 0.5, "similarities {same} {other}");
    assert!(face["box"]["x_max"].as_i64().unwrap() > face["box"]["x_min"].as_i64().unwrap());
    assert!(face["execution_time"]["detector"].is_number());
    assert!(
        answer["plugins_versions"]["calculator"]
            .as_str()
            .unwrap()
            .starts_with("facenet.")
    );
    assert!(face.get("embedding").is_none(), "no calculator plugin asked");

    let (status, bytes) = s
        .raw(
            Request::get(format!("/api/v1/recognition/faces/{obama_id}/img"))
                .header("x-api-key", &s.recognition)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!((status, bytes == obama), (StatusCode::OK, true));
    let (status, bytes) = s
        .raw(
            Request::get(format!("/api/v1/static/{}/images/{obama_id}", s.recognition))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!((status, bytes == obama), (StatusCode::OK, true));

    let uri = format!("/api/v1/recognition/faces/{obama_id}");
    let (status, removed) = s.json("DELETE", &uri, &s.recognition, None).await;
    assert_eq!(
        (status, removed),
        (StatusCode::OK, json!({"image_id": obama_id, "subject": "obama"}))
    );
    let (status, again) = s.json("DELETE", &uri, &s.recognition, None).await;
    assert_eq!((status, again["code"].as_u64()), (StatusCode::NOT_FOUND, Some(11)));

    let (status, answer) = s
        .post_images(
            "/api/v1/recognition/recognize",
            &s.recognition,
            &[("file", &photo("obama2.jpg"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["result"][0]["subjects"][0]["subject"], "biden",
        "the index follows deletions"
    );
}

#[tokio::test]
async fn base64_json_bodies_work_like_multipart() {
    let s = server();
    let encoded = base64::engine::general_purpose::STANDARD.encode(photo("obama.jpg"));
    let (status, added) = s
        .json(
            "POST",
            "/api/v1/recognition/faces?subject=obama",
            &s.recognition,
            Some(json!({"file": encoded})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(photo("obama3.jpg"));
    let (status, answer) = s
        .json(
            "POST",
            "/api/v1/recognition/recognize",
            &s.recognition,
            Some(json!({"file": encoded})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"][0]["subjects"][0]["subject"], "obama");
}

#[tokio::test]
async fn deleting_several_examples_and_all_of_a_subject() {
    let s = server();
    let a = s.add("obama", &photo("obama.jpg")).await;
    let b = s.add("obama", &photo("obama2.jpg")).await;
    s.add("obama", &photo("obama3.jpg")).await;
    s.add("biden", &photo("biden.jpg")).await;
    let (status, answer) = s
        .json(
            "POST",
            "/api/v1/recognition/faces/delete",
            &s.recognition,
            Some(json!([a, b, "no-such-id"])),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["deleted"].as_array().unwrap().len(), 2);
    let (_, answer) = s
        .json(
            "DELETE",
            "/api/v1/recognition/faces?subject=obama",
            &s.recognition,
            None,
        )
        .await;
    assert_eq!(answer, json!({"deleted": 1}));
    let (_, list) = s.json("GET", "/api/v1/recognition/faces", &s.recognition, None).await;
    assert_eq!(list["total_elements"], 1);
    assert_eq!(list["faces"][0]["subject"], "biden");
}

#[tokio::test]
async fn verifying_a_photo_against_a_saved_example() {
    let s = server();
    let id = s.add("obama", &photo("obama.jpg")).await;
    let uri = format!("/api/v1/recognition/faces/{id}/verify");
    let (status, same) = s
        .post_images(&uri, &s.recognition, &[("file", &photo("obama2.jpg"))])
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    let (_, other) = s
        .post_images(&uri, &s.recognition, &[("file", &photo("biden.jpg"))])
        .await;
    assert!(same["result"][0]["similarity"].as_f64().unwrap() > 0.5);
    assert!(other["result"][0]["similarity"].as_f64().unwrap() < 0.5);
}

#[tokio::test]
async fn subjects_are_added_listed_renamed_merged_and_deleted() {
    let s = server();
    let k = &s.recognition;
    let (status, body) = s
        .json(
            "POST",
            "/api/v1/recognition/subjects",
            k,
            Some(json!({"subject": "carol"})),
        )
        .await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"subject": "carol"})));
    let (status, _) = s
        .json(
            "POST",
            "/api/v1/recognition/subjects",
            k,
            Some(json!({"subject": "carol"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.add("barack", &photo("obama.jpg")).await;
    s.add("obama", &photo("obama2.jpg")).await;
    let (_, list) = s.json("GET", "/api/v1/recognition/subjects/", k, None).await;
    assert_eq!(list, json!({"subjects": ["barack", "carol", "obama"]}));
    let (status, body) = s
        .json(
            "PUT",
            "/api/v1/recognition/subjects/barack",
            k,
            Some(json!({"subject": "obama"})),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"updated": true})));
    let (_, page) = s.json("GET", "/api/v1/recognition/faces?subject=obama", k, None).await;
    assert_eq!(page["total_elements"], 2, "renaming onto an existing subject merges");
    let (status, body) = s.json("DELETE", "/api/v1/recognition/subjects/carol", k, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"subject": "carol"})));
    let (status, body) = s.json("DELETE", "/api/v1/recognition/subjects/nobody", k, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, body) = s.json("DELETE", "/api/v1/recognition/subjects", k, None).await;
    assert_eq!(body, json!({"deleted": 1}));
}

#[tokio::test]
async fn detection_reports_boxes_landmarks_and_the_embedding() {
    let s = server();
    let (status, answer) = s
        .post_images(
            "/api/v1/detection/detect?face_plugins=landmarks,calculator",
            &s.detection,
            &[("file", &photo("obama.jpg"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let faces = answer["result"].as_array().unwrap();
    assert!(!faces.is_empty());
    assert_eq!(faces[0]["landmarks"].as_array().unwrap().len(), 5);
    let embedding = faces[0]["embedding"].as_array().unwrap();
    assert_eq!(embedding.len(), 512);
    let norm: f64 = embedding.iter().map(|v| v.as_f64().unwrap().powi(2)).sum();
    assert!((norm - 1.0).abs() < 1e-3, "a unit vector: {norm}");
    assert!(faces[0]["box"]["probability"].as_f64().unwrap() > 0.9);
}

#[tokio::test]
async fn verification_service_compares_source_with_every_target_face() {
    let s = server();
    let (status, answer) = s
        .post_images(
            "/api/v1/verification/verify",
            &s.verification,
            &[
                ("source_image", &photo("obama.jpg")),
                ("target_image", &photo("obama2.jpg")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let result = &answer["result"][0];
    assert!(result["source_image_face"]["box"].is_object());
    assert!(result["face_matches"][0]["similarity"].as_f64().unwrap() > 0.5);
    let (_, answer) = s
        .post_images(
            "/api/v1/verification/verify",
            &s.verification,
            &[
                ("source_image", &photo("obama.jpg")),
                ("target_image", &photo("biden.jpg")),
            ],
        )
        .await;
    assert!(answer["result"][0]["face_matches"][0]["similarity"].as_f64().unwrap() < 0.5);
}

#[tokio::test]
async fn a_photo_without_a_face_is_compreface_error_28() {
    let s = server();
    let png = std::fs::read(blank_png_path()).unwrap();
    let (status, body) = s
        .post_images("/api/v1/recognition/recognize", &s.recognition, &[("file", &png)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"message": "No face is found in the given image", "code": 28})
    );
}

/// A 64×64 grey PNG: no face in it.
fn blank_png_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blank.png")
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_each_is_routed() {
    let s = server();
    let (status, doc) = s.json("GET", "/openapi.json", &s.verification, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    for expected in [
        ("POST", "/api/v1/recognition/faces"),
        ("GET", "/api/v1/recognition/faces"),
        ("DELETE", "/api/v1/recognition/faces"),
        ("DELETE", "/api/v1/recognition/faces/{image_id}"),
        ("POST", "/api/v1/recognition/faces/delete"),
        ("GET", "/api/v1/recognition/faces/{image_id}/img"),
        ("POST", "/api/v1/recognition/faces/{image_id}/verify"),
        ("POST", "/api/v1/recognition/recognize"),
        ("POST", "/api/v1/recognition/subjects"),
        ("GET", "/api/v1/recognition/subjects"),
        ("DELETE", "/api/v1/recognition/subjects"),
        ("PUT", "/api/v1/recognition/subjects/{subject}"),
        ("DELETE", "/api/v1/recognition/subjects/{subject}"),
        ("POST", "/api/v1/detection/detect"),
        ("POST", "/api/v1/verification/verify"),
        ("GET", "/api/v1/static/{api_key}/images/{image_id}"),
    ] {
        assert!(
            operations.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} missing from {operations:?}"
        );
    }
    assert_eq!(operations.len(), 16, "{operations:?}");
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let face_query = ["limit", "det_prob_threshold", "face_plugins", "status"];
    for (method, path, extra) in [
        ("post", "/api/v1/detection/detect", None),
        ("post", "/api/v1/verification/verify", None),
        ("post", "/api/v1/recognition/recognize", Some("prediction_count")),
        ("post", "/api/v1/recognition/faces/{image_id}/verify", Some("image_id")),
    ] {
        let names: Vec<&str> = doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = face_query.iter().copied().chain(extra).collect();
        expected.sort_unstable();
        let mut found = names.clone();
        found.sort_unstable();
        assert_eq!(found, expected, "{method} {path}");
    }
    // every documented operation is routed: never the fallback (code 107) nor 405
    for (method, path) in operations {
        let uri = path
            .replace("{image_id}", "00000000-0000-0000-0000-000000000000")
            .replace("{subject}", "nobody")
            .replace("{api_key}", "k");
        let (status, body) = s.json(&method, &uri, &s.recognition, None).await;
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED && body["code"] != 107,
            "{method} {uri}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn the_search_index_takes_in_examples_added_and_subjects_renamed_after_it_was_built() {
    let s = server();
    let top_subject = || async {
        let (status, answer) = s
            .post_images(
                "/api/v1/recognition/recognize",
                &s.recognition,
                &[("file", &photo("obama2.jpg"))],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["result"][0]["subjects"][0]["subject"]
            .as_str()
            .unwrap()
            .to_string()
    };
    s.add("biden", &photo("biden.jpg")).await;
    assert_eq!(top_subject().await, "biden", "the only subject");
    s.add("obama", &photo("obama.jpg")).await;
    assert_eq!(
        top_subject().await,
        "obama",
        "an example added after the index was built"
    );
    let (status, _) = s
        .json(
            "PUT",
            "/api/v1/recognition/subjects/obama",
            &s.recognition,
            Some(json!({"subject": "barack"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(top_subject().await, "barack", "a rename reloads the index");
}
