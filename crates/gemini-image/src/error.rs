//! [`Error`]: one error type for every call — Google's error with its parsed details, transport
//! failures, answers that cannot be read.

use std::time::Duration;

use crate::Base64Bytes;
use crate::batch_state::JobState;
use crate::types::{
    BadRequest, ErrorInfo, ErrorResponse, FieldViolation, InteractionErrorBody,
    InteractionErrorResponse, QuotaFailure, QuotaViolation, RetryInfo, Status,
};

/// Everything a call can fail with.
///
/// ```
/// # fn check(error: &gemini_image::Error) {
/// match error {
///     gemini_image::Error::Api(api) if api.http_status == 429 => {
///         println!("rate limited, retry in {:?}", api.retry_delay());
///     }
///     other if other.is_retryable() => println!("try again later: {other}"),
///     other => println!("failed: {other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Google answered with an error status.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request did not get an answer: connection refused or reset, timeout, TLS.
    #[error("transport: {0}")]
    Transport(#[source] reqwest::Error),
    /// No answer within the deadline ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)).
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The answer began, then stalled: no byte of its body, or no event of its stream, for
    /// this long ([`ClientBuilder::idle_timeout`](crate::ClientBuilder::idle_timeout)).
    #[error("the answer stalled: nothing arrived for {0:?}")]
    IdleTimeout(std::time::Duration),
    /// An answer arrived but could not be read.
    #[error("could not read {what}: {message}")]
    Decode {
        /// What was being read (`GenerateContentResponse`, `an SSE event` …).
        what: &'static str,
        /// Why it could not be read, with the position where it helps.
        message: String,
    },
    /// A streamed answer ended before its last word: the connection closed cleanly (a proxy or
    /// a server giving up) after part of it, or inside an event. What arrived is no answer.
    /// The client sends the request again itself only while nothing of the stream was handed
    /// out; after that, this is an item of the stream, and a new call may succeed.
    #[error("{what} was cut short: {message}")]
    Incomplete {
        /// What was being read (`the stream`).
        what: &'static str,
        /// How far it got, and what never came.
        message: String,
    },
    /// The client is not set up right (no key, a bad base URL, an unreadable file).
    #[error("{0}")]
    Config(String),
    /// Vertex AI's credentials could not authorize a request: none were found, a refresh was
    /// refused, the metadata server did not answer. The message never holds a token.
    #[error("credentials: {0}")]
    Auth(String),
    /// Reading what a call sends (an upload's file or reader) or writing what it receives (a
    /// download's writer) failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being read or written (`reading photo.png` …).
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file of the Files API ended in the `FAILED` state: Google could not process it.
    #[error("file {name} failed: {message}")]
    FileFailed {
        /// The file's name (`files/abc123`).
        name: String,
        /// The file's own error message, as Google wrote it.
        message: String,
    },
    /// The request would be larger than the client sends (Google refuses a request over
    /// 20 MB, base64 images included), and nothing was sent: automatic upload is off
    /// ([`ClientBuilder::auto_upload`](crate::ClientBuilder::auto_upload)), or what is left
    /// once every inline image is uploaded is still too large.
    #[error(
        "the request would be {size} bytes, over the limit of {limit} (Google refuses a request \
         over 20 MB): send large images through the Files API, by URI"
    )]
    RequestTooLarge {
        /// The request's size in bytes, its images inline.
        size: u64,
        /// The client's limit ([`INLINE_LIMIT`](crate::INLINE_LIMIT) unless set otherwise).
        limit: u64,
    },
    /// An inline batch would be larger than Google takes (20 MB in all, its images in base64),
    /// and nothing was sent: send it as a JSONL file instead
    /// ([`BatchInput`](crate::BatchInput), up to 2 GB).
    #[error(
        "the inline batch would be {size} bytes, over the limit of {limit} (Google refuses an \
         inline batch over 20 MB): send it as a JSONL file (BatchInput)"
    )]
    InlineBatchTooLarge {
        /// The request's size in bytes.
        size: u64,
        /// The client's limit ([`INLINE_LIMIT`](crate::INLINE_LIMIT) unless set otherwise).
        limit: u64,
    },
    /// A batch ended without results: `FAILED` (with the Operation's own `error`, which
    /// Google's SDKs drop), `CANCELLED` or `EXPIRED`.
    #[error(
        "batch {name} ended {state}{}",
        .error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
    )]
    BatchFailed {
        /// The batch (`batches/…`).
        name: String,
        /// The state it ended in.
        state: JobState,
        /// Why, when the server said (a failed batch's `error`).
        error: Option<ApiError>,
    },
    /// A batch's results are not there yet: it has not finished, or it reads `SUCCEEDED` but
    /// does not name its results file yet (Google sets it a moment later) and did not within
    /// the wait.
    #[error("batch {name} has no results yet ({state}): wait for it, then ask again")]
    BatchNotReady {
        /// The batch (`batches/…`).
        name: String,
        /// Its state when last asked.
        state: JobState,
    },
    /// The model answered without an image (a filter, text only, a blocked prompt).
    #[error("no image: {reason}")]
    NoImage {
        /// Why, as the response says (its finish reason and message, or the block reason).
        reason: String,
    },
}

impl Error {
    /// Whether trying again may succeed: 429 per-minute quota, 500, 502, 503, 504, connection
    /// failures, timeouts, an answer cut short. Never a per-day quota, never another 4xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => api.is_retryable(),
            // `is_body`, `is_decode`: the answer's body broke off (a reset, a chunked body left
            // unfinished, fewer bytes than its content-length) — reqwest reports that as a
            // decode error of the body; the request is sent again as a cut before the head is.
            Error::Transport(error) => {
                error.is_connect()
                    || error.is_timeout()
                    || error.is_request()
                    || error.is_body()
                    || error.is_decode()
            }
            Error::Timeout(_)
            | Error::IdleTimeout(_)
            | Error::Incomplete { .. }
            | Error::BatchNotReady { .. } => true,
            Error::Decode { .. }
            | Error::InlineBatchTooLarge { .. }
            | Error::BatchFailed { .. }
            | Error::NoImage { .. }
            | Error::Config(_)
            // A transient failure (a metadata server's hiccup) is retried by the credentials
            // themselves; what reaches here is their last word.
            | Error::Auth(_)
            | Error::Io { .. }
            | Error::FileFailed { .. }
            | Error::RequestTooLarge { .. } => false,
        }
    }

    /// The wait Google asks for (RetryInfo), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(api) => api.retry_delay(),
            _ => None,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.http_status),
            Error::Transport(error) => error.status().map(|s| s.as_u16()),
            _ => None,
        }
    }
}

/// An error answer from Google (or from a proxy on the way, whose body may not be JSON).
///
/// Google writes its errors in two shapes, and both are read here: the classic
/// `{"error": {"code": 400, "message", "status": "INVALID_ARGUMENT", "details"}}` (every API,
/// and the front end of the Interactions API), and the Interactions backend's
/// `{"error": {"message", "code": "invalid_request"}}`, whose `code` is a string slug, kept in
/// [`ApiError::code`].
///
/// ```
/// use gemini_image::ApiError;
///
/// let interactions = ApiError::from_body(400, br#"{"error": {"message": "bad size", "code": "invalid_request"}}"#);
/// assert_eq!(interactions.code.as_deref(), Some("invalid_request"));
/// assert_eq!(interactions.to_string(), "400 invalid_request: bad size");
///
/// let classic = ApiError::from_body(404, br#"{"error": {"code": 404, "message": "no such model", "status": "NOT_FOUND"}}"#);
/// assert_eq!(classic.status_name().as_deref(), Some("NOT_FOUND"));
/// assert_eq!(classic.code, None);
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{http_status} {}: {message}", self.kind())]
pub struct ApiError {
    /// The HTTP status (for an error inside a stream, the status its code stands for).
    pub http_status: u16,
    /// The parsed `error` object, when the body was Google's classic JSON (boxed: it is large,
    /// and every `Result<_, Error>` carries room for it).
    pub status: Option<Box<Status>>,
    /// The Interactions API's string code (`invalid_request`, `not_found`,
    /// `gateway_timeout` …), when the body was in its shape.
    pub code: Option<String>,
    /// The message: Google's, or the start of a non-JSON body.
    pub message: String,
}

/// Which of Google's error shapes a body is rendered in (`hooks.rs` hands the generated client
/// the shape its operation declares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorShape {
    /// `{"error": {"code": 400, "message", "status", "details"}}`.
    Classic,
    /// `{"error": {"message", "code": "invalid_request"}}`.
    Interactions,
}

impl ApiError {
    /// Reads an error answer in either of Google's shapes; a body that is neither keeps its
    /// status and text.
    pub fn from_body(http_status: u16, body: &[u8]) -> Self {
        // Google sends `{"error": ...}`; inside a stream it may come wrapped in a list.
        let parsed = serde_json::from_slice::<ErrorResponse>(body)
            .ok()
            .or_else(|| {
                serde_json::from_slice::<Vec<ErrorResponse>>(body)
                    .ok()
                    .and_then(|list| list.into_iter().next())
            })
            .and_then(|response| response.error);
        if let Some(status) = parsed {
            return Self::from_status(http_status, status);
        }
        let interactions = serde_json::from_slice::<InteractionErrorResponse>(body)
            .ok()
            .and_then(|response| response.error)
            .filter(|error| error.code.is_some() || error.message.is_some());
        match interactions {
            Some(error) => Self::from_interactions(http_status, error),
            None => {
                let text = String::from_utf8_lossy(body);
                let mut message: String = text.trim().chars().take(500).collect();
                if message.is_empty() {
                    message = "(empty body)".to_string();
                }
                Self {
                    http_status,
                    status: None,
                    code: None,
                    message,
                }
            }
        }
    }

    /// The Interactions API's error object, answered with `http_status` (200 for an `error`
    /// event inside a stream: there the slug says what the status would have been).
    pub(crate) fn from_interactions(http_status: u16, error: InteractionErrorBody) -> Self {
        let http_status = if http_status == 200 {
            error
                .code
                .as_deref()
                .and_then(status_of_slug)
                .unwrap_or(http_status)
        } else {
            http_status
        };
        Self {
            http_status,
            status: None,
            code: error.code,
            message: error.message.unwrap_or_default(),
        }
    }

    /// What kind of error this is, for its message: Google's status name, the Interactions
    /// slug, or `error`.
    fn kind(&self) -> String {
        self.status_name()
            .or_else(|| self.code.clone())
            .unwrap_or_else(|| "error".into())
    }

    /// Google's error object, answered with `http_status` (200 for an error inside a stream,
    /// where the object's own code is the one that counts).
    fn from_status(http_status: u16, status: Status) -> Self {
        Self {
            http_status: status
                .code
                .and_then(|c| u16::try_from(c).ok())
                .filter(|_| http_status == 200)
                .unwrap_or(http_status),
            message: status.message.clone().unwrap_or_default(),
            status: Some(Box::new(status)),
            code: None,
        }
    }

    /// A `google.rpc.Status` that arrived inside a 2xx answer — a batch line's `error`, a failed
    /// batch's `error` — whose `code` is a gRPC code (`3` for `INVALID_ARGUMENT`), not an HTTP
    /// status: `http_status` is the status that code stands for (Google's mapping), so that
    /// [`ApiError::is_retryable`] reads it as it reads an answer's. A code of 100 or more is
    /// taken for an HTTP status already (a server that writes those).
    ///
    /// ```
    /// use gemini_image::ApiError;
    /// use gemini_image::types::Status;
    ///
    /// let status: Status = serde_json::from_str(r#"{"code": 3, "message": "bad prompt"}"#)?;
    /// let error = ApiError::from_rpc_status(status);
    /// assert_eq!(error.http_status, 400);
    /// assert_eq!(error.message, "bad prompt");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_rpc_status(status: Status) -> Self {
        let code = status.code.unwrap_or(2);
        let http_status = u16::try_from(code)
            .ok()
            .filter(|c| *c >= 100)
            .unwrap_or_else(|| http_status_of_rpc_code(code));
        Self {
            http_status,
            message: status.message.clone().unwrap_or_default(),
            status: Some(Box::new(status)),
            code: None,
        }
    }

    /// This error as Google's JSON body in `shape`, and whether it was Google's (else the JSON
    /// only carries the status and the text that arrived). The one place that renders an error
    /// answer for the generated client; `From<progenitor_client::Error<_>>` below reads each
    /// shape back. The Interactions shape has no room for a classic error's details: those
    /// travel beside it, in [`STATUS_HEADER`] (see [`ApiError::classic_status_header`]).
    pub(crate) fn render(&self, shape: ErrorShape) -> (Vec<u8>, bool) {
        // Serializing the generated types cannot fail: no map has a non-string key.
        let json = match shape {
            ErrorShape::Classic => {
                let status = self.status.as_deref().cloned().unwrap_or_else(|| Status {
                    code: Some(i32::from(self.http_status)),
                    message: Some(self.message.clone()),
                    ..Status::default()
                });
                serde_json::to_vec(&ErrorResponse {
                    error: Some(status),
                })
            }
            ErrorShape::Interactions => serde_json::to_vec(&InteractionErrorResponse {
                error: Some(InteractionErrorBody {
                    code: self.code.clone(),
                    message: Some(self.message.clone()),
                }),
            }),
        };
        let google = self.status.is_some() || self.code.is_some();
        (json.unwrap_or_default(), google)
    }

    /// A classic error's `google.rpc.Status`, as the value of [`STATUS_HEADER`] (base64 of its
    /// JSON), for an answer rendered in the Interactions shape.
    pub(crate) fn classic_status_header(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        let json = serde_json::to_vec(status).ok()?;
        Some(Base64Bytes::from(json).encode())
    }

    /// Google's status name (`RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT` …).
    pub fn status_name(&self) -> Option<String> {
        self.status.as_ref()?.status.as_ref().map(|s| s.to_string())
    }

    fn details<T: serde::de::DeserializeOwned>(&self, type_suffix: &str) -> Vec<T> {
        let Some(status) = &self.status else {
            return Vec::new();
        };
        status
            .details
            .iter()
            .filter(|d| {
                d.0.get("@type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.ends_with(type_suffix))
            })
            .filter_map(|d| serde_json::from_value(serde_json::Value::Object(d.0.clone())).ok())
            .collect()
    }

    /// The wait in the RetryInfo detail (`"47s"`, `"45.837906927s"`).
    pub fn retry_delay(&self) -> Option<Duration> {
        self.details::<RetryInfo>("google.rpc.RetryInfo")
            .into_iter()
            .find_map(|info| parse_duration(info.retry_delay.as_deref()?))
    }

    /// The quota violations of a 429.
    pub fn quota_violations(&self) -> Vec<QuotaViolation> {
        self.details::<QuotaFailure>("google.rpc.QuotaFailure")
            .into_iter()
            .flat_map(|f| f.violations)
            .collect()
    }

    /// Whether a per-day quota ran out (retrying today will not help).
    pub fn is_daily_quota(&self) -> bool {
        self.quota_violations().iter().any(|v| {
            v.quota_id
                .as_deref()
                .is_some_and(|id| id.contains("PerDay"))
        })
    }

    /// The ErrorInfo reason (`API_KEY_INVALID` …).
    pub fn reason(&self) -> Option<String> {
        self.details::<ErrorInfo>("google.rpc.ErrorInfo")
            .into_iter()
            .find_map(|info| info.reason)
    }

    /// The BadRequest field violations.
    pub fn field_violations(&self) -> Vec<FieldViolation> {
        self.details::<BadRequest>("google.rpc.BadRequest")
            .into_iter()
            .flat_map(|b| b.field_violations)
            .collect()
    }

    /// 429 per-minute quota, 500, 502, 503, 504.
    pub fn is_retryable(&self) -> bool {
        match self.http_status {
            429 => !self.is_daily_quota(),
            500 | 502 | 503 | 504 => true,
            _ => false,
        }
    }
}

/// Marks an error answer that was not Google's JSON (a proxy's page) when `hooks.rs` hands it to
/// the generated client, which reads every error answer as Google's JSON.
pub(crate) const NOT_GOOGLE_HEADER: &str = "x-gemini-image-not-google";
/// Marks the answer that stands for a deadline that passed, with the deadline in milliseconds.
pub(crate) const TIMEOUT_HEADER: &str = "x-gemini-image-timeout-ms";
/// Marks the answer that stands for an answer that stalled, with the idle timeout in
/// milliseconds.
pub(crate) const IDLE_TIMEOUT_HEADER: &str = "x-gemini-image-idle-timeout-ms";

/// Marks the answer that stands for a request refused before it was sent, with its kind.
pub(crate) const LOCAL_ERROR_HEADER: &str = "x-gemini-image-local-error";

/// Which error a request refused before it was sent stands for.
pub(crate) enum LocalKind {
    Config,
    Auth,
    /// An answer the client could not read (a body past `max_body`): never the server's 500.
    Decode,
}

impl LocalKind {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            LocalKind::Config => "config",
            LocalKind::Auth => "auth",
            LocalKind::Decode => "decode",
        }
    }
}

/// Marks an answer rendered in the Interactions shape for a classic error, with its
/// `google.rpc.Status` (base64 of its JSON), which that shape has no room for.
pub(crate) const STATUS_HEADER: &str = "x-gemini-image-status";

/// The generated client's error, as the one [`Error`]: the one place where progenitor's error
/// becomes ours, so that a call through [`crate::Client::raw`] fails exactly as the same call
/// through the hand-written methods.
impl From<progenitor_client::Error<ErrorResponse>> for Error {
    fn from(error: progenitor_client::Error<ErrorResponse>) -> Self {
        from_raw(error, |http_status, _, body, google| {
            let status = body.error.unwrap_or_default();
            if google {
                ApiError::from_status(http_status, status)
            } else {
                ApiError {
                    http_status,
                    status: None,
                    code: None,
                    message: status.message.unwrap_or_default(),
                }
            }
        })
    }
}

/// The same for the Interactions operations, whose errors the generated client reads in the
/// Interactions shape: a classic error's status comes back from `STATUS_HEADER`.
impl From<progenitor_client::Error<InteractionErrorResponse>> for Error {
    fn from(error: progenitor_client::Error<InteractionErrorResponse>) -> Self {
        from_raw(error, |http_status, headers, body, google| {
            let error = body.error.unwrap_or_default();
            let classic = headers
                .get(STATUS_HEADER)
                .and_then(|value| Base64Bytes::decode(value.as_bytes()).ok())
                .and_then(|json| serde_json::from_slice::<Status>(&json).ok());
            match classic {
                Some(status) => ApiError::from_status(http_status, status),
                None if google => ApiError::from_interactions(http_status, error),
                None => ApiError {
                    http_status,
                    status: None,
                    code: None,
                    message: error.message.unwrap_or_default(),
                },
            }
        })
    }
}

/// Progenitor's error as ours; `api_error` reads an error answer's parsed body (with its
/// status, its headers, and whether it was Google's).
fn from_raw<E>(
    error: progenitor_client::Error<E>,
    api_error: impl FnOnce(u16, &reqwest::header::HeaderMap, E, bool) -> ApiError,
) -> Error {
    use progenitor_client::Error as Raw;
    match error {
        Raw::ErrorResponse(answer) => {
            let http_status = answer.status().as_u16();
            let headers = answer.headers().clone();
            let millis = |name| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .map(Duration::from_millis)
            };
            if let Some(deadline) = millis(TIMEOUT_HEADER) {
                return Error::Timeout(deadline);
            }
            if let Some(idle) = millis(IDLE_TIMEOUT_HEADER) {
                return Error::IdleTimeout(idle);
            }
            let google = !headers.contains_key(NOT_GOOGLE_HEADER);
            if let Some(kind) = headers.get(LOCAL_ERROR_HEADER) {
                let message = api_error(http_status, &headers, answer.into_inner(), false).message;
                return if kind == LocalKind::Auth.as_str() {
                    Error::Auth(message)
                } else if kind == LocalKind::Decode.as_str() {
                    Error::Decode {
                        what: "the answer",
                        message,
                    }
                } else {
                    Error::Config(message)
                };
            }
            Error::Api(api_error(
                http_status,
                &headers,
                answer.into_inner(),
                google,
            ))
        }
        Raw::CommunicationError(error)
        | Raw::InvalidUpgrade(error)
        | Raw::ResponseBodyError(error) => Error::Transport(error),
        Raw::InvalidResponsePayload(_, error) => Error::Decode {
            what: "the answer",
            message: error.to_string(),
        },
        Raw::UnexpectedResponse(response) => Error::Api(ApiError {
            http_status: response.status().as_u16(),
            status: None,
            code: None,
            message: "an answer the spec does not list".into(),
        }),
        Raw::InvalidRequest(message) | Raw::Custom(message) => Error::Config(message),
    }
}

/// The HTTP status an Interactions slug stands for, for an `error` event inside a 200 stream
/// (so that `gateway_timeout` is retryable as a 504 is). The slugs are Google's canonical codes
/// in snake case, and the few the Interactions backend adds; an unknown slug keeps the status.
fn status_of_slug(slug: &str) -> Option<u16> {
    Some(match slug {
        "invalid_request" | "invalid_argument" | "content_blocked" | "failed_precondition" => 400,
        "unauthenticated" => 401,
        "permission_denied" => 403,
        "not_found" => 404,
        "aborted" | "already_exists" => 409,
        "resource_exhausted" | "rate_limit_exceeded" => 429,
        "cancelled" => 499,
        "internal" | "unknown" => 500,
        "not_implemented" | "unimplemented" => 501,
        "unavailable" => 503,
        "gateway_timeout" | "deadline_exceeded" => 504,
        _ => return None,
    })
}

/// The HTTP status Google maps a gRPC code to (`google.rpc.Code`'s documentation); an unknown
/// code is 500, as `UNKNOWN` is.
fn http_status_of_rpc_code(code: i32) -> u16 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

/// A protobuf Duration in JSON: decimal seconds with an `s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.strip_suffix('s')?.parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_googles_rate_limit_and_a_proxys_html() {
        let body = br#"{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45.837906927s"}]}}"#;
        let error = ApiError::from_body(429, body);
        assert_eq!(error.status_name().as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(
            error.retry_delay(),
            Some(Duration::from_nanos(45_837_906_927))
        );
        assert!(error.is_retryable() && !error.is_daily_quota());
        let daily = ApiError::from_body(
            429,
            &String::from_utf8_lossy(body)
                .replace("PerMinute", "PerDay")
                .into_bytes(),
        );
        assert!(!daily.is_retryable());

        let html = ApiError::from_body(502, b"<html><body>Bad Gateway</body></html>");
        assert_eq!(html.code, None);
        assert_eq!(html.http_status, 502);
        assert!(html.status.is_none() && html.message.contains("Bad Gateway"));
        assert!(html.is_retryable());
        assert_eq!(
            html.to_string(),
            "502 error: <html><body>Bad Gateway</body></html>"
        );
    }

    #[test]
    fn reads_the_interactions_shape_and_renders_both_shapes_back() {
        let body = br#"{"error": {"message": "bad size", "code": "invalid_request"}}"#;
        let error = ApiError::from_body(400, body);
        assert_eq!(error.code.as_deref(), Some("invalid_request"));
        assert_eq!(error.message, "bad size");
        assert!(error.status.is_none() && !error.is_retryable());
        let (json, google) = error.render(ErrorShape::Interactions);
        assert!(google);
        assert_eq!(ApiError::from_body(400, &json), error);
        assert_eq!(error.classic_status_header(), None);

        // In a stream (200), the slug says which status it stands for.
        let in_stream = ApiError::from_body(
            200,
            br#"{"error": {"message": "late", "code": "gateway_timeout"}, "event_type": "error"}"#,
        );
        assert_eq!(in_stream.http_status, 504);
        assert!(in_stream.is_retryable());
        let unknown = ApiError::from_body(200, br#"{"error": {"code": "brand_new"}}"#);
        assert_eq!(unknown.http_status, 200);

        // A classic error rendered in the Interactions shape keeps its status beside it.
        let classic = ApiError::from_body(
            503,
            br#"{"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}"#,
        );
        let header = classic.classic_status_header().unwrap();
        let status: Status =
            serde_json::from_slice(&Base64Bytes::decode(header.as_bytes()).unwrap()).unwrap();
        assert_eq!(Some(&status), classic.status.as_deref());
        let (json, _) = classic.render(ErrorShape::Classic);
        assert_eq!(ApiError::from_body(503, &json), classic);
    }
}
