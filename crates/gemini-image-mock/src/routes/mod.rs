//! Request handlers, one module per part of the API: the admin API, the models collection,
//! the Files API (`files`, `upload`), the Interactions API (`interactions`), and a model's methods (`model_call` takes the request and dispatches it as a `call::Call`
//! to `generate`, `tokens` or `predict`, which answer it).

pub mod admin;
pub mod batches;
pub mod call;
pub mod files;
pub mod generate;
pub mod interactions;
pub mod model_call;
pub mod models;
pub mod oauth;
pub mod paging;
pub mod predict;
pub mod tokens;
pub mod upload;
pub mod vertex_answer;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::delivery::Framing;
use crate::spec::SPEC_YAML;

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
            Framing::Sse | Framing::Events => {
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
