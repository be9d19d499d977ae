//! A server on a fresh gallery with one key per service, driven in-process with tower's `oneshot`; the
//! pipeline (FaceNet + MTCNN from the asset cache) is loaded once per test binary.

#![allow(dead_code)] // each test binary uses its own part of the helpers

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use facenet::gallery::Gallery;
use facenet::pipeline::{PipelineSpec, build_pipeline};
use facenet::{Cache, FacePipeline};
use facenet_server::{App, BatchConfig, Engine, Limits, Metrics, router};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

pub fn pipeline() -> Arc<FacePipeline> {
    static PIPELINE: OnceLock<Arc<FacePipeline>> = OnceLock::new();
    PIPELINE
        .get_or_init(|| {
            let cache = Cache::from_env().expect("asset cache");
            Arc::new(build_pipeline(&PipelineSpec::default(), &cache).expect("FaceNet + MTCNN"))
        })
        .clone()
}

pub fn photo(name: &str) -> Vec<u8> {
    let path = Cache::from_env().unwrap().ensure(name).unwrap();
    std::fs::read(path).unwrap()
}

pub struct Server {
    pub app: Arc<App>,
    pub recognition: String,
    pub detection: String,
    pub verification: String,
    pub dir: tempfile::TempDir,
}

pub fn server_with(limits: Limits, batch: BatchConfig) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut gallery = Gallery::open(&dir.path().join("g.db")).unwrap();
    let recognition = gallery.create_api_key("recognition").unwrap().key;
    let detection = gallery.create_api_key("detection").unwrap().key;
    let verification = gallery.create_api_key("verification").unwrap().key;
    let metrics = Arc::new(Metrics::default());
    let engine = Engine::new(pipeline(), gallery, "mtcnn", batch, limits.workers, metrics.clone()).unwrap();
    Server {
        app: App::new(engine, metrics, limits),
        recognition,
        detection,
        verification,
        dir,
    }
}

pub fn server() -> Server {
    server_with(Limits::default(), BatchConfig::default())
}

/// A multipart body with one part per (name, bytes).
pub fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "facenet-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Server {
    /// Sends a request; returns the status and the body (JSON when it parses, else a string).
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let response = router(self.app.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value, headers)
    }

    pub async fn raw(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = router(self.app.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        (
            status,
            to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec(),
        )
    }

    /// POST of images as multipart with `key`.
    pub async fn post_images(&self, uri: &str, key: &str, parts: &[(&str, &[u8])]) -> (StatusCode, Value) {
        let (content_type, body) = multipart(parts);
        let request = Request::post(uri)
            .header("x-api-key", key)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, value, _) = self.send(request).await;
        (status, value)
    }

    pub async fn json(&self, method: &str, uri: &str, key: &str, body: Option<Value>) -> (StatusCode, Value) {
        let builder = Request::builder().method(method).uri(uri).header("x-api-key", key);
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        let (status, value, _) = self.send(request).await;
        (status, value)
    }

    /// Adds `photo` as an example of `subject`; returns its image id.
    pub async fn add(&self, subject: &str, photo: &[u8]) -> String {
        let (status, body) = self
            .post_images(
                &format!("/api/v1/recognition/faces?subject={subject}"),
                &self.recognition,
                &[("file", photo)],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["image_id"].as_str().unwrap().to_string()
    }
}
