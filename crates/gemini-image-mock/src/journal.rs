//! The request journal: what clients sent and what they got, for tests to assert on.
//!
//! Keys are redacted and image data is replaced by its size and hash before anything is kept;
//! a body still larger than [`MAX_KEPT_BODY_BYTES`] is kept as its size and hash alone. The
//! journal holds at most a number of entries and a number of bytes, dropping the oldest: a
//! client sending megabytes of refused bodies cannot fill the memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use crate::answered::Answered;
use crate::backend::Backend;
use crate::body::RequestBody;
use crate::described::{describe_bytes, describe_digest};
use crate::memo::{self, BodyMemo};
use crate::scenarios::pick::TEST_ID_HEADER;
use crate::thumbnails::Thumbnails;

/// How many entries the journal keeps by default.
pub const DEFAULT_JOURNAL_ENTRIES: usize = 1000;

/// How many bytes of entries the journal keeps by default: a thousand entries of 64 KiB, room
/// for any test's prompts (images are kept as their size and hash) at a bounded cost.
pub const DEFAULT_JOURNAL_BYTES: usize = 64 * 1024 * 1024;

/// The largest JSON body kept as JSON (measured once its images are described, as its text and
/// 48 bytes a value); a larger one
/// is kept as `bodyDescription`, its size and hash. A test asserts on prompts and settings, not
/// on megabytes of text, and a 20 MB body kept whole would take a third of the journal.
pub const MAX_KEPT_BODY_BYTES: usize = 1024 * 1024;

/// What an entry costs beyond its JSON text: the struct, its maps' nodes, the queue's slot.
/// An estimate: the budget bounds the journal's memory to a small multiple of itself.
const ENTRY_OVERHEAD_BYTES: usize = 512;

/// What each value of a kept body costs beyond its text: a `Value` and, in an object, its
/// slot in the map. Counted so that a body of many tiny values (`[0,0,0,…]`: two bytes of text
/// each, far more in memory) is accounted near what it holds.
const VALUE_OVERHEAD_BYTES: usize = 48;

const REDACTED: &str = "<redacted>";

/// One request and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// Increasing from 1.
    pub id: u64,
    /// `POST`, `GET`, …
    pub method: String,
    /// The path, percent-decoding left as sent.
    pub path: String,
    /// The query parameters, `key` redacted.
    pub query: BTreeMap<String, String>,
    /// Request headers (lower-case names), `x-goog-api-key` and `authorization` redacted.
    pub headers: BTreeMap<String, String>,
    /// The `x-mock-test-id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_id: Option<String>,
    /// The model named in the path, without `models/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The service the request came to, `{"api": "gemini"}`, `{"api": "vertex", "project",
    /// "location"}` or `{"api": "vertex-express"}`; absent for a path no API route maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
    /// The `x-goog-user-project` header (the quota project Vertex AI's credentials name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_project: Option<String>,
    /// The JSON body as sent (names as the client spelled them), with every image's data
    /// replaced by `"<N bytes, xxh3 HEX>"`. Absent when there was no body or it was described
    /// (`body_description`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body that is not JSON (a file, malformed JSON), or JSON larger than 1 MiB once its
    /// images are described, as
    /// `"<N bytes, CONTENT-TYPE, xxh3 HEX>"` — `"<N bytes, xxh3 HEX>"` when it came without a
    /// `Content-Type` — and not kept. Absent when there was no body or it was kept (`body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_description: Option<String>,
    /// The scenarios applied, as `name=value`.
    pub scenarios: Vec<String>,
    /// What validation would have refused, in `--validation warn` mode.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The HTTP status answered; `499` (nginx's "client closed request") when the client gave
    /// up before the answer, such as on its own timeout.
    pub status: u16,
    /// Milliseconds from the request's arrival to its answer's head (a stream's first byte
    /// goes out then; its body may take longer), or to the client's leaving.
    #[serde(default)]
    pub latency_ms: f64,
    /// What the answer said, in brief: a `generateContent` answer's images (by size, type and
    /// hash), text and finish reasons. Absent for other calls and for errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answered>,
}

/// The status journaled for a request whose client went away before the answer.
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

/// What handlers add to the entry of the request they serve.
#[derive(Clone, Default)]
pub struct Note {
    fields: Arc<Mutex<NoteFields>>,
    /// Where the images seen are offered for thumbnails (none outside the journal).
    thumbnails: Option<Arc<Thumbnails>>,
    /// The journal's copies of small bodies already seen, and their cost.
    bodies: Option<Arc<KeptBodies>>,
}

/// A body as the journal keeps it, and what it costs there (`body_cost`), by the body's hash.
type KeptBodies = BodyMemo<(Value, usize)>;

/// Tells the journal's keys apart from other readers' of the same body.
const MEMO_SALT: u64 = 0x6a6f_7572_6e61_6c00;

#[derive(Default)]
struct NoteFields {
    model: Option<String>,
    backend: Option<Backend>,
    body: Option<Value>,
    /// What `body` costs in the journal's budget (`body_cost`), counted once when it is kept.
    body_cost: usize,
    body_description: Option<String>,
    scenarios: Vec<String>,
    warnings: Vec<String>,
    answer: Option<Answered>,
}

impl Note {
    fn with(&self, change: impl FnOnce(&mut NoteFields)) {
        if let Ok(mut fields) = self.fields.lock() {
            change(&mut fields);
        }
    }

    /// The model the request is for.
    pub fn model(&self, model: &str) {
        let model = model.trim_start_matches("models/").to_string();
        self.with(|f| f.model = Some(model));
    }

    /// The service the request came to.
    pub fn backend(&self, backend: &Backend) {
        let backend = backend.clone();
        self.with(|f| f.backend = Some(backend));
    }

    /// The body: JSON kept without its image data (unless it is still larger than
    /// [`MAX_KEPT_BODY_BYTES`]), anything else described by its size, type and hash. An empty
    /// body is no body.
    pub fn body(&self, body: &mut RequestBody) {
        if body.bytes().is_empty() {
            return;
        }
        // A body seen before (and small, without images) is copied, not parsed and walked.
        let memo = self
            .bodies
            .as_ref()
            .and_then(|bodies| Some((bodies, memo::key(body.bytes(), MEMO_SALT)?)));
        if let Some((bodies, key)) = memo
            && let Some(kept) = bodies.get(key, body.bytes())
        {
            let (json, cost) = (kept.0.clone(), kept.1);
            self.with(|f| {
                f.body = Some(json);
                f.body_cost = cost;
            });
            return;
        }
        let kept = body
            .json()
            .ok()
            .map(|json| without_images(json, None, self.thumbnails.as_ref()))
            .map(|json| {
                let cost = body_cost(&json);
                (json, cost)
            })
            .filter(|(_, cost)| *cost <= MAX_KEPT_BODY_BYTES);
        if let Some((json, cost)) = kept {
            if let Some((bodies, key)) = memo {
                bodies.put(key, body.bytes(), (json.clone(), cost));
            }
            self.with(|f| {
                f.body = Some(json);
                f.body_cost = cost;
            });
        } else {
            let description = describe_bytes(body.bytes(), body.content_type());
            if let Some(thumbnails) = &self.thumbnails
                && body.content_type().is_some_and(|t| t.starts_with("image/"))
            {
                thumbnails.offer(xxh3_64(body.bytes()), body.bytes().clone());
            }
            self.with(|f| f.body_description = Some(description));
        }
    }

    /// What a `generateContent` answer said; its images are offered for thumbnails.
    /// Returns the summary, for the response cache to give a repeated request.
    pub fn answer(
        &self,
        response: &gemini_image_types::types::GenerateContentResponse,
    ) -> Answered {
        let (answered, images) = Answered::of(response);
        if let Some(thumbnails) = &self.thumbnails {
            for image in images {
                thumbnails.offer(image.xxh3, image.bytes);
            }
        }
        self.answered(answered.clone());
        answered
    }

    /// An answer's summary already made (a repeated request answered from the cache).
    pub fn answered(&self, answered: Answered) {
        self.with(|f| f.answer = Some(answered));
    }

    /// A body that was streamed rather than kept (an upload chunk), by its size, type and
    /// hash, computed as it went by.
    pub fn streamed_body(&self, length: u64, content_type: Option<&str>, xxh3: u64) {
        if length == 0 {
            return;
        }
        let description = describe_digest(length, content_type, xxh3);
        self.with(|f| f.body_description = Some(description));
    }

    /// The scenarios applied.
    pub fn scenarios(&self, names: Vec<String>) {
        self.with(|f| f.scenarios = names);
    }

    /// A request validation would have refused.
    pub fn warning(&self, message: String) {
        self.with(|f| f.warnings.push(message));
    }
}

/// The journal, bounded in entries and in bytes.
pub struct Journal {
    capacity: usize,
    byte_budget: usize,
    kept: Mutex<Kept>,
    /// Thumbnails of the images the entries name, for the dashboard.
    thumbnails: Arc<Thumbnails>,
    /// Small bodies already kept, so that a repeated one is copied rather than read again.
    bodies: Arc<KeptBodies>,
}

/// The entries kept, each with its accounted size, and their sum.
#[derive(Default)]
struct Kept {
    entries: VecDeque<(JournalEntry, usize)>,
    bytes: usize,
    next_id: u64,
}

/// Which entries to list (all given filters must match).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalFilter {
    /// Entries whose path contains this.
    pub path: Option<String>,
    /// Entries for this model (with or without `models/`).
    pub model: Option<String>,
    /// Entries with this `x-mock-test-id`.
    pub test_id: Option<String>,
}

impl Journal {
    /// An empty journal keeping at most `capacity` entries and `byte_budget` bytes of them.
    pub fn new(capacity: usize, byte_budget: usize, thumbnails: Arc<Thumbnails>) -> Self {
        Self {
            capacity,
            byte_budget,
            thumbnails,
            bodies: Arc::default(),
            kept: Mutex::new(Kept {
                next_id: 1,
                ..Kept::default()
            }),
        }
    }

    /// Keeps `entry`, dropping the oldest entries until it fits. An entry larger than the whole
    /// budget loses its body first (to its size and hash), and is not kept if still too large;
    /// its id is spent either way, so that a test sees the gap.
    fn push(&self, mut entry: JournalEntry, body_cost: usize) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        entry.id = kept.next_id;
        kept.next_id += 1;
        drop(kept);
        if self.capacity == 0 {
            return;
        }
        let mut size = entry_size_with(&mut entry, body_cost);
        if size > self.byte_budget
            && let Some(body) = entry.body.take()
        {
            let text = serde_json::to_vec(&body).unwrap_or_default();
            entry.body_description = Some(describe_bytes(&text, Some("application/json")));
            size = entry_size(&entry);
        }
        if size > self.byte_budget {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        while kept.entries.len() >= self.capacity || kept.bytes + size > self.byte_budget {
            let Some((_, dropped)) = kept.entries.pop_front() else {
                break;
            };
            kept.bytes -= dropped;
        }
        kept.bytes += size;
        kept.entries.push_back((entry, size));
    }

    /// The bytes the entries kept are accounted for: their JSON text and a fixed overhead
    /// each. Never more than the budget.
    pub fn bytes(&self) -> usize {
        self.kept.lock().map(|kept| kept.bytes).unwrap_or_default()
    }

    /// The entries that match `filter`, oldest first.
    pub fn list(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        let model = filter
            .model
            .as_deref()
            .map(|m| m.trim_start_matches("models/"));
        self.kept
            .lock()
            .map(|kept| {
                kept.entries
                    .iter()
                    .map(|(entry, _)| entry)
                    .filter(|e| filter.path.as_deref().is_none_or(|p| e.path.contains(p)))
                    .filter(|e| model.is_none_or(|m| e.model.as_deref() == Some(m)))
                    .filter(|e| {
                        filter
                            .test_id
                            .as_deref()
                            .is_none_or(|t| e.test_id.as_deref() == Some(t))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entry `id`, while it is kept.
    pub fn get(&self, id: u64) -> Option<JournalEntry> {
        let kept = self.kept.lock().ok()?;
        // Ids increase along the queue: a binary search, not a scan.
        let index = kept
            .entries
            .binary_search_by_key(&id, |(entry, _)| entry.id)
            .ok()?;
        kept.entries.get(index).map(|(entry, _)| entry.clone())
    }

    /// The newest `count` entries, newest first, and how many are kept in all.
    pub fn newest(&self, count: usize) -> (Vec<JournalEntry>, usize) {
        self.kept
            .lock()
            .map(|kept| {
                let newest = kept.entries.iter().rev().take(count);
                (
                    newest.map(|(entry, _)| entry.clone()).collect(),
                    kept.entries.len(),
                )
            })
            .unwrap_or_default()
    }

    /// The thumbnails of the images the entries name.
    pub fn thumbnails(&self) -> &Thumbnails {
        &self.thumbnails
    }

    /// Forgets every entry (ids keep increasing) and every thumbnail.
    pub fn clear(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.entries.clear();
            kept.bytes = 0;
        }
        self.thumbnails.clear();
        self.bodies.clear();
    }
}

/// Middleware: journals every API request (not the admin API under `/__mock/`).
pub async fn record(
    State(journal): State<Arc<Journal>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/__mock/") {
        return next.run(request).await;
    }
    let started = std::time::Instant::now();
    let note = Note {
        fields: Arc::default(),
        thumbnails: Some(journal.thumbnails.clone()),
        bodies: Some(journal.bodies.clone()),
    };
    request.extensions_mut().insert(note.clone());
    let method = request.method().to_string();
    let query = request
        .uri()
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| {
                    let v = if k == "key" { REDACTED.into() } else { v };
                    (k.into_owned(), v.into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let headers: BTreeMap<String, String> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = match name.as_str() {
                "x-goog-api-key" | "authorization" | "cookie" => REDACTED.to_string(),
                _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_string(), value)
        })
        .collect();
    let test_id = headers.get(TEST_ID_HEADER).cloned();
    let user_project = headers.get("x-goog-user-project").cloned();
    let mut pending = Pending(Some((
        journal,
        note,
        JournalEntry {
            id: 0,
            method,
            path,
            query,
            headers,
            test_id,
            model: None,
            backend: None,
            user_project,
            body: None,
            body_description: None,
            scenarios: Vec::new(),
            warnings: Vec::new(),
            status: CLIENT_CLOSED_REQUEST,
            latency_ms: 0.0,
            answer: None,
        },
        started,
    )));
    let response = next.run(request).await;
    pending.finish(response.status().as_u16());
    response
}

/// A request being served. If the client goes away first, axum drops the handler's future, and
/// the entry is journaled on drop with status 499: a test still sees the attempt.
struct Pending(Option<(Arc<Journal>, Note, JournalEntry, std::time::Instant)>);

impl Pending {
    fn finish(&mut self, status: u16) {
        if let Some((journal, note, mut entry, started)) = self.0.take() {
            // Microsecond precision is plenty, and keeps the JSON short.
            let micros = started.elapsed().as_micros();
            entry.latency_ms = micros as f64 / 1000.0;
            let fields = note
                .fields
                .lock()
                .map(|mut f| std::mem::take(&mut *f))
                .unwrap_or_default();
            entry.model = fields.model;
            entry.backend = fields.backend;
            entry.body = fields.body;
            let body_cost = fields.body_cost;
            entry.body_description = fields.body_description;
            entry.scenarios = fields.scenarios;
            entry.warnings = fields.warnings;
            entry.answer = fields.answer;
            entry.status = status;
            journal.push(entry, body_cost);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish(CLIENT_CLOSED_REQUEST);
    }
}

/// What an entry costs in the journal's budget.
fn entry_size(entry: &JournalEntry) -> usize {
    let values = entry.body.as_ref().map_or(0, value_count);
    json_length(entry)
        .saturating_add(ENTRY_OVERHEAD_BYTES)
        .saturating_add(values.saturating_mul(VALUE_OVERHEAD_BYTES))
}

/// `entry_size(entry)`, with its body's cost (`body_cost`) already known: the body is not
/// written out a second time. The entry's JSON is the JSON without its body plus
/// `,"body":` and the body's text.
fn entry_size_with(entry: &mut JournalEntry, body_cost: usize) -> usize {
    let Some(body) = entry.body.take() else {
        return entry_size(entry);
    };
    let size = entry_size(entry)
        .saturating_add(r#","body":"#.len())
        .saturating_add(body_cost);
    entry.body = Some(body);
    size
}

/// What a kept body costs: its text and its values.
fn body_cost(json: &Value) -> usize {
    json_length(json).saturating_add(value_count(json).saturating_mul(VALUE_OVERHEAD_BYTES))
}

/// How many values `value` holds, itself included.
fn value_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(value_count).sum::<usize>() + 1,
        Value::Object(map) => map.values().map(value_count).sum::<usize>() + 1,
        _ => 1,
    }
}

/// The length of `value` as JSON text, counted without writing it anywhere.
fn json_length(value: &impl Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // A `Value` or an entry always serializes; were it not to, it would cost nothing here and
    // the overhead would still count it.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Replaces image data (`inlineData.data`, `bytesBase64Encoded`, in either spelling) by its
/// size and hash.
/// A copy of a body with each image's data replaced by its description: the megabytes are
/// never copied.
/// Each image decoded is offered to `thumbnails`.
fn without_images(
    value: &Value,
    parent: Option<&str>,
    thumbnails: Option<&Arc<Thumbnails>>,
) -> Value {
    match value {
        Value::Object(map) => {
            // An Interactions media block is `{"type": "image", "data": …}`. Asked once per
            // object, not once per key: a map lookup is a hash of the key.
            let is_media_block = matches!(
                map.get("type").and_then(Value::as_str),
                Some("image" | "audio" | "video" | "document")
            );
            Value::Object(
                map.iter()
                    .map(|(key, item)| {
                        let is_image =
                            matches!(key.as_str(), "bytesBase64Encoded" | "bytes_base64_encoded")
                                || (key == "data"
                                    && (is_media_block
                                        || matches!(parent, Some("inlineData" | "inline_data"))));
                        let copy = match item {
                            Value::String(data) if is_image => {
                                Value::String(describe(data, thumbnails))
                            }
                            _ => without_images(item, Some(key), thumbnails),
                        };
                        (key.clone(), copy)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| without_images(item, parent, thumbnails))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `<N bytes, xxh3 HEX>` of the decoded data, or of the text when it is not base64.
fn describe(data: &str, thumbnails: Option<&Arc<Thumbnails>>) -> String {
    match gemini_image_types::Base64Bytes::decode(data.as_bytes()) {
        Ok(bytes) => {
            let bytes = bytes.into_bytes();
            let xxh3 = xxh3_64(&bytes);
            let description = describe_digest(bytes.len() as u64, None, xxh3);
            if let Some(thumbnails) = thumbnails {
                thumbnails.offer(xxh3, bytes);
            }
            description
        }
        Err(_) => format!("<{} characters of invalid base64>", data.len()),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn json_bodies_lose_their_images_and_other_bodies_are_described() {
        let note = Note::default();
        let json = br#"{"inlineData": {"data": "aGVsbG8=", "mimeType": "image/png"}}"#;
        note.body(&mut RequestBody::new(Bytes::from_static(json), None));
        let png = Bytes::from_static(b"\x89PNG");
        note.body(&mut RequestBody::new(png, Some("image/png".into())));
        let fields = note
            .fields
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap();
        assert_eq!(
            fields.body,
            Some(serde_json::json!({"inlineData": {
                "data": describe_bytes(b"hello", None),
                "mimeType": "image/png",
            }}))
        );
        let description = fields.body_description.unwrap();
        assert!(
            description.starts_with("<4 bytes, image/png, xxh3 "),
            "{description}"
        );
    }

    #[test]
    fn a_body_of_many_tiny_values_is_counted_by_its_values_not_its_text() {
        // 300 000 zeros: 600 KB of text, some 15 MB of values in memory.
        let zeros = format!("[{}0]", "0,".repeat(300_000));
        let note = Note::default();
        note.body(&mut RequestBody::new(Bytes::from(zeros), None));
        let fields = note
            .fields
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap();
        assert!(fields.body.is_none());
        assert!(fields.body_description.is_some());
    }

    #[test]
    fn a_kept_body_is_accounted_as_if_the_entry_were_written_whole() {
        let note = Note::default();
        let json = br#"{"contents": [{"parts": [{"text": "a red bicycle"}]}], "n": [1, 2]}"#;
        note.body(&mut RequestBody::new(Bytes::from_static(json), None));
        let fields = std::mem::take(&mut *note.fields.lock().unwrap());
        let mut entry = JournalEntry {
            id: 7,
            method: "POST".into(),
            path: "/v1beta/models/m:generateContent".into(),
            query: BTreeMap::new(),
            headers: BTreeMap::from([("host".into(), "localhost".into())]),
            test_id: None,
            model: Some("m".into()),
            backend: None,
            user_project: None,
            body: fields.body,
            body_description: None,
            scenarios: vec!["a=b".into()],
            warnings: Vec::new(),
            status: 200,
            latency_ms: 1.5,
            answer: None,
        };
        let whole = entry_size(&entry);
        assert!(whole > ENTRY_OVERHEAD_BYTES + json.len() / 2);
        assert_eq!(entry_size_with(&mut entry, fields.body_cost), whole);
        assert!(entry.body.is_some(), "the body is put back");
    }
}
