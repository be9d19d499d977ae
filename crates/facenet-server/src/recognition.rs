//! CompreFace's face recognition service (REST API v1, `/api/v1/recognition`): examples of subjects
//! (add, list with paging, delete by subject, by id or several, download the photo), recognition of the
//! faces of a photo against every subject, and verification of a photo against one saved example.

use crate::engine::PhotoFaces;
use crate::errors::{ApiError, ApiResult};
use crate::face_json::{face_object, plugins_versions};
use crate::input::{FaceRequest, sniff_content_type};
use crate::keys::check_key;
use crate::params::{FaceParams, FaceQuery, QueryMap, number};
use crate::similarity::rounded;
use crate::state::App;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use facenet::gallery::{FaceSource, NewFace, SearchIndex};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// `POST /api/v1/recognition/faces?subject=…`: stores the face of the photo as an example of the subject
/// (created if new); of several faces, the most prominent (box area × score, as `facenet compare`). 201 `{"image_id", "subject"}` once the face and photo are on disk.
#[utoipa::path(
    post, path = "/api/v1/recognition/faces", tag = "recognition",
    params(("subject" = String, Query, description = "the subject (created if new)"),
        ("det_prob_threshold" = Option<f32>, Query, description = "drop faces detected with a lower score")),
    request_body(content = String, content_type = "multipart/form-data", description = "multipart part `file`: a photo with one face (or a JSON body {\"file\": base64})"),
    responses((status = 201, description = "{\"image_id\", \"subject\"}: stored on disk"),
        (status = 400, description = "no face (code 28), bad image or body")),
    security(("api_key" = []))
)]
pub async fn add_example(State(app): State<Arc<App>>, request: FaceRequest) -> ApiResult<Response> {
    let FaceRequest {
        query,
        params,
        mut images,
    } = request;
    let subject = query
        .get("subject")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::missing("subject"))?
        .clone();
    let bytes = images.take("file")?;
    let photo = app.engine.faces(bytes.clone(), &params, true).await?;
    let face = photo
        .faces
        .iter()
        .max_by(|a, b| a.detection.prominence().total_cmp(&b.detection.prominence()))
        .ok_or_else(ApiError::no_face)?
        .clone();
    let new_face = NewFace {
        embedding: face.embedding.expect("faces were embedded"),
        source: Some(FaceSource {
            path: format!("upload:{subject}"),
            sha256: hex_sha256(&bytes),
            face_index: 0,
        }),
        detection: Some(face.detection),
    };
    let example = app
        .engine
        .add_to_gallery(move |g| g.add_example(&subject, &new_face, &bytes))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"image_id": example.image_id, "subject": example.subject})),
    )
        .into_response())
}

/// `GET /api/v1/recognition/faces?page=&size=&subject=`: one page of examples.
#[utoipa::path(
    get, path = "/api/v1/recognition/faces", tag = "recognition",
    params(("page" = Option<u32>, Query, description = "page number from 0"),
        ("size" = Option<u32>, Query, description = "page size, default 20"),
        ("subject" = Option<String>, Query, description = "only this subject's examples")),
    responses((status = 200, description = "{\"faces\": [{\"image_id\", \"subject\"}], \"page_number\", \"page_size\", \"total_pages\", \"total_elements\"}")),
    security(("api_key" = []))
)]
pub async fn list_examples(State(app): State<Arc<App>>, QueryMap(query): QueryMap) -> ApiResult<Json<Value>> {
    let page = number(&query, "page", 0)?;
    let size = number(&query, "size", 20)?;
    if size == 0 {
        return Err(ApiError::invalid("size: must be at least 1"));
    }
    let subject = query.get("subject").filter(|s| !s.is_empty()).cloned();
    let found = app
        .engine
        .read_gallery(move |g| g.examples(subject.as_deref(), page, size))
        .await?;
    let faces: Vec<Value> = found
        .examples
        .iter()
        .map(|e| json!({"image_id": e.image_id, "subject": e.subject}))
        .collect();
    Ok(Json(json!({
        "faces": faces,
        "page_number": page,
        "page_size": size,
        "total_pages": found.total.div_ceil(size),
        "total_elements": found.total,
    })))
}

/// `DELETE /api/v1/recognition/faces?subject=`: every example of the subject (of all subjects without
/// it); `{"deleted": n}`.
#[utoipa::path(
    delete, path = "/api/v1/recognition/faces", tag = "recognition",
    params(("subject" = Option<String>, Query, description = "whose examples; all without it")),
    responses((status = 200, description = "{\"deleted\": count}")),
    security(("api_key" = []))
)]
pub async fn delete_examples(State(app): State<Arc<App>>, QueryMap(query): QueryMap) -> ApiResult<Json<Value>> {
    let subject = query.get("subject").filter(|s| !s.is_empty()).cloned();
    let deleted = app
        .engine
        .change_gallery(move |g| g.remove_faces(subject.as_deref()))
        .await?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// `DELETE /api/v1/recognition/faces/{image_id}`: `{"image_id", "subject"}`, 404 when unknown.
#[utoipa::path(
    delete, path = "/api/v1/recognition/faces/{image_id}", tag = "recognition",
    params(("image_id" = String, Path, description = "the example's UUID")),
    responses((status = 200, description = "{\"image_id\", \"subject\"}"), (status = 404, description = "no such example (code 11)")),
    security(("api_key" = []))
)]
pub async fn delete_example(State(app): State<Arc<App>>, Path(image_id): Path<String>) -> ApiResult<Json<Value>> {
    let id = image_id.clone();
    let removed = app.engine.change_gallery(move |g| g.remove_example(&id)).await?;
    let example = removed.ok_or_else(|| ApiError::image_not_found(&image_id))?;
    Ok(Json(json!({"image_id": example.image_id, "subject": example.subject})))
}

/// `POST /api/v1/recognition/faces/delete` with a JSON array of image ids: `{"deleted": [{"image_id",
/// "subject"}, …]}` for those that existed.
#[utoipa::path(
    post, path = "/api/v1/recognition/faces/delete", tag = "recognition",
    request_body(content = Vec<String>, description = "the image ids"),
    responses((status = 200, description = "{\"deleted\": [{\"image_id\", \"subject\"}]}")),
    security(("api_key" = []))
)]
pub async fn delete_several(State(app): State<Arc<App>>, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    let ids: Vec<String> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("expected a JSON array of image ids: {e}")))?;
    let removed = app
        .engine
        .change_gallery(move |g| {
            let mut removed = Vec::new();
            for id in &ids {
                removed.extend(g.remove_example(id)?);
            }
            Ok(removed)
        })
        .await?;
    let deleted: Vec<Value> = removed
        .iter()
        .map(|e| json!({"image_id": e.image_id, "subject": e.subject}))
        .collect();
    Ok(Json(json!({ "deleted": deleted })))
}

/// `GET /api/v1/recognition/faces/{image_id}/img`: the example's photo (empty when unknown, as
/// CompreFace).
#[utoipa::path(
    get, path = "/api/v1/recognition/faces/{image_id}/img", tag = "recognition",
    params(("image_id" = String, Path, description = "the example's UUID")),
    responses((status = 200, description = "the photo's bytes; empty when unknown", content_type = "image/jpeg")),
    security(("api_key" = []))
)]
pub async fn download(State(app): State<Arc<App>>, Path(image_id): Path<String>) -> ApiResult<Response> {
    let bytes = app.engine.read_gallery(move |g| g.example_image(&image_id)).await?;
    let bytes = bytes.unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, sniff_content_type(&bytes))], bytes).into_response())
}

/// `GET /api/v1/static/{api_key}/images/{image_id}`: the same with the key in the path (for `<img>`).
#[utoipa::path(
    get, path = "/api/v1/static/{api_key}/images/{image_id}", tag = "recognition",
    params(("api_key" = String, Path, description = "a recognition key"), ("image_id" = String, Path, description = "the example's UUID")),
    responses((status = 200, description = "the photo's bytes; empty when unknown", content_type = "image/jpeg"))
)]
pub async fn download_with_key_in_path(
    State(app): State<Arc<App>>,
    Path((api_key, image_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_key(&app, Some(&api_key), "recognition").await?;
    download(State(app), Path(image_id)).await
}

/// `POST /api/v1/recognition/recognize`: each face of the photo with the `prediction_count` most similar
/// subjects (similarity of the subject's nearest example, see [`crate::similarity`]).
#[utoipa::path(
    post, path = "/api/v1/recognition/recognize", tag = "recognition",
    params(FaceQuery, ("prediction_count" = Option<u32>, Query, description = "subjects per face, default 1")),
    request_body(content = String, content_type = "multipart/form-data", description = "multipart part `file`: the photo (or a JSON body {\"file\": base64})"),
    responses((status = 200, description = "{\"result\": [{\"box\", \"subjects\": [{\"subject\", \"similarity\"}]}]}"),
        (status = 400, description = "no face (code 28), bad image or body")),
    security(("api_key" = []))
)]
pub async fn recognize(State(app): State<Arc<App>>, request: FaceRequest) -> ApiResult<Json<Value>> {
    let FaceRequest { params, mut images, .. } = request;
    let photo = app.engine.faces(images.take("file")?, &params, true).await?;
    if photo.faces.is_empty() {
        return Err(ApiError::no_face());
    }
    let result: Vec<Value> = app
        .engine
        .with_index(|index| {
            photo
                .faces
                .iter()
                .map(|face| {
                    let mut object = face_object(face, &photo, &params);
                    let embedding = face.embedding.as_ref().expect("faces were embedded");
                    let subjects = top_subjects(&app, index, embedding.as_slice(), params.prediction_count);
                    object.insert("subjects".into(), json!(subjects));
                    Value::Object(object)
                })
                .collect()
        })
        .await?;
    Ok(Json(with_versions(&app, result, &params)))
}

/// `POST /api/v1/recognition/faces/{image_id}/verify`: each face of the photo with its similarity to the
/// saved example.
#[utoipa::path(
    post, path = "/api/v1/recognition/faces/{image_id}/verify", tag = "recognition",
    params(("image_id" = String, Path, description = "the saved example"), FaceQuery),
    request_body(content = String, content_type = "multipart/form-data", description = "multipart part `file`: the photo (or a JSON body {\"file\": base64})"),
    responses((status = 200, description = "{\"result\": [{\"box\", \"similarity\"}]}"), (status = 404, description = "no such example")),
    security(("api_key" = []))
)]
pub async fn verify_example(
    State(app): State<Arc<App>>,
    Path(image_id): Path<String>,
    request: FaceRequest,
) -> ApiResult<Json<Value>> {
    let FaceRequest { params, mut images, .. } = request;
    let id = image_id.clone();
    let example = app
        .engine
        .read_gallery(move |g| g.example_face(&id))
        .await?
        .ok_or_else(|| ApiError::image_not_found(&image_id))?;
    let photo = app.engine.faces(images.take("file")?, &params, true).await?;
    if photo.faces.is_empty() {
        return Err(ApiError::no_face());
    }
    let similarity = app.engine.similarity();
    let mut result: Vec<(f32, Value)> = photo
        .faces
        .iter()
        .map(|face| {
            let embedding = face.embedding.as_ref().expect("faces were embedded");
            let s = similarity.between(embedding.as_slice(), example.embedding.as_slice());
            let mut object = face_object(face, &photo, &params);
            object.insert("similarity".into(), json!(rounded(s)));
            (s, Value::Object(object))
        })
        .collect();
    result.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(Json(with_versions(
        &app,
        result.into_iter().map(|(_, v)| v).collect(),
        &params,
    )))
}

/// The `count` subjects nearest to `query` (each by its nearest example), most similar first.
fn top_subjects(app: &App, index: &SearchIndex, query: &[f32], count: usize) -> Vec<Value> {
    let similarity = app.engine.similarity();
    let mut k = (count * 8).max(16);
    loop {
        let hits = index.search(query, k.min(index.matrix().len()));
        let mut seen = Vec::new();
        let mut subjects = Vec::new();
        for hit in &hits {
            if subjects.len() == count {
                break;
            }
            if seen.contains(&hit.subject_id) {
                continue;
            }
            seen.push(hit.subject_id);
            let name = index.matrix().subject_name(hit.subject_id).unwrap_or("");
            subjects.push(json!({
                "subject": name,
                "similarity": rounded(similarity.of_squared_distance(hit.squared_distance)),
            }));
        }
        if subjects.len() == count || hits.len() >= index.matrix().len() {
            return subjects;
        }
        k *= 4;
    }
}

/// `{"result": …}`, with `plugins_versions` when `status` is asked.
pub fn with_versions(app: &App, result: Vec<Value>, params: &FaceParams) -> Value {
    let mut answer = json!({ "result": result });
    if params.status {
        answer["plugins_versions"] = plugins_versions(app.engine.detector_name(), &app.engine.model().id);
    }
    answer
}

/// The faces of `photo` as CompreFace's detection answers them.
pub fn faces_json(photo: &PhotoFaces, params: &FaceParams) -> Vec<Value> {
    photo
        .faces
        .iter()
        .map(|face| Value::Object(face_object(face, photo, params)))
        .collect()
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
