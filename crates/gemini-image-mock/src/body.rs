//! Request bodies: a limit set per route, a read the handler starts when it is ready, and the
//! bytes carried with their content type so that each handler decides how to read them.
//!
//! A route that reads its body whole takes [`UnreadBody`] and sets a limit with
//! [`limit`]; a route that streams (a file upload) takes axum's `Body` and sets none.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::Bytes;
use serde_json::Value;

use crate::error::ApiError;

/// Google refuses request bodies above 20 MB.
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// The most bytes a route reads into memory, set on the route by [`limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// Layer for one route: its body is read up to `bytes`, and a larger one gets Google's 400
/// ("Request payload size exceeds the limit").
pub fn limit(bytes: usize) -> axum::Extension<BodyLimit> {
    axum::Extension(BodyLimit(bytes))
}

/// A body not read yet. Extracting it reads nothing, so that the handler refuses a request on
/// its headers first (a bad scenario header, say) and reads megabytes only when it needs them,
/// in the order Google checks.
pub struct UnreadBody {
    body: Body,
    content_type: Option<String>,
    declared_length: Option<usize>,
    limit: Option<BodyLimit>,
}

impl<S: Send + Sync> FromRequest<S> for UnreadBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let header_text = |name| {
            parts
                .headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        Ok(Self {
            body,
            content_type: header_text(header::CONTENT_TYPE),
            declared_length: header_text(header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            limit: parts.extensions.get::<BodyLimit>().copied(),
        })
    }
}

impl UnreadBody {
    /// Reads the body whole, at most the route's limit; a body that declares more is refused
    /// without being read.
    pub async fn read(self) -> Result<RequestBody, ApiError> {
        let Some(BodyLimit(limit)) = self.limit else {
            // Reading without a limit would let a client fill the memory: a route that buffers
            // its body must say how much. This is the mock's bug, not the client's.
            tracing::error!("a route reads its body whole without a body limit");
            return Err(ApiError::internal());
        };
        if self.declared_length.is_some_and(|n| n > limit) {
            return Err(ApiError::payload_too_large(limit));
        }
        // A failed read is reported as the limit, as before: the client that went away
        // mid-body does not read the answer anyway.
        let bytes = axum::body::to_bytes(self.body, limit)
            .await
            .map_err(|_| ApiError::payload_too_large(limit))?;
        Ok(RequestBody::new(bytes, self.content_type))
    }
}

/// A body as sent: its bytes and its `Content-Type`. It is parsed as JSON at the first ask and
/// only once, whoever asks first (the journal or the handler).
pub struct RequestBody {
    bytes: Bytes,
    content_type: Option<String>,
    json: Option<Result<Value, ApiError>>,
}

impl RequestBody {
    /// A body of `bytes`, sent with `content_type`.
    pub fn new(bytes: Bytes, content_type: Option<String>) -> Self {
        Self {
            bytes,
            content_type,
            json: None,
        }
    }

    /// The bytes as sent.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The `Content-Type` header, if the client sent one. The model routes do not require it,
    /// as Google does not: `curl -d` sends JSON as a form.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body as Google's JSON parser reads it, or its complaint.
    pub fn json(&mut self) -> Result<&Value, &ApiError> {
        self.json
            .get_or_insert_with(|| parse_json(&self.bytes))
            .as_ref()
    }

    /// The parsed body, given away: the handler normalises it in place rather than copying
    /// megabytes of images.
    pub fn take_json(&mut self) -> Result<Value, ApiError> {
        self.json.take().unwrap_or_else(|| parse_json(&self.bytes))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_parsed_once_and_complaints_are_googles() {
        let mut body = RequestBody::new(Bytes::from_static(br#"{"a": 1}"#), None);
        assert_eq!(body.json().ok().map(|v| v["a"].clone()), Some(1.into()));
        assert_eq!(
            body.take_json().ok().map(|v| v["a"].clone()),
            Some(1.into())
        );

        let mut cut = RequestBody::new(Bytes::from_static(b"{\"a\": ["), None);
        let error = cut.take_json().unwrap_err();
        assert_eq!(
            error.message,
            "Invalid JSON payload received. Unexpected end of string."
        );
        let mut wrong = RequestBody::new(Bytes::from_static(b"{x}"), Some("text/plain".into()));
        assert_eq!(
            wrong.json().unwrap_err().message,
            "Invalid JSON payload received. Unexpected token at line 1 column 2."
        );
        assert_eq!(wrong.content_type(), Some("text/plain"));
    }
}
