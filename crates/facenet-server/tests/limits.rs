//! Keys and limits: 401 without or with an unknown key, 403 with another service's key, `/health` open;
//! bad bodies (malformed multipart, bad base64, empty files, non-images) are 400, oversized bodies and
//! decompression bombs 413, a full queue 503 with Retry-After, a slow request 504 — all in CompreFace's
//! error body, none a panic. Under many concurrent requests at most `workers` photos are decoded at once;
//! keys revoked by another process stop working within `KEYS_TTL`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{photo, server, server_with};
use facenet::gallery::Gallery;
use facenet_server::engine::KEYS_TTL;
use facenet_server::{BatchConfig, Limits};
use serde_json::json;
use std::time::Duration;

const RECOGNIZE: &str = "/api/v1/recognition/recognize";

fn assert_error_body(body: &serde_json::Value) {
    assert!(
        body["message"].is_string() && body["code"].is_u64(),
        "CompreFace's error body: {body}"
    );
}

#[tokio::test]
async fn keys_decide_who_may_call_which_service() {
    let s = server();
    let (status, body, _) = s
        .send(
            Request::get("/api/v1/recognition/subjects")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_body(&body);
    let (status, _) = s.json("GET", "/api/v1/recognition/subjects", "not-a-key", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.json("GET", "/api/v1/recognition/subjects", &s.detection, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = s
        .post_images("/api/v1/detection/detect", &s.recognition, &[("file", b"x")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .json("GET", "/api/v1/recognition/subjects", &s.recognition, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = s.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = s.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "metrics need a key");
    let (status, _, _) = s
        .send(
            Request::get("/api/v1/static/wrong/images/x")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_key_is_refused() {
    let s = server();
    let id = s
        .app
        .engine
        .read_gallery(|g| g.api_keys())
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.service == "recognition")
        .unwrap()
        .id;
    s.app
        .engine
        .change_gallery(move |g| g.revoke_api_key(id))
        .await
        .unwrap();
    let (status, _) = s
        .json("GET", "/api/v1/recognition/subjects", &s.recognition, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_bodies_are_400_with_compreface_error_bodies() {
    let s = server();
    let k = &s.recognition;
    let (status, body) = s.post_images(RECOGNIZE, k, &[("file", b"")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "empty file: {body}");
    assert_error_body(&body);
    let (status, body) = s.post_images(RECOGNIZE, k, &[("file", b"this is not an image")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not an image: {body}");
    assert!(body["message"].as_str().unwrap().contains("uploaded image"), "{body}");
    let (status, body) = s.post_images(RECOGNIZE, k, &[("other", b"x")]).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(33)),
        "missing file: {body}"
    );
    let (status, body) = s
        .json("POST", RECOGNIZE, k, Some(json!({"file": "%%% not base64 %%%"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "bad base64: {body}");
    assert!(body["message"].as_str().unwrap().contains("base64"));
    let malformed = Request::post(RECOGNIZE)
        .header("x-api-key", k)
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body(Body::from("--xyz\r\nno headers and no end"))
        .unwrap();
    let (status, body, _) = s.send(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "malformed multipart: {body}");
    assert_error_body(&body);
    let (status, body) = s.json("POST", RECOGNIZE, k, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no content type: {body}");
    let (status, body) = s
        .post_images(
            "/api/v1/recognition/recognize?limit=-3",
            k,
            &[("file", &photo("obama.jpg"))],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn oversized_bodies_and_decompression_bombs_are_413() {
    let s = server_with(
        Limits {
            body_bytes: 64 * 1024,
            ..Limits::default()
        },
        BatchConfig::default(),
    );
    let (status, body) = s
        .post_images(RECOGNIZE, &s.recognition, &[("file", &photo("obama.jpg"))])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error_body(&body);
    let (status, body) = s
        .json(
            "POST",
            RECOGNIZE,
            &s.recognition,
            Some(json!({"file": "A".repeat(100_000)})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // A BMP header that declares 30000 × 30000 pixels (900 M, over the 100 M limit) and holds none.
    let mut bomb = Vec::new();
    bomb.extend_from_slice(b"BM");
    bomb.extend_from_slice(&(54u32 + 16).to_le_bytes());
    bomb.extend_from_slice(&[0; 4]);
    bomb.extend_from_slice(&54u32.to_le_bytes());
    bomb.extend_from_slice(&40u32.to_le_bytes());
    bomb.extend_from_slice(&30_000i32.to_le_bytes());
    bomb.extend_from_slice(&30_000i32.to_le_bytes());
    bomb.extend_from_slice(&1u16.to_le_bytes());
    bomb.extend_from_slice(&24u16.to_le_bytes());
    bomb.extend_from_slice(&[0; 24]);
    bomb.extend_from_slice(&[0; 16]);
    let (status, body) = s.post_images(RECOGNIZE, &s.recognition, &[("file", &bomb)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["message"].as_str().unwrap().contains("over the limit"), "{body}");
}

#[tokio::test]
async fn a_full_queue_is_503_with_retry_after() {
    let s = server_with(
        Limits {
            queue: 0,
            ..Limits::default()
        },
        BatchConfig::default(),
    );
    let request = Request::get("/api/v1/recognition/subjects")
        .header("x-api-key", &s.recognition)
        .body(Body::empty())
        .unwrap();
    let (status, body, headers) = s.send(request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_error_body(&body);
    assert_eq!(headers["retry-after"], "1");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_504() {
    let s = server_with(
        Limits {
            timeout: Duration::from_millis(1),
            ..Limits::default()
        },
        BatchConfig::default(),
    );
    let (status, body) = s
        .post_images(RECOGNIZE, &s.recognition, &[("file", &photo("obama.jpg"))])
        .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_error_body(&body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_recognitions_share_forward_passes_and_metrics_count_them() {
    let s = server_with(
        Limits::default(),
        BatchConfig {
            window: Duration::from_millis(300),
            max_faces: 32,
        },
    );
    let s = std::sync::Arc::new(s);
    let photos = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"].map(photo);
    let tasks: Vec<_> = photos
        .into_iter()
        .map(|p| {
            let s = s.clone();
            tokio::spawn(async move { s.post_images(RECOGNIZE, &s.recognition, &[("file", &p)]).await })
        })
        .collect();
    let mut faces = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        faces += answer["result"].as_array().unwrap().len();
    }
    let (status, text, _) = s
        .send(
            Request::get("/metrics")
                .header("x-api-key", &s.detection)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap().to_string();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().parse().unwrap()))
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(
        value("facenet_embedding_batch_faces_sum "),
        faces as f64,
        "every face embedded once"
    );
    assert!(
        value("facenet_embedding_batch_faces_count ") < 4.0,
        "fewer forward passes than requests:\n{text}"
    );
    assert!(
        text.contains("facenet_http_requests_total{endpoint=\"POST /api/v1/recognition/recognize\",status=\"200\"} 4"),
        "{text}"
    );
    assert!(text.contains("facenet_queue_depth 0"));
}

#[tokio::test]
async fn a_key_revoked_by_another_process_is_refused_within_the_key_ttl() {
    let s = server();
    let subjects = "/api/v1/recognition/subjects";
    assert_eq!(s.json("GET", subjects, &s.recognition, None).await.0, StatusCode::OK);
    let mut other = Gallery::open(&s.dir.path().join("g.db")).unwrap();
    let id = other
        .api_keys()
        .unwrap()
        .into_iter()
        .find(|k| k.service == "recognition")
        .unwrap()
        .id;
    other.revoke_api_key(id).unwrap();
    drop(other);
    tokio::time::sleep(KEYS_TTL + Duration::from_millis(50)).await;
    assert_eq!(
        s.json("GET", subjects, &s.recognition, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_photos_are_decoded_at_most_workers_at_a_time_and_all_answered() {
    let s = std::sync::Arc::new(server_with(
        Limits {
            workers: 2,
            ..Limits::default()
        },
        BatchConfig::default(),
    ));
    s.add("obama", &photo("obama.jpg")).await;
    let photos = [
        "obama2.jpg",
        "biden.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
    ]
    .map(photo);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = s.clone();
            let p = photos[i % photos.len()].clone();
            let uri = if i % 4 == 3 {
                "/api/v1/detection/detect"
            } else {
                RECOGNIZE
            };
            tokio::spawn(async move {
                let key = if i % 4 == 3 { &s.detection } else { &s.recognition };
                s.post_images(uri, key, &[("file", &p)]).await
            })
        })
        .collect();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, text, _) = s
        .send(
            Request::get("/metrics")
                .header("x-api-key", &s.recognition)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let text = text.as_str().unwrap();
    for line in [
        "facenet_workers 2",
        "facenet_photos_in_work_peak 2",
        "facenet_photos_in_work 0",
        "facenet_photos_waiting 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}
