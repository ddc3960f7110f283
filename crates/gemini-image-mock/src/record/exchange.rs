//! The recording format: one JSON file per exchange, which a person can read and review.
//!
//! ```json
//! {
//!   "format": "gemini-image-mock/recording/1",
//!   "request": {"method": "POST", "path": "/v1beta/models/m:streamGenerateContent",
//!               "query": [["alt", "sse"]], "headers": {"x-goog-api-key": "<redacted>"},
//!               "body": {"contents": [{"parts": [{"inlineData": {"data": {"$blob": "blobs/….png"}}}]}]}},
//!   "response": {"status": 200, "headers": {"content-type": "text/event-stream"},
//!                "sse": {"separator": "\r\n\r\n", "events": [{"atMs": 412, "data": {…}}]}}
//! }
//! ```
//!
//! A body is kept as JSON when writing that JSON back gives the same bytes (`bodyLayout`
//! says how: compact, the default, or Google's pretty print), as text when it is not JSON but
//! UTF-8, else as a blob. An SSE answer is its events, each with its arrival time in
//! milliseconds after the head and its `data:` JSON (or its raw text when it is not one
//! compact JSON `data:` line), so that a replay sends the same frames.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::blobs::{self, Blob};

/// The `format` of every recording this version writes and reads.
pub const FORMAT: &str = "gemini-image-mock/recording/1";

/// One recorded exchange.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    /// [`FORMAT`].
    pub format: String,
    /// What was asked.
    pub request: RecordedRequest,
    /// What the upstream answered.
    pub response: RecordedResponse,
}

/// The request, redacted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, as sent.
    pub path: String,
    /// The query pairs in order (`key` redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// The headers kept (lower-case names; credentials redacted).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body.
    #[serde(flatten)]
    pub body: RecordedBody,
}

/// The response, as the upstream sent it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers kept (lower-case names; framing headers left out, cookies redacted).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body of an answer that is not a stream.
    #[serde(flatten)]
    pub body: RecordedBody,
    /// The events of a `text/event-stream` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse: Option<SseRecording>,
}

/// A body in its most readable form that gives back the same bytes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedBody {
    /// A JSON body (base64 payloads as blob references).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// How the JSON body was written.
    #[serde(default, skip_serializing_if = "Layout::is_compact")]
    pub body_layout: Layout,
    /// A UTF-8 body that is not JSON (or whose JSON does not write back the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// Any other body: `blobs/<sha256>.<ext>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_blob: Option<String>,
}

/// How a JSON body was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Layout {
    /// `serde_json::to_vec`: no space anywhere.
    #[default]
    Compact,
    /// One line as Google's stream writes it: `": "` after a key, `,` between items.
    GoogleLine,
    /// Two-space pretty print (Google's errors).
    Pretty,
    /// Pretty print and a newline (Google's errors, exactly).
    PrettyNewline,
    /// One line with `", "` between items and `": "` after a key: Python's `json.dumps`, as
    /// google-genai sends its requests.
    Spaced,
}

impl Layout {
    const ALL: [Self; 5] = [
        Self::Compact,
        Self::GoogleLine,
        Self::PrettyNewline,
        Self::Pretty,
        Self::Spaced,
    ];

    fn is_compact(&self) -> bool {
        *self == Self::Compact
    }

    fn write(self, value: &Value) -> Vec<u8> {
        let mut out = match self {
            Self::Compact => serde_json::to_vec(value).unwrap_or_default(),
            Self::GoogleLine => crate::wire::google_line(value),
            Self::Pretty | Self::PrettyNewline => {
                serde_json::to_vec_pretty(value).unwrap_or_default()
            }
            Self::Spaced => spaced(value),
        };
        if self == Self::PrettyNewline {
            out.push(b'\n');
        }
        out
    }
}

/// `value` as Python's `json.dumps` writes it by default (ASCII text only: it escapes the
/// rest, which then does not write back the same and is kept as text).
fn spaced(value: &Value) -> Vec<u8> {
    /// `", "` before every item but the first.
    fn separate<W: ?Sized + std::io::Write>(writer: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
    struct Spaced;
    impl serde_json::ser::Formatter for Spaced {
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separate(writer, first)
        }

        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            separate(writer, first)
        }

        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
        ) -> std::io::Result<()> {
            writer.write_all(b": ")
        }
    }
    crate::wire::with_formatter(value, Spaced)
}

/// A recorded event stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SseRecording {
    /// What ends each event (`"\r\n\r\n"` from Google, `"\n\n"` from others).
    pub separator: String,
    /// How each event's `data:` JSON is written (Google's: `googleLine`).
    #[serde(default, skip_serializing_if = "Layout::is_compact")]
    pub data_layout: Layout,
    /// The events in order.
    pub events: Vec<SseEvent>,
}

/// One event of a stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SseEvent {
    /// Milliseconds after the response's head when the event was whole.
    pub at_ms: u64,
    /// The event's `data:` JSON, when the event is exactly `data: <JSON in the stream's
    /// layout>` and the separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Otherwise the event's raw text, its separator included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl RecordedBody {
    /// `bytes` in the most readable form that writes back the same, base64 payloads moved into
    /// `out`.
    pub fn capture(bytes: &[u8], out: &mut Vec<Blob>) -> Self {
        if bytes.is_empty() {
            return Self::default();
        }
        if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
            let layout = Layout::ALL
                .into_iter()
                .find(|layout| layout.write(&value) == bytes);
            if let Some(body_layout) = layout {
                blobs::extract(&mut value, out);
                return Self {
                    body: Some(value),
                    body_layout,
                    ..Self::default()
                };
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Self {
                body_text: Some(text.to_owned()),
                ..Self::default()
            },
            Err(_) => {
                let blob = blobs::named(Bytes::copy_from_slice(bytes));
                let body_blob = Some(format!("{}/{}", blobs::BLOB_DIR, blob.name));
                out.push(blob);
                Self {
                    body_blob,
                    ..Self::default()
                }
            }
        }
    }

    /// The bytes this body was captured from, blobs read from `dir` within `budget`.
    ///
    /// # Errors
    ///
    /// A blob missing or past the budget.
    pub fn bytes(&self, dir: &std::path::Path, budget: &mut usize) -> Result<Bytes, String> {
        if let Some(value) = &self.body {
            let mut value = value.clone();
            blobs::restore(&mut value, dir, budget)?;
            return Ok(Bytes::from(self.body_layout.write(&value)));
        }
        if let Some(text) = &self.body_text {
            return Ok(Bytes::from(text.clone()));
        }
        if let Some(path) = &self.body_blob {
            return blobs::read_blob(dir, path, budget).map(Bytes::from);
        }
        Ok(Bytes::new())
    }
}

impl SseEvent {
    /// One whole event (its separator included), received `at_ms` after the head. The stream's
    /// data layout is taken from its first JSON event (`layout` is `None` until then).
    pub fn capture(
        raw: &[u8],
        separator: &str,
        layout: &mut Option<Layout>,
        at_ms: u64,
        out: &mut Vec<Blob>,
    ) -> Self {
        let text = std::str::from_utf8(raw).ok();
        let line = text
            .and_then(|text| text.strip_prefix("data: "))
            .and_then(|rest| rest.strip_suffix(separator))
            .filter(|line| !line.contains('\n'));
        let parsed = line.and_then(|line| {
            let value: Value = serde_json::from_str(line).ok()?;
            let written = |l: Layout| l.write(&value) == line.as_bytes();
            let found = match *layout {
                Some(known) => written(known).then_some(known),
                None => Layout::ALL.into_iter().find(|l| written(*l)),
            }?;
            Some((value, found))
        });
        match parsed {
            Some((mut value, found)) => {
                *layout = Some(found);
                blobs::extract(&mut value, out);
                Self {
                    at_ms,
                    data: Some(value),
                    text: None,
                }
            }
            None => Self {
                at_ms,
                data: None,
                text: Some(String::from_utf8_lossy(raw).into_owned()),
            },
        }
    }

    /// The event's bytes as first sent.
    ///
    /// # Errors
    ///
    /// A blob missing or past the budget.
    pub fn bytes(
        &self,
        stream: &SseRecording,
        dir: &std::path::Path,
        budget: &mut usize,
    ) -> Result<Bytes, String> {
        if let Some(value) = &self.data {
            let mut value = value.clone();
            blobs::restore(&mut value, dir, budget)?;
            let mut out = b"data: ".to_vec();
            out.extend(stream.data_layout.write(&value));
            out.extend(stream.separator.as_bytes());
            return Ok(Bytes::from(out));
        }
        Ok(Bytes::from(self.text.clone().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_come_back_byte_for_byte() {
        let dir = std::env::temp_dir();
        for body in [
            &b"{\"a\":1,\"b\":[true]}"[..],
            b"{\n  \"error\": {\n    \"code\": 404\n  }\n}\n",
            b"{\"a\": 1}",
            b"{\"a\": [1, 2.5], \"b\": {\"c\": null}}",
            b"plain text",
            b"",
        ] {
            let mut blobs = Vec::new();
            let captured = RecordedBody::capture(body, &mut blobs);
            assert!(blobs.is_empty());
            let mut budget = usize::MAX;
            assert_eq!(
                captured.bytes(&dir, &mut budget).ok().as_deref(),
                Some(body)
            );
        }
        let mut blobs = Vec::new();
        let captured = RecordedBody::capture(&[0xff, 0xfe, 0], &mut blobs);
        assert_eq!(blobs.len(), 1);
        assert!(captured.body_blob.is_some());
    }

    #[test]
    fn an_event_is_data_or_its_raw_text() {
        let mut blobs = Vec::new();
        let mut layout = None;
        let google = b"data: {\"a\": [1,2]}\r\n\r\n";
        let event = SseEvent::capture(google, "\r\n\r\n", &mut layout, 5, &mut blobs);
        assert_eq!(event.data, Some(serde_json::json!({"a": [1, 2]})));
        assert_eq!(layout, Some(Layout::GoogleLine));
        let raw = b"event: x\ndata: {\"a\":1}\r\n\r\n";
        let other = SseEvent::capture(raw, "\r\n\r\n", &mut layout, 6, &mut blobs);
        assert!(other.data.is_none());
        let stream = SseRecording {
            separator: "\r\n\r\n".into(),
            data_layout: Layout::GoogleLine,
            events: Vec::new(),
        };
        let mut budget = usize::MAX;
        let dir = std::env::temp_dir();
        assert_eq!(
            event.bytes(&stream, &dir, &mut budget).ok().as_deref(),
            Some(&google[..])
        );
        assert_eq!(
            other.bytes(&stream, &dir, &mut budget).ok().as_deref(),
            Some(&raw[..])
        );
    }
}
