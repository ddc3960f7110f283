//! Request handlers, one module per part of the API.

pub mod admin;
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
use crate::delivery::Framing;
use crate::error::ApiError;
use crate::journal::Note;
use crate::scenarios::pick::Plan;
use crate::server::{SharedState, Validation};
use crate::validate::{SPEC, SPEC_YAML};

/// One call to a `POST /{version}/models/{model}:{method}` endpoint.
pub struct Call<'a> {
    pub state: &'a SharedState,
    pub version: &'a str,
    pub model: &'a str,
    pub query: &'a HashMap<String, String>,
    /// The body as JSON, parsed once for the journal and the handler; taken by [`Call::read`].
    pub body: Option<Result<Value, ApiError>>,
    /// The scenarios chosen so far; prompt directives add to it.
    pub plan: &'a mut Plan,
    /// What the journal will say of this call.
    pub note: &'a Note,
}

/// A 200 answer before it is sent: the whole body and how it is framed.
pub struct Answer {
    pub body: Bytes,
    pub framing: Framing,
}

impl Answer {
    /// A unary JSON answer.
    pub fn unary(body: Bytes) -> Self {
        Self {
            body,
            framing: Framing::Unary,
        }
    }

    /// The response with Google's headers for the framing; the body is set by the caller.
    pub fn response(&self) -> Response {
        match self.framing {
            Framing::Sse => {
                let mut response = Response::new(axum::body::Body::empty());
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                );
                response
            }
            _ => json_response(Bytes::new()),
        }
    }
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
    ///
    /// Under `--validation warn|off` a body the spec refuses is still served when the generated
    /// type can read it; in warn mode the journal records the refusal.
    pub fn read<T: DeserializeOwned>(&mut self, schema: &str) -> Result<(T, Value), ApiError> {
        // A handler reads its body once; a second read is a bug in the mock, not the client's.
        let raw = self
            .body
            .take()
            .unwrap_or_else(|| Err(ApiError::internal()))?;
        let validation = self.state.config.validation;
        let normalized = if validation == Validation::Strict {
            SPEC.normalize(schema, raw)?
        } else {
            // Keeping a copy of the body costs memory: only the lenient modes need one.
            match SPEC.normalize(schema, raw.clone()) {
                Ok(normalized) => normalized,
                Err(error) => {
                    if validation == Validation::Warn {
                        self.note.warning(error.message);
                    }
                    raw
                }
            }
        };
        let typed = T::deserialize(&normalized).map_err(|e| {
            ApiError::invalid_argument(format!("Invalid JSON payload received. {e}"))
        })?;
        Ok((typed, normalized))
    }
}

/// A request body as Google's JSON parser reads it, or its complaint.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(malformed_json)
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
