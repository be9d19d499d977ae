//! CompreFace's face detection service (REST API v1, `POST /api/v1/detection/detect`): the faces of a
//! photo with their boxes; the `landmarks` plugin adds the detector's 5 points, the `calculator` plugin
//! the embedding of our model.

use crate::errors::{ApiError, ApiResult};
use crate::input::FaceRequest;
use crate::params::FaceQuery;
use crate::recognition::{faces_json, with_versions};
use crate::state::App;
use axum::Json;
use axum::extract::State;
use serde_json::Value;
use std::sync::Arc;

/// `POST /api/v1/detection/detect`.
#[utoipa::path(
    post, path = "/api/v1/detection/detect", tag = "detection",
    params(FaceQuery),
    request_body(content = String, content_type = "multipart/form-data", description = "multipart part `file`: the photo (or a JSON body {\"file\": base64})"),
    responses((status = 200, description = "{\"result\": [{\"box\", \"landmarks\"?, \"embedding\"?}]}"), (status = 400, description = "no face (code 28), bad image or body")),
    security(("api_key" = []))
)]
pub async fn detect(State(app): State<Arc<App>>, request: FaceRequest) -> ApiResult<Json<Value>> {
    let FaceRequest { params, mut images, .. } = request;
    let photo = app
        .engine
        .faces(images.take("file")?, &params, params.calculator)
        .await?;
    if photo.faces.is_empty() {
        return Err(ApiError::no_face());
    }
    Ok(Json(with_versions(&app, faces_json(&photo, &params), &params)))
}
