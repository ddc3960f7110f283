//! [`Error`]: one error type for every call — Google's error with its parsed details, transport
//! failures, answers that cannot be read.

use std::time::Duration;

use crate::types::{
    BadRequest, ErrorInfo, ErrorResponse, FieldViolation, QuotaFailure, QuotaViolation, RetryInfo,
    Status,
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
            Error::Timeout(_) | Error::IdleTimeout(_) | Error::Incomplete { .. } => true,
            Error::Decode { .. }
            | Error::Config(_)
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
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{http_status} {}: {message}", self.status_name().unwrap_or_else(|| "error".into()))]
pub struct ApiError {
    /// The HTTP status.
    pub http_status: u16,
    /// The parsed `error` object, when the body was Google's JSON.
    pub status: Option<Status>,
    /// The message: Google's, or the start of a non-JSON body.
    pub message: String,
}

impl ApiError {
    /// Reads an error answer; a body that is not Google's JSON keeps its status and text.
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
        match parsed {
            Some(status) => Self::from_status(http_status, status),
            None => {
                let text = String::from_utf8_lossy(body);
                let mut message: String = text.trim().chars().take(500).collect();
                if message.is_empty() {
                    message = "(empty body)".to_string();
                }
                Self {
                    http_status,
                    status: None,
                    message,
                }
            }
        }
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
            status: Some(status),
        }
    }

    /// This error as Google's JSON body, and whether it was Google's (else the JSON only carries
    /// the status and the text that arrived).
    pub(crate) fn to_google_json(&self) -> (Vec<u8>, bool) {
        let status = self.status.clone().unwrap_or_else(|| Status {
            code: Some(i32::from(self.http_status)),
            message: Some(self.message.clone()),
            ..Status::default()
        });
        let body = ErrorResponse {
            error: Some(status),
        };
        // Serializing the generated types cannot fail: no map has a non-string key.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (json, self.status.is_some())
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

/// The generated client's error, as the one [`Error`]: the one place where progenitor's error
/// becomes ours, so that a call through [`crate::Client::raw`] fails exactly as the same call
/// through the hand-written methods.
impl From<progenitor_client::Error<ErrorResponse>> for Error {
    fn from(error: progenitor_client::Error<ErrorResponse>) -> Self {
        use progenitor_client::Error as Raw;
        match error {
            Raw::ErrorResponse(answer) => {
                let http_status = answer.status().as_u16();
                let headers = answer.headers();
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
                let status = answer.into_inner().error.unwrap_or_default();
                Error::Api(if google {
                    ApiError::from_status(http_status, status)
                } else {
                    ApiError {
                        http_status,
                        status: None,
                        message: status.message.unwrap_or_default(),
                    }
                })
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
                message: "an answer the spec does not list".into(),
            }),
            Raw::InvalidRequest(message) | Raw::Custom(message) => Error::Config(message),
        }
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
        assert_eq!(html.http_status, 502);
        assert!(html.status.is_none() && html.message.contains("Bad Gateway"));
        assert!(html.is_retryable());
        assert_eq!(
            html.to_string(),
            "502 error: <html><body>Bad Gateway</body></html>"
        );
    }
}
