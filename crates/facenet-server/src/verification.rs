//! CompreFace's face verification service (REST API v1, `POST /api/v1/verification/verify`): the most
//! prominent face of `source_image` against every face of `target_image`, each with its similarity
//! (see [`crate::similarity`]), most similar first.

use crate::errors::{ApiError, ApiResult};
use crate::face_json::{face_object, plugins_versions};
use crate::input::FaceRequest;
use crate::params::{FaceParams, FaceQuery};
use crate::similarity::rounded;
use crate::state::App;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::sync::Arc;

/// `POST /api/v1/verification/verify`.
#[utoipa::path(
    post, path = "/api/v1/verification/verify", tag = "verification",
    params(FaceQuery),
    request_body(content = String, content_type = "multipart/form-data", description = "multipart parts `source_image` and `target_image` (or a JSON body {\"source_image\": base64})"),
    responses((status = 200, description = "{\"result\": [{\"source_image_face\", \"face_matches\": [{\"box\", \"similarity\"}]}]}"), (status = 400, description = "no face (code 28), bad image or body")),
    security(("api_key" = []))
)]
pub async fn verify(State(app): State<Arc<App>>, request: FaceRequest) -> ApiResult<Json<Value>> {
    let FaceRequest { params, mut images, .. } = request;
    let source_bytes = images.take("source_image")?;
    let target_bytes = images.take("target_image")?;
    let source_params = FaceParams {
        limit: 1,
        ..params.clone()
    };
    let (source, target) = tokio::try_join!(
        app.engine.faces(source_bytes, &source_params, true),
        app.engine.faces(target_bytes, &params, true)
    )?;
    let Some(source_face) = source.faces.first() else {
        return Err(ApiError::no_face());
    };
    if target.faces.is_empty() {
        return Err(ApiError::no_face());
    }
    let similarity = app.engine.similarity();
    let source_embedding = source_face.embedding.as_ref().expect("faces were embedded");
    let mut matches: Vec<(f32, Value)> = target
        .faces
        .iter()
        .map(|face| {
            let embedding = face.embedding.as_ref().expect("faces were embedded");
            let s = similarity.between(source_embedding.as_slice(), embedding.as_slice());
            let mut object = face_object(face, &target, &params);
            object.insert("similarity".into(), json!(rounded(s)));
            (s, Value::Object(object))
        })
        .collect();
    matches.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut entry = json!({
        "source_image_face": Value::Object(face_object(source_face, &source, &params)),
        "face_matches": matches.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    });
    if params.status {
        entry["plugins_versions"] = plugins_versions(app.engine.detector_name(), &app.engine.model().id);
    }
    Ok(Json(json!({ "result": [entry] })))
}
