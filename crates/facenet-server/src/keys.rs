//! API keys as CompreFace checks them: the `x-api-key` header names a key of one service (recognition,
//! detection, verification). No key or an unknown (or revoked) key → 401; a key of another service → 403.
//! The sha256 of the presented key is compared with every stored key's hash in constant time
//! (`subtle`), so the answer's timing does not depend on how much of a key matched. The keys are read from
//! the gallery at most once per [`crate::engine::KEYS_TTL`], not per request.

use crate::errors::{ApiError, ApiResult};
use crate::state::App;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use facenet::gallery::keys::{ApiKey, hash_api_key};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The header that carries the key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Middleware: the request must carry a valid key of `service`.
pub async fn require_key(
    State((app, service)): State<(Arc<App>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match check_key(&app, presented.as_deref(), service).await {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Ok when `presented` is a valid key of `service`.
pub async fn check_key(app: &App, presented: Option<&str>, service: &str) -> ApiResult<()> {
    let presented = presented
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Missing header: x-api-key"))?;
    let keys = app.engine.api_keys().await?;
    match key_service(&keys, presented) {
        None => Err(ApiError::unauthorized("Invalid API key")),
        Some(owner) if owner == service => Ok(()),
        Some(owner) => Err(ApiError::forbidden(owner, service)),
    }
}

/// The service of the valid key `presented`, if any; every stored hash is compared, in constant time.
fn key_service<'a>(keys: &'a [ApiKey], presented: &str) -> Option<&'a str> {
    let hash = hash_api_key(presented);
    let mut found = None;
    for key in keys {
        let equal: bool = key.key_sha256.ct_eq(&hash).into();
        if equal && key.revoked_at.is_none() {
            found = Some(key.service.as_str());
        }
    }
    found
}
