//! What a face request carries, parsed before any work by [`FaceRequest::parse`] (the extractor of the
//! detect, recognize, verify and add-example endpoints, and what the `server_request` fuzz target runs):
//! the query options ([`crate::params`]), then the images, as CompreFace takes them: a
//! `multipart/form-data` body whose parts are named after the parameter (`file`, `source_image`,
//! `target_image`), or a JSON body `{"<parameter>": "<base64>"}` (its "Base64 Support"). A bad query,
//! malformed multipart, bad base64, missing or empty images are 400s; a body over the size limit is a 413.

use crate::errors::{ApiError, ApiResult};
use crate::params::{FaceParams, QueryMap};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use base64::Engine;
use std::collections::HashMap;

/// A face request: its query (for the parameters besides the face options, e.g. `subject`), the face
/// options, and its images.
#[derive(Debug)]
pub struct FaceRequest {
    pub query: HashMap<String, String>,
    pub params: FaceParams,
    pub images: Images,
}

impl FaceRequest {
    /// Parses `request`: the query first (a bad option is refused before the body is read), then the body
    /// by its `Content-Type`. The body size limit is the router's (`DefaultBodyLimit`; axum's 2 MB without).
    pub async fn parse(request: Request) -> ApiResult<Self> {
        let QueryMap(query) = QueryMap::parse(request.uri())?;
        let params = FaceParams::parse(&query)?;
        let images = Images::read(request).await?;
        Ok(Self { query, params, images })
    }
}

impl<S: Send + Sync> FromRequest<S> for FaceRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> ApiResult<Self> {
        Self::parse(request).await
    }
}

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

    /// The images of `request`'s body: multipart or base64 JSON, by its `Content-Type`.
    pub async fn read(request: Request) -> ApiResult<Self> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| ApiError::invalid(format!("Malformed multipart body: {}", e.body_text())))?;
            read_multipart(multipart).await
        } else if content_type.starts_with("application/json") {
            let body = Bytes::from_request(request, &()).await.map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(uri: &str, content_type: &str, body: &str) -> Request {
        axum::http::Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn multipart_parts_and_query_options_are_parsed() {
        let body = "--xyz\r\nContent-Disposition: form-data; name=\"source_image\"\r\n\r\nAB\r\n\
                    --xyz\r\nContent-Disposition: form-data; name=\"target_image\"\r\n\r\nCD\r\n--xyz--\r\n";
        let mut parsed = FaceRequest::parse(request(
            "/v?limit=2&face_plugins=landmarks&subject=ann%20lee",
            "multipart/form-data; boundary=xyz",
            body,
        ))
        .await
        .unwrap();
        assert_eq!((parsed.params.limit, parsed.params.landmarks), (2, true));
        assert_eq!(parsed.query["subject"], "ann lee");
        assert_eq!(&parsed.images.take("source_image").unwrap()[..], b"AB");
        assert_eq!(&parsed.images.take("target_image").unwrap()[..], b"CD");
        assert_eq!(parsed.images.take("file").unwrap_err().code, 33);
    }

    #[tokio::test]
    async fn base64_json_with_a_data_url_prefix_is_decoded() {
        let mut parsed = FaceRequest::parse(request(
            "/v",
            "application/json",
            r#"{"file": "data:image/png;base64,QU JD", "other": 3}"#,
        ))
        .await
        .unwrap();
        assert_eq!(&parsed.images.take("file").unwrap()[..], b"ABC");
    }

    #[tokio::test]
    async fn a_bad_option_is_refused_before_the_body_is_read() {
        let error = FaceRequest::parse(request("/v?det_prob_threshold=2", "multipart/form-data", "junk"))
            .await
            .unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert!(error.message.contains("det_prob_threshold"), "{}", error.message);
    }

    #[tokio::test]
    async fn bodies_that_do_not_parse_are_400_naming_the_problem() {
        for (content_type, body, expected) in [
            ("multipart/form-data; boundary=xyz", "--xyz\r\nno headers", "multipart"),
            ("multipart/form-data", "--xyz--", "multipart"),
            ("application/json", "{\"file\": \"%%\"}", "base64"),
            ("application/json", "[1, 2]", "object"),
            ("text/plain", "hello", "Content-Type"),
        ] {
            let error = FaceRequest::parse(request("/v", content_type, body)).await.unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{content_type} {body}");
            assert!(error.message.contains(expected), "{}", error.message);
        }
    }
}
