//! An exchange in the neutral form the interchange formats are converted through: ours with
//! its bodies as plain payloads (`Plain`, for an export), and another format's (`Foreign`)
//! made a recording of ours (for an import). The format modules read and write only this,
//! and the file shape they share: an [`Interaction`] of a request and a response whose bodies
//! are JSON segments.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::blobs::{self, Blob};
use super::exchange::{
    Exchange, FORMAT, Layout, RecordedBody, RecordedRequest, RecordedResponse, SseEvent,
    SseRecording,
};
use super::redact;

/// One exchange as google-genai's replay files and test-server's recordings both hold it. The
/// formats differ in the case of their names — google-genai's pydantic dump is snake_case,
/// test-server's Go structs camelCase — so both are read (the camelCase name as an alias) and
/// snake_case written (only google-genai is written through this type), and in what a response
/// holds beyond the shared fields (`X`, flattened into it).
#[derive(Serialize, Deserialize)]
pub struct Interaction<X> {
    /// What was sent.
    pub request: Request,
    /// What came back.
    pub response: Response<X>,
}

/// A request of an [`Interaction`].
#[derive(Serialize, Deserialize)]
pub struct Request {
    /// The method, any case.
    pub method: String,
    /// The URL as the format writes it (the formats rewrite its host differently).
    pub url: String,
    /// The headers kept.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body: its JSON as the first segment.
    #[serde(default, alias = "bodySegments")]
    pub body_segments: Vec<Value>,
}

/// A response of an [`Interaction`], with what its format adds (`X`).
#[derive(Serialize, Deserialize)]
pub struct Response<X> {
    /// The status; absent is 200 (test-server's `omitempty` never writes 0).
    #[serde(default = "ok", alias = "statusCode")]
    pub status_code: u16,
    /// The headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body's JSON as the first segment, or a stream's events one a segment.
    #[serde(default, alias = "bodySegments")]
    pub body_segments: Vec<Value>,
    /// What the format keeps besides.
    #[serde(flatten)]
    pub extra: X,
}

fn ok() -> u16 {
    200
}

impl<X> Interaction<X> {
    /// The recording of ours this interaction is, once its format has read what it reads its
    /// own way: the URL as our `path?query`, both bodies, the status. A URL with `alt=sse`
    /// answers a stream (see [`streams`]): the response's segments are its events.
    pub fn import(
        &self,
        url: &str,
        request_body: Payload,
        status: u16,
        response_body: Payload,
    ) -> Imported {
        Foreign {
            method: &self.request.method,
            url,
            request_headers: pairs(&self.request.headers),
            request_body,
            status,
            response_headers: pairs(&self.response.headers),
            response_body,
            events: streams(url).then(|| self.response.body_segments.clone()),
        }
        .into_imported()
    }
}

/// Whether a recorded URL answered a stream: both formats replay a URL with `alt=sse` as one
/// `data:` per body segment.
pub fn streams(url: &str) -> bool {
    url.contains("alt=sse")
}

/// A body as the other formats hold it.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// No body.
    Empty,
    /// A JSON body (base64 payloads inline).
    Json(Value),
    /// Anything else.
    Bytes(Bytes),
}

/// An exchange of ours with every body as a [`Payload`], for an export.
pub struct Plain {
    /// `GET`, `POST`…
    pub method: String,
    /// The path.
    pub path: String,
    /// The query pairs (`key` redacted).
    pub query: Vec<(String, String)>,
    /// The request headers kept (credentials `<redacted>`).
    pub request_headers: BTreeMap<String, String>,
    /// The request body.
    pub request_body: Payload,
    /// The request body's length in bytes as sent, when it had one.
    pub request_length: Option<usize>,
    /// The status.
    pub status: u16,
    /// The response headers kept.
    pub response_headers: BTreeMap<String, String>,
    /// The response body, when not a stream.
    pub response_body: Payload,
    /// A stream's events: each its JSON, or its raw text.
    pub events: Option<Vec<Payload>>,
}

impl Plain {
    /// `exchange` with its blobs read back from `dir`.
    ///
    /// # Errors
    ///
    /// A blob missing or past the recording bound.
    pub fn of(exchange: &Exchange, dir: &Path) -> Result<Self, String> {
        let mut budget = super::DEFAULT_MAX_EXCHANGE_BYTES;
        let request = &exchange.request;
        let response = &exchange.response;
        let events = match &response.sse {
            None => None,
            Some(sse) => Some(
                sse.events
                    .iter()
                    .map(|event| match &event.data {
                        Some(data) => {
                            let mut value = data.clone();
                            blobs::restore(&mut value, dir, &mut budget)
                                .map(|()| Payload::Json(value))
                        }
                        None => Ok(Payload::Bytes(Bytes::from(
                            event.text.clone().unwrap_or_default(),
                        ))),
                    })
                    .collect::<Result<Vec<_>, String>>()?,
            ),
        };
        let (request_body, length) = payload(&request.body, dir, &mut budget)?;
        Ok(Self {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            request_headers: request.headers.clone(),
            request_body,
            request_length: (length > 0).then_some(length),
            status: response.status,
            response_headers: response.headers.clone(),
            response_body: payload(&response.body, dir, &mut budget)?.0,
            events,
        })
    }

    /// `path?query`, as sent.
    pub fn url(&self) -> String {
        url_with(&self.path, &self.query)
    }
}

/// `path?query` (just `path` without pairs).
pub fn url_with(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{path}?{query}")
}

/// A recorded body as a payload, and its length as sent.
fn payload(
    body: &RecordedBody,
    dir: &Path,
    budget: &mut usize,
) -> Result<(Payload, usize), String> {
    let bytes = body.bytes(dir, budget)?;
    let length = bytes.len();
    if bytes.is_empty() {
        return Ok((Payload::Empty, 0));
    }
    let payload = match serde_json::from_slice(&bytes) {
        Ok(value) => Payload::Json(value),
        Err(_) => Payload::Bytes(bytes),
    };
    Ok((payload, length))
}

/// An exchange read from another format, ready to be written.
pub struct Imported {
    /// The recording.
    pub exchange: Exchange,
    /// Its blobs.
    pub blobs: Vec<Blob>,
}

/// What another format says of one exchange.
struct Foreign<'a> {
    /// The method, any case.
    method: &'a str,
    /// `path?query`.
    url: &'a str,
    /// The request headers, any case (credentials redacted here again).
    request_headers: Vec<(&'a str, &'a str)>,
    /// The request body.
    request_body: Payload,
    /// The status.
    status: u16,
    /// The response headers.
    response_headers: Vec<(&'a str, &'a str)>,
    /// The response body, or a stream's events (`Some`).
    response_body: Payload,
    /// A stream's events, each a JSON `data:`.
    events: Option<Vec<Value>>,
}

impl Foreign<'_> {
    /// The recording of ours it is.
    fn into_imported(self) -> Imported {
        let mut blobs = Vec::new();
        let (path, query) = match self.url.split_once('?') {
            Some((path, query)) => (
                path.to_owned(),
                form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect(),
            ),
            None => (self.url.to_owned(), Vec::new()),
        };
        let request = RecordedRequest {
            method: self.method.to_ascii_uppercase(),
            path,
            query: redact::query(&query),
            headers: redact::headers(&header_map(&self.request_headers)),
            body: body_of(self.request_body, &mut blobs),
        };
        // Imported streams are written in Google's frames (the formats do not keep the bytes).
        let sse = self.events.map(|events| {
            let separator = "\r\n\r\n";
            let mut layout = Some(Layout::GoogleLine);
            let events = events
                .iter()
                .map(|value| {
                    let mut raw = b"data: ".to_vec();
                    raw.extend(crate::wire::google_line(value));
                    raw.extend(separator.as_bytes());
                    SseEvent::capture(&raw, separator, &mut layout, 0, &mut blobs)
                })
                .collect();
            SseRecording {
                separator: separator.to_owned(),
                data_layout: Layout::GoogleLine,
                events,
            }
        });
        let response = RecordedResponse {
            status: self.status,
            headers: redact::headers(&header_map(&self.response_headers)),
            body: body_of(self.response_body, &mut blobs),
            sse,
        };
        Imported {
            exchange: Exchange {
                format: FORMAT.to_owned(),
                request,
                response,
            },
            blobs,
        }
    }
}

fn body_of(payload: Payload, blobs: &mut Vec<Blob>) -> RecordedBody {
    match payload {
        Payload::Empty => RecordedBody::default(),
        Payload::Json(value) => {
            RecordedBody::capture(&serde_json::to_vec(&value).unwrap_or_default(), blobs)
        }
        Payload::Bytes(bytes) => RecordedBody::capture(&bytes, blobs),
    }
}

/// A header map's pairs, borrowed, as [`Foreign`] takes them.
fn pairs(headers: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    map
}
