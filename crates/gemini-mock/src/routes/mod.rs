//! Request handlers, one module per part of the API.

pub mod generate;
pub mod models;
pub mod predict;
pub mod tokens;

use std::collections::HashMap;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::catalogue::{self, Model};
use crate::error::ApiError;
use crate::server::SharedState;
use crate::validate::{SPEC, SPEC_YAML};

/// One call to a `POST /{version}/models/{model}:{method}` endpoint.
pub struct Call<'a> {
    pub state: &'a SharedState,
    pub version: &'a str,
    pub model: &'a str,
    pub query: &'a HashMap<String, String>,
    pub body: Bytes,
}

impl Call<'_> {
    /// The model, if it exists and supports `method` (named as Google names it in its 404).
    pub fn model(&self, method: &str, shown_as: &str) -> Result<&'static Model, ApiError> {
        catalogue::find(self.model)
            .filter(|m| m.supports(method))
            .ok_or_else(|| {
                ApiError::model_not_found(
                    self.model.trim_start_matches("models/"),
                    self.version,
                    shown_as,
                )
            })
    }

    /// The body parsed as Google's JSON parser would, into the generated type of `schema`.
    pub fn read<T: DeserializeOwned>(&self, schema: &str) -> Result<(T, Value), ApiError> {
        let raw: Value = serde_json::from_slice(&self.body).map_err(malformed_json)?;
        let normalized = SPEC.normalize(schema, raw)?;
        let typed = serde_json::from_value(normalized.clone()).map_err(|e| {
            ApiError::invalid_argument(format!("Invalid JSON payload received. {e}"))
        })?;
        Ok((typed, normalized))
    }
}

fn malformed_json(error: serde_json::Error) -> ApiError {
    let message = if error.is_eof() {
        "Invalid JSON payload received. Unexpected end of string.".to_string()
    } else {
        format!(
            "Invalid JSON payload received. Unexpected token at line {} column {}.",
            error.line(),
            error.column()
        )
    };
    ApiError::invalid_argument(message)
}

/// A 200 JSON body as Google sends it.
pub fn json_response(body: Bytes) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Origin, X-Origin, Referer"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /__mock/openapi.yaml`: the spec this mock validates with.
pub async fn spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], SPEC_YAML)
}
