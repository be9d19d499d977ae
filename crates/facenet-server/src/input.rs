//! Images in requests, as CompreFace takes them: a `multipart/form-data` body whose parts are named after
//! the parameter (`file`, `source_image`, `target_image`), or a JSON body `{"<parameter>": "<base64>"}`
//! (its "Base64 Support"). Malformed multipart, bad base64, missing or empty images are 400s; a body over
//! the size limit is a 413.

use crate::errors::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use base64::Engine;
use std::collections::HashMap;

/// The images of a request, by parameter name.
#[derive(Debug, Default)]
pub struct Images {
    parts: HashMap<String, Bytes>,
}

impl Images {
    /// The image named `name`: an error naming it when missing or empty.
    pub fn take(&mut self, name: &str) -> ApiResult<Bytes> {
        match self.parts.remove(name) {
            None => Err(ApiError::missing(name)),
            Some(bytes) if bytes.is_empty() => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                5,
                format!("The image '{name}' is empty"),
            )),
            Some(bytes) => Ok(bytes),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Images {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> ApiResult<Self> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let multipart = Multipart::from_request(request, state)
                .await
                .map_err(|e| ApiError::invalid(format!("Malformed multipart body: {}", e.body_text())))?;
            read_multipart(multipart).await
        } else if content_type.starts_with("application/json") {
            let body = Bytes::from_request(request, state).await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large(e.body_text())
                } else {
                    ApiError::invalid(e.body_text())
                }
            })?;
            read_base64_json(&body)
        } else {
            Err(ApiError::invalid(format!(
                "Content-Type {content_type:?}: expected multipart/form-data or application/json"
            )))
        }
    }
}

async fn read_multipart(mut multipart: Multipart) -> ApiResult<Images> {
    let mut images = Images::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(images),
            Err(e) => return Err(multipart_error(e)),
        };
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        images.parts.insert(name, bytes);
    }
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("Request body too large: {}", error.body_text()))
    } else {
        ApiError::invalid(format!("Malformed multipart body: {}", error.body_text()))
    }
}

fn read_base64_json(body: &[u8]) -> ApiResult<Images> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("Malformed JSON body: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::invalid("JSON body: expected an object of base64 images"))?;
    let mut images = Images::default();
    for (name, value) in object {
        let Some(text) = value.as_str() else { continue };
        images.parts.insert(name.clone(), decode_base64(name, text)?.into());
    }
    Ok(images)
}

/// Standard base64, with or without padding, an optional `data:…;base64,` prefix and whitespace allowed.
fn decode_base64(name: &str, text: &str) -> ApiResult<Vec<u8>> {
    let payload = text.split_once(";base64,").map_or(text, |(_, data)| data);
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(compact.as_bytes())
        .map_err(|e| ApiError::invalid(format!("'{name}' is not valid base64: {e}")))
}

/// A content type for stored photo bytes, from their first bytes.
pub fn sniff_content_type(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xFF, 0xD8, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'G', b'I', b'F', ..] => "image/gif",
        [b'B', b'M', ..] => "image/bmp",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => "image/tiff",
        _ => "application/octet-stream",
    }
}
