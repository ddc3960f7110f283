//! Recordings in other tools' formats: google-genai's replay files (`genai_replay`) and
//! `google/test-server`'s recordings (`test_server`) imported into a directory of ours, and a
//! directory of ours exported to either. This module is what both share: which format, reading
//! a source (a file, or every `.json` under a directory), the exchanges of a directory as plain
//! values, and an imported exchange written as a recording.
//!
//! Neither format keeps a body's bytes, only its JSON: an imported answer is written compact
//! (a stream in Google's `data: …\r\n\r\n` frames), so it means what was recorded, byte for
//! byte only when the original was compact.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use serde_json::Value;

use super::blobs::{self, Blob};
use super::exchange::{
    Exchange, FORMAT, Layout, RecordedBody, RecordedRequest, RecordedResponse, SseEvent,
    SseRecording,
};
use super::normalise::MatchRules;
use super::{redact, tape};

/// The source files an import reads at most (each a JSON file).
const MAX_SOURCE_BYTES: u64 = 1 << 30;

/// Another tool's recording format.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use gemini_image_mock::Interchange;
///
/// let format: Interchange = "google-genai".parse()?;
/// let empty = std::env::temp_dir().join("gemini-mock-doc-interchange");
/// let out = std::env::temp_dir().join("gemini-mock-doc-interchange-out");
/// let exported = format.export(&empty, &out, None)?;
/// assert_eq!(exported.exchanges, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interchange {
    /// google-genai's `ReplayFile` JSON (`GOOGLE_GENAI_REPLAYS_DIRECTORY/{replay_id}.json`),
    /// which its `ReplayApiClient` writes in record mode.
    GoogleGenai,
    /// `google/test-server`'s recordings (`{name}.json`: `recordID`, `interactions`).
    TestServer,
}

impl std::str::FromStr for Interchange {
    type Err = io::Error;

    fn from_str(name: &str) -> io::Result<Self> {
        match name {
            "google-genai" => Ok(Self::GoogleGenai),
            "test-server" => Ok(Self::TestServer),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{other}: expected google-genai or test-server"),
            )),
        }
    }
}

/// What an import or export did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Converted {
    /// The exchanges converted.
    pub exchanges: usize,
    /// The files written (an import: recordings; an export: the other tool's files).
    pub written: Vec<PathBuf>,
    /// What the target format cannot hold, one line each (left out, not guessed).
    pub skipped: Vec<String>,
}

impl Interchange {
    /// Adds the exchanges of `src` (a file, or every `.json` under a directory, in path
    /// order) to the recordings in `dir`, after those already there.
    ///
    /// # Errors
    ///
    /// A source that cannot be read or is not this format (named), or a recording that
    /// cannot be written.
    pub fn import(self, src: &Path, dir: &Path) -> io::Result<Converted> {
        let bounds = tape::Bounds {
            exchange: super::DEFAULT_MAX_EXCHANGE_BYTES,
            total: u64::MAX,
        };
        let tape = tape::Tape::open(dir, MatchRules::default(), true, bounds)?;
        let mut done = Converted::default();
        for file in sources(src)? {
            let text = std::fs::read(&file)?;
            let context = file.parent().unwrap_or(Path::new("."));
            let imported = match self {
                Self::GoogleGenai => super::genai_replay::read(&text, context),
                Self::TestServer => super::test_server::read(&text),
            }
            .map_err(|e| invalid(format!("{}: {e}", file.display())))?;
            for item in imported {
                match item {
                    Ok(imported) => {
                        let name = tape
                            .write(&imported.exchange, &imported.blobs, &[])
                            .map_err(io::Error::other)?;
                        done.exchanges += 1;
                        done.written.push(dir.join(name));
                    }
                    Err(why) => done.skipped.push(format!("{}: {why}", file.display())),
                }
            }
        }
        Ok(done)
    }

    /// Writes the recordings of `dir` as this format under `out`: google-genai, one replay
    /// file `out/{name}.json` (`name`, the replay id, defaults to `recordings/{dir's name}/
    /// mldev`); test-server, one file `out/{name}.json` whose requests chain, or without a
    /// name one file per exchange named by its `shaSum`, as test-server names them when no
    /// `Test-Name` header is sent.
    ///
    /// # Errors
    ///
    /// A recording that cannot be read, or a file that cannot be written.
    pub fn export(self, dir: &Path, out: &Path, name: Option<&str>) -> io::Result<Converted> {
        let mut exchanges = Vec::new();
        if dir.exists() {
            for file in tape::names(dir)? {
                let exchange = tape::read(&dir.join(&file), super::DEFAULT_MAX_EXCHANGE_BYTES)?;
                exchanges.push((file, Plain::of(&exchange, dir).map_err(invalid)?));
            }
        }
        std::fs::create_dir_all(out)?;
        let mut done = Converted {
            exchanges: exchanges.len(),
            ..Converted::default()
        };
        let files = match self {
            Self::GoogleGenai => {
                let fallback = format!(
                    "recordings/{}/mldev",
                    dir.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("recordings")
                );
                let id = name.unwrap_or(&fallback);
                super::genai_replay::write(id, &exchanges, &mut done.skipped)
            }
            Self::TestServer => super::test_server::write(name, &exchanges, &mut done.skipped),
        };
        for (relative, bytes) in files {
            if relative
                .split('/')
                .any(|part| part == ".." || part.is_empty())
            {
                return Err(invalid(format!(
                    "{relative}: not a name inside {}",
                    out.display()
                )));
            }
            let path = out.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
            done.written.push(path);
        }
        done.exchanges -= done.skipped.len().min(done.exchanges);
        Ok(done)
    }
}

/// The JSON files `src` names: itself, or every `.json` under it, in path order.
fn sources(src: &Path) -> io::Result<Vec<PathBuf>> {
    if !src.is_dir() {
        return Ok(vec![src.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![src.to_owned()];
    let mut total: u64 = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                total = total.saturating_add(entry.metadata()?.len());
                if total > MAX_SOURCE_BYTES {
                    return Err(invalid(format!(
                        "{}: more than {MAX_SOURCE_BYTES} bytes of JSON to import",
                        src.display()
                    )));
                }
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

pub(super) fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
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
    fn of(exchange: &Exchange, dir: &Path) -> Result<Self, String> {
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
pub struct Foreign<'a> {
    /// The method, any case.
    pub method: &'a str,
    /// `path?query`.
    pub url: &'a str,
    /// The request headers, any case (credentials redacted here again).
    pub request_headers: Vec<(&'a str, &'a str)>,
    /// The request body.
    pub request_body: Payload,
    /// The status.
    pub status: u16,
    /// The response headers.
    pub response_headers: Vec<(&'a str, &'a str)>,
    /// The response body, or a stream's events (`Some`).
    pub response_body: Payload,
    /// A stream's events, each a JSON `data:`.
    pub events: Option<Vec<Value>>,
}

impl Foreign<'_> {
    /// The recording of ours it is.
    pub fn into_imported(self) -> Imported {
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
pub fn pairs(headers: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
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
