//! The application: the router — CompreFace's REST API v1 under `/api/v1`, each
//! service behind its key check, the queue and the time limit; `/health` (no key), `/metrics` and `/openapi.json` (a key
//! of any service) and the web page at `/` (no key).

use crate::errors::ApiError;
use crate::keys::{API_KEY_HEADER, check_key, require_key};
use crate::state::App;
use crate::{detection, recognition, subjects, verification, web};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use facenet::gallery::keys::SERVICES;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// Middleware: admits the request if the queue has room, and bounds its time.
pub async fn admit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Ok(permit) = app.queue.clone().try_acquire_owned() else {
        return ApiError::busy(app.limits.retry_after_s).into_response();
    };
    app.metrics.queue_entered();
    let answer = tokio::time::timeout(app.limits.timeout, next.run(request)).await;
    app.metrics.queue_left();
    drop(permit);
    match answer {
        Ok(response) => response,
        Err(_) => ApiError::timeout(app.limits.timeout.as_secs_f64()).into_response(),
    }
}

/// The whole router.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .nest(
            "/api/v1/recognition",
            service(recognition_routes(), &app, "recognition"),
        )
        .nest(
            "/api/v1/detection",
            service(
                Router::new().route("/detect", post(detection::detect)),
                &app,
                "detection",
            ),
        )
        .nest(
            "/api/v1/verification",
            service(
                Router::new().route("/verify", post(verification::verify)),
                &app,
                "verification",
            ),
        )
        .route(
            "/api/v1/static/{api_key}/images/{image_id}",
            get(recognition::download_with_key_in_path),
        )
        .layer(DefaultBodyLimit::max(app.limits.body_bytes));
    let any_key = Router::new()
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(crate::openapi::document))
        .route_layer(from_fn_with_state(app.clone(), require_any_key));
    Router::new()
        .merge(api)
        .merge(any_key)
        .route("/health", get(health))
        .merge(web::routes())
        .fallback(not_found)
        .layer(from_fn_with_state(app.clone(), record))
        .with_state(app)
}

fn recognition_routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/faces",
            post(recognition::add_example)
                .get(recognition::list_examples)
                .delete(recognition::delete_examples),
        )
        .route("/faces/delete", post(recognition::delete_several))
        .route("/faces/{image_id}", delete(recognition::delete_example))
        .route("/faces/{image_id}/img", get(recognition::download))
        .route("/faces/{image_id}/verify", post(recognition::verify_example))
        .route("/recognize", post(recognition::recognize))
        .route(
            "/subjects",
            post(subjects::add_subject)
                .get(subjects::list_subjects)
                .delete(subjects::delete_all_subjects),
        )
        .route("/subjects/", get(subjects::list_subjects))
        .route(
            "/subjects/{subject}",
            put(subjects::rename_subject).delete(subjects::delete_subject),
        )
}

/// `routes` behind the key check of `name`, then the queue and time limit.
fn service(routes: Router<Arc<App>>, app: &Arc<App>, name: &'static str) -> Router<Arc<App>> {
    routes
        .route_layer(from_fn_with_state(app.clone(), admit))
        .route_layer(from_fn_with_state((app.clone(), name), require_key))
}

/// `/health`: 200 `{"status": "ok", …}` while the server runs; no key needed.
async fn health(State(app): State<Arc<App>>) -> Response {
    let model = app.engine.model();
    axum::Json(json!({
        "status": "ok",
        "model": model.id,
        "detector": app.engine.detector_name(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

/// `/metrics`: the Prometheus text.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        107,
        format!("No endpoint {} {}", request.method(), request.uri().path()),
    )
}

/// Middleware: a valid key of any service.
async fn require_any_key(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut last = ApiError::unauthorized("Missing header: x-api-key");
    for service in SERVICES {
        match check_key(&app, presented.as_deref(), service).await {
            Ok(()) => return next.run(request).await,
            Err(error) => last = error,
        }
    }
    if last.status == axum::http::StatusCode::FORBIDDEN {
        last = ApiError::unauthorized("Invalid API key");
    }
    last.into_response()
}

/// Middleware: counts every answer by route and status, with its time.
async fn record(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = request.method().clone();
    let start = Instant::now();
    let response = next.run(request).await;
    app.metrics.record_request(
        &format!("{method} {endpoint}"),
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}
