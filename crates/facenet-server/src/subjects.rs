//! CompreFace's subjects (REST API v1, `/api/v1/recognition/subjects`): add, list, rename (merging into
//! an existing subject, as CompreFace), delete one with its examples, delete all.

use crate::errors::{ApiError, ApiResult};
use crate::state::App;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The body of add and rename.
#[derive(Debug, Deserialize)]
pub struct SubjectBody {
    subject: Option<String>,
}

fn subject_of(body: Result<Json<SubjectBody>, axum::extract::rejection::JsonRejection>) -> ApiResult<String> {
    let Json(body) = body.map_err(|e| ApiError::invalid(format!("expected {{\"subject\": …}}: {}", e.body_text())))?;
    body.subject
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::missing("subject"))
}

/// `POST /api/v1/recognition/subjects` `{"subject"}` → 201 `{"subject"}`.
#[utoipa::path(
    post, path = "/api/v1/recognition/subjects", tag = "subjects",
    request_body(content = String, content_type = "application/json", description = "{\"subject\": name}"),
    responses((status = 201, description = "{\"subject\"}"), (status = 400, description = "exists already")),
    security(("api_key" = []))
)]
pub async fn add_subject(
    State(app): State<Arc<App>>,
    body: Result<Json<SubjectBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let name = subject_of(body)?;
    let added = name.clone();
    app.engine.add_to_gallery(move |g| g.add_subject(&added)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "subject": name }))).into_response())
}

/// `GET /api/v1/recognition/subjects` → `{"subjects": [names]}`.
#[utoipa::path(
    get, path = "/api/v1/recognition/subjects", tag = "subjects",
    responses((status = 200, description = "{\"subjects\": [names]}")),
    security(("api_key" = []))
)]
pub async fn list_subjects(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let subjects = app.engine.read_gallery(|g| g.subjects()).await?;
    let names: Vec<String> = subjects.into_iter().map(|s| s.name).collect();
    Ok(Json(json!({ "subjects": names })))
}

/// `PUT /api/v1/recognition/subjects/{subject}` `{"subject": new}` → `{"updated": true}`.
#[utoipa::path(
    put, path = "/api/v1/recognition/subjects/{subject}", tag = "subjects",
    params(("subject" = String, Path, description = "the current name")),
    request_body(content = String, content_type = "application/json", description = "{\"subject\": new name}; an existing subject absorbs this one"),
    responses((status = 200, description = "{\"updated\": true}"), (status = 404, description = "no such subject")),
    security(("api_key" = []))
)]
pub async fn rename_subject(
    State(app): State<Arc<App>>,
    Path(from): Path<String>,
    body: Result<Json<SubjectBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let to = subject_of(body)?;
    app.engine
        .change_gallery(move |g| g.rename_or_merge_subject(&from, &to))
        .await?;
    Ok(Json(json!({ "updated": true })))
}

/// `DELETE /api/v1/recognition/subjects/{subject}` → `{"subject"}`.
#[utoipa::path(
    delete, path = "/api/v1/recognition/subjects/{subject}", tag = "subjects",
    params(("subject" = String, Path, description = "the subject")),
    responses((status = 200, description = "{\"subject\"}"), (status = 404, description = "no such subject")),
    security(("api_key" = []))
)]
pub async fn delete_subject(State(app): State<Arc<App>>, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    let removed = name.clone();
    app.engine.change_gallery(move |g| g.remove_subject(&removed)).await?;
    Ok(Json(json!({ "subject": name })))
}

/// `DELETE /api/v1/recognition/subjects` → `{"deleted": n}` subjects.
#[utoipa::path(
    delete, path = "/api/v1/recognition/subjects", tag = "subjects",
    responses((status = 200, description = "{\"deleted\": count}")),
    security(("api_key" = []))
)]
pub async fn delete_all_subjects(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let deleted = app.engine.change_gallery(|g| g.remove_all_subjects()).await?;
    Ok(Json(json!({ "deleted": deleted })))
}
