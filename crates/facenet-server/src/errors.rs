//! Errors as CompreFace answers them (REST API v1): an HTTP status and the body `{"message", "code"}`.
//! The codes are CompreFace's (`CommonExceptionCode`: 5 empty field, 11 image not found, 20 missing
//! header, 26 validation, 28 no face, 33 missing parameter, 41 service failure);
//! the codes CompreFace has no equivalent for are ours, from 100 up.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// Seconds the client should wait before retrying (`Retry-After`), for 503.
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    code: u32,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400, code 26: a parameter or body that does not validate.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 26, message)
    }

    /// 400, code 33: a required parameter or field is missing.
    pub fn missing(what: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            33,
            format!("Required parameter '{what}' is missing"),
        )
    }

    /// 400, code 28.
    pub fn no_face() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 28, "No face is found in the given image")
    }

    /// 404, code 11.
    pub fn image_not_found(image_id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 11, format!("Image {image_id} not found"))
    }

    /// 404, code 100.
    pub fn subject_not_found(name: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 100, format!("Subject {name} not found"))
    }

    /// 400, code 101.
    pub fn subject_exists(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 101, format!("Subject {name} already exists"))
    }

    /// 401, code 102: no `x-api-key`, or one nobody issued (or revoked).
    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 102, message)
    }

    /// 403, code 103: a key of another service.
    pub fn forbidden(key_service: &str, wanted: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            103,
            format!("This API key belongs to the {key_service} service, not {wanted}"),
        )
    }

    /// 413, code 104.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, 104, message)
    }

    /// 503, code 105, with `Retry-After`: the queue of requests waiting for the engine is full.
    pub fn busy(retry_after: u32) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                105,
                "The server is busy: too many requests are waiting, retry later",
            )
        }
    }

    /// 504, code 106.
    pub fn timeout(seconds: f64) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            106,
            format!("The request took longer than {seconds} s and was abandoned"),
        )
    }

    /// 500, code 41.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, 41, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            message: &self.message,
            code: self.code,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<facenet::gallery::Error> for ApiError {
    fn from(error: facenet::gallery::Error) -> Self {
        use facenet::gallery::Error as G;
        match &error {
            G::UnknownSubject { name, .. } => Self::subject_not_found(name),
            G::SubjectExists { name, .. } => Self::subject_exists(name),
            G::Invalid(message) => Self::invalid(message.clone()),
            _ => Self::internal(error.to_string()),
        }
    }
}

impl From<facenet::vision::Error> for ApiError {
    fn from(error: facenet::vision::Error) -> Self {
        use facenet::vision::Error as V;
        match &error {
            V::TooLarge { .. } => Self::too_large(error.to_string()),
            V::Decode { .. } | V::Io { .. } | V::Invalid(_) => Self::invalid(error.to_string()),
            _ => Self::internal(error.to_string()),
        }
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
