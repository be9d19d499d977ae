//! The query parameters of CompreFace's face endpoints (`limit`, `prediction_count`, `det_prob_threshold`,
//! `face_plugins`, `status`) and of paging (`page`, `size`), parsed with errors in CompreFace's body.
//! Handlers take the query as a [`QueryMap`] (the face endpoints inside [`crate::input::FaceRequest`]);
//! [`FaceQuery`] documents the face parameters in `/openapi.json`.

use crate::errors::{ApiError, ApiResult};
use axum::extract::{FromRequestParts, Query};
use axum::http::Uri;
use axum::http::request::Parts;
use std::collections::HashMap;

/// The query string as every handler takes it: names to percent-decoded values (of a repeated name, the
/// last), read by [`QueryMap::parse`]; the values are parsed by the functions below with CompreFace's errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryMap(pub HashMap<String, String>);

impl QueryMap {
    /// The query of `uri` (none: empty); a query that does not decode is a 400 naming the problem.
    pub fn parse(uri: &Uri) -> ApiResult<Self> {
        Query::<HashMap<String, String>>::try_from_uri(uri)
            .map(|Query(map)| Self(map))
            .map_err(|e| ApiError::invalid(format!("Malformed query string: {}", e.body_text())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Self::parse(&parts.uri)
    }
}

/// The face parameters of detect, recognize and both verifications, as `/openapi.json` lists them (the
/// handlers read them with [`FaceParams::parse`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FaceQuery {
    /// At most this many faces, biggest first; 0: all.
    pub limit: Option<u32>,
    /// Drop faces detected with a lower score (0 to 1).
    pub det_prob_threshold: Option<f32>,
    /// Comma-separated: landmarks, calculator.
    pub face_plugins: Option<String>,
    /// Add execution_time and plugins_versions.
    pub status: Option<bool>,
}

/// The face plugins this server has: `landmarks` (the detector's 5 points) and `calculator` (the
/// embedding). CompreFace's age, gender, mask and pose plugins are refused by name.
pub const PLUGINS: [&str; 2] = ["landmarks", "calculator"];

/// How the faces of a photo are chosen and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceParams {
    /// At most this many faces, biggest first; 0: all.
    pub limit: usize,
    /// Subjects per face in recognition.
    pub prediction_count: usize,
    /// Faces whose detection score is below are dropped.
    pub det_prob_threshold: f32,
    pub landmarks: bool,
    pub calculator: bool,
    /// Report `execution_time` and `plugins_versions`.
    pub status: bool,
}

impl FaceParams {
    /// From the query string.
    pub fn parse(query: &HashMap<String, String>) -> ApiResult<Self> {
        let plugins = query.get("face_plugins").map(String::as_str).unwrap_or("");
        let mut params = Self {
            limit: number(query, "limit", 0)?,
            prediction_count: number(query, "prediction_count", 1)?,
            det_prob_threshold: probability(query, "det_prob_threshold")?,
            landmarks: false,
            calculator: false,
            status: boolean(query, "status")?,
        };
        for plugin in plugins.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match plugin {
                "landmarks" => params.landmarks = true,
                "calculator" => params.calculator = true,
                other => {
                    return Err(ApiError::invalid(format!(
                        "face plugin '{other}' is not available (available: {})",
                        PLUGINS.join(", ")
                    )));
                }
            }
        }
        if params.prediction_count == 0 {
            return Err(ApiError::invalid("prediction_count: must be at least 1"));
        }
        Ok(params)
    }
}

/// A non-negative integer parameter, `default` when absent.
pub fn number(query: &HashMap<String, String>, name: &str, default: usize) -> ApiResult<usize> {
    match query.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::invalid(format!("{name}: {text:?} is not a non-negative integer"))),
    }
}

fn probability(query: &HashMap<String, String>, name: &str) -> ApiResult<f32> {
    match query.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(f32::NEG_INFINITY),
        Some(text) => match text.parse::<f32>() {
            Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
            _ => Err(ApiError::invalid(format!(
                "{name}: {text:?} is not a number between 0.0 and 1.0"
            ))),
        },
    }
}

fn boolean(query: &HashMap<String, String>, name: &str) -> ApiResult<bool> {
    match query.get(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::invalid(format!("{name}: {other:?} is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_plugins() {
        let p = FaceParams::parse(&query(&[])).unwrap();
        assert_eq!(
            (p.limit, p.prediction_count, p.status, p.landmarks),
            (0, 1, false, false)
        );
        let p = FaceParams::parse(&query(&[("face_plugins", "landmarks,calculator"), ("status", "true")])).unwrap();
        assert!(p.landmarks && p.calculator && p.status);
    }

    #[test]
    fn bad_values_are_named() {
        for (name, value) in [
            ("limit", "-1"),
            ("det_prob_threshold", "1.5"),
            ("status", "yes"),
            ("face_plugins", "age"),
        ] {
            let err = FaceParams::parse(&query(&[(name, value)])).unwrap_err();
            assert_eq!(err.status, 400);
            assert!(
                err.message.contains(if name == "face_plugins" { "age" } else { name }),
                "{}",
                err.message
            );
        }
    }
}
