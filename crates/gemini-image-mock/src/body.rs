//! Request bodies: a limit set per route, a read the handler starts when it is ready, and the
//! bytes carried with their content type so that each handler decides how to read them.
//!
//! A route that reads its body whole takes [`UnreadBody`] and sets a limit with
//! [`limit`]; a route that streams (a file upload) takes axum's `Body` and sets none.
//!
//! Every body, read whole or streamed, is watched by [`watch_idle`]: one that stops arriving
//! for the idle timeout ends in an error ([`BodyStalled`]) instead of holding its request, its
//! connection and (for an upload chunk) its upload's claim forever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http_body::Frame;
use serde_json::Value;

use crate::error::ApiError;

/// How long a body may go without a byte arriving by default: nginx's `client_body_timeout`
/// is 60 s between two reads; half of it is still far beyond any live client's pause.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The error a body gives when no byte arrived for its idle timeout.
#[derive(Debug)]
pub struct BodyStalled(pub Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no byte of the body arrived for {:?}", self.0)
    }
}

impl std::error::Error for BodyStalled {}

/// A body that fails with [`BodyStalled`] when it is waited on for `idle` without a frame.
/// The clock runs only while the handler waits for a frame: a handler that reads its body late
/// (after a scenario's delay, say) is not the client's fault.
struct IdleTimeout {
    inner: Body,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    waiting: bool,
}

impl http_body::Body for IdleTimeout {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    let deadline = tokio::time::Instant::now() + this.idle;
                    this.deadline.as_mut().reset(deadline);
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(this.idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Layer for every route: the request's body fails with [`BodyStalled`] after `idle` without a
/// byte (`None`: waited on for ever).
pub async fn watch_idle(idle: Option<Duration>, request: Request) -> Request {
    match idle {
        Some(idle) => request.map(|inner| {
            Body::new(IdleTimeout {
                inner,
                idle,
                deadline: Box::pin(tokio::time::sleep(idle)),
                waiting: false,
            })
        }),
        None => request,
    }
}

/// Why a body could not be read whole.
pub enum BodyError {
    /// More than the route's limit.
    TooLarge,
    /// No byte arrived for the idle timeout.
    Stalled(Duration),
    /// The body ended before its `Content-Length`, its chunked encoding was malformed, or the
    /// client went away: what the HTTP layer said.
    Broken(String),
}

impl BodyError {
    /// What a body's read error was: a stall (found in its chain of sources) or a broken body.
    pub fn of(error: &axum::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(BodyStalled(idle)) = cause.downcast_ref::<BodyStalled>() {
                return Self::Stalled(*idle);
            }
            source = cause.source();
        }
        Self::Broken(error.to_string())
    }

    /// The answer to a model call's body that could not be read.
    pub fn into_api_error(self, limit: usize) -> ApiError {
        match self {
            Self::TooLarge => ApiError::payload_too_large(limit),
            Self::Stalled(idle) => ApiError::body_stalled(idle),
            Self::Broken(reason) => ApiError::body_broken(&reason),
        }
    }
}

/// Reads `body` whole, at most `limit` bytes, telling a body too large from one that stalled or
/// broke off (each has its own answer: a client told "exceeds the limit" for a cut body would
/// look for a size problem it does not have).
pub async fn read_at_most(
    body: Body,
    limit: usize,
    declared_length: Option<usize>,
) -> Result<Bytes, BodyError> {
    let mut frames = body.into_data_stream();
    // One frame is the common case of a small body: kept as it came, without a copy.
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    let mut length = 0usize;
    while let Some(frame) = frames.next().await {
        let bytes = frame.map_err(|error| BodyError::of(&error))?;
        length = length.saturating_add(bytes.len());
        if length > limit {
            return Err(BodyError::TooLarge);
        }
        match first.take() {
            None if joined.is_empty() => first = Some(bytes),
            earlier => {
                if joined.is_empty() {
                    joined.reserve(declared_length.unwrap_or(0).clamp(length, limit));
                }
                if let Some(earlier) = earlier {
                    joined.extend_from_slice(&earlier);
                }
                joined.extend_from_slice(&bytes);
            }
        }
    }
    Ok(match first {
        Some(bytes) => bytes,
        None => joined.freeze(),
    })
}

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
            drain(self.body).await;
            return Err(ApiError::payload_too_large(limit));
        }
        let bytes = read_at_most(self.body, limit, self.declared_length)
            .await
            .map_err(|error| error.into_api_error(limit))?;
        Ok(RequestBody::new(bytes, self.content_type))
    }
}

/// The most of a refused body read and dropped, and for how long: enough for a client that
/// sends a body just over the limit to finish sending it and read the refusal (closing on a
/// client still writing resets the connection, and it sees no answer at all); bounded, for a
/// body that never ends.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and drops what comes of a refused body, within `DRAIN_BYTES` and `DRAIN_TIME`.
async fn drain(body: Body) {
    let mut pieces = body.into_data_stream();
    let mut left = DRAIN_BYTES;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(piece)) = pieces.next().await {
            match left.checked_sub(piece.len()) {
                Some(rest) => left = rest,
                None => break,
            }
        }
    })
    .await;
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
