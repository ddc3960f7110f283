//! google-genai's replay files (`google/genai/_replay_api_client.py`): a `ReplayFile`
//! (`replay_id`, `interactions` of `request` and `response`, snake_case keys, as pydantic dumps
//! it) read into our exchanges, and our exchanges written as one.
//!
//! What the format holds, and so what an import can give back: a URL with its host and version
//! replaced by `{MLDEV_URL_PREFIX}` (or kept literal when the client had a custom base URL),
//! bodies as parsed JSON (one segment per SSE event), a download's bytes in `byte_segments`
//! (google-genai 3.6.1 keeps the first 64 KiB only), and an upload's chunks as one
//! pseudo-interaction (`url: ""`, body `{"bytes": …}` or `{"file_path": …}`) answered by the
//! finalize — imported as one chunk to the URL the start was given. Vertex AI's URLs lose
//! their project and location (`{VERTEX_URL_PREFIX}`), so those interactions are reported, not
//! imported. An export leaves `sdk_response_segments` empty: they are the Python SDK's own
//! model dumps, which google-genai's replay mode checks its answers against, and only it can
//! compute them (its record mode against a mock is the way to make a file it replays).

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use gemini_image_types::Base64Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::blobs;
use super::foreign::{Imported, Interaction, Payload, Plain, Request, Response, streams, url_with};

/// What a host and version are replaced by in a Gemini API URL.
const MLDEV_PREFIX: &str = "{MLDEV_URL_PREFIX}";
/// The same for Vertex AI (project and location included).
const VERTEX_PREFIX: &str = "{VERTEX_URL_PREFIX}";
/// The version an imported Gemini API URL is given (matching ignores it unless asked).
const IMPORTED_VERSION: &str = "v1beta";

#[derive(Serialize, Deserialize)]
struct ReplayFile {
    replay_id: String,
    interactions: Vec<Interaction<Segments>>,
}

/// What google-genai's response holds besides the shared fields.
#[derive(Serialize, Deserialize)]
struct Segments {
    /// A binary body (a download), pydantic's base64 of `bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    byte_segments: Option<Vec<String>>,
    /// The Python SDK's model dumps of the answer, which only it can compute.
    #[serde(default)]
    sdk_response_segments: Vec<Value>,
}

/// The exchanges of one replay file, in order; an interaction that cannot be one is the
/// reason. `context` is the folder an upload's `file_path` is looked for in (besides the
/// current directory).
///
/// # Errors
///
/// Not a replay file.
pub fn read(text: &[u8], context: &Path) -> Result<Vec<Result<Imported, String>>, String> {
    let file: ReplayFile =
        serde_json::from_slice(text).map_err(|e| format!("not a replay file: {e}"))?;
    let mut out = Vec::with_capacity(file.interactions.len());
    // The upload URL the last start was given: where its pseudo-interaction's bytes went.
    let mut upload_url: Option<String> = None;
    for (index, interaction) in file.interactions.iter().enumerate() {
        let imported = one(interaction, upload_url.as_deref(), context)
            .map_err(|why| format!("interaction {index}: {why}"));
        if let Some(url) = header(&interaction.response.headers, "x-goog-upload-url") {
            upload_url = Some(path_of_url(url).to_owned());
        }
        out.push(imported);
    }
    Ok(out)
}

fn one(
    interaction: &Interaction<Segments>,
    upload_url: Option<&str>,
    context: &Path,
) -> Result<Imported, String> {
    let request = &interaction.request;
    let response = &interaction.response;
    let segment = request.body_segments.first();
    let (url, request_body) = if request.url.is_empty() {
        let url = upload_url.ok_or("an upload's bytes with no upload started before them")?;
        (url.to_owned(), Payload::Bytes(uploaded(segment, context)?))
    } else {
        (path(&request.url)?, json_payload(segment))
    };
    let body = match (
        &response.extra.byte_segments,
        response.body_segments.is_empty(),
    ) {
        (Some(bytes), true) if !bytes.is_empty() => Payload::Bytes(
            bytes
                .iter()
                .map(|b| Base64Bytes::decode(b.as_bytes()).map(Base64Bytes::into_bytes))
                .collect::<Result<Vec<Bytes>, _>>()
                .map_err(|e| format!("byte_segments: {e}"))?
                .concat()
                .into(),
        ),
        _ if streams(&url) => Payload::Empty,
        _ => json_payload(response.body_segments.first()),
    };
    Ok(interaction.import(&url, request_body, response.status_code, body))
}

fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `{}` (what google-genai writes for no body) as no body; any other JSON as itself.
fn json_payload(segment: Option<&Value>) -> Payload {
    match segment {
        None | Some(Value::Null) => Payload::Empty,
        Some(Value::Object(map)) if map.is_empty() => Payload::Empty,
        Some(value) => Payload::Json(value.clone()),
    }
}

/// The bytes of an upload pseudo-interaction: `{"bytes": base64}`, or `{"file_path": p}`
/// read from `context` or the current directory, within the recording bound.
fn uploaded(segment: Option<&Value>, context: &Path) -> Result<Bytes, String> {
    if let Some(text) = segment.and_then(|s| s.get("bytes")).and_then(Value::as_str) {
        return Base64Bytes::decode(text.as_bytes())
            .map(Base64Bytes::into_bytes)
            .map_err(|e| format!("the upload's bytes: {e}"));
    }
    let Some(name) = segment
        .and_then(|s| s.get("file_path"))
        .and_then(Value::as_str)
    else {
        return Err("an upload with neither bytes nor file_path".into());
    };
    let found = [context.join(name), Path::new(name).to_owned()]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "the upload names the file {name}, found neither in {} nor in the current \
                 directory; import from where the suite ran",
                context.display()
            )
        })?;
    let size = std::fs::metadata(&found).map_err(|e| e.to_string())?.len();
    if size > super::DEFAULT_MAX_EXCHANGE_BYTES as u64 {
        return Err(format!("{}: over the recording bound", found.display()));
    }
    std::fs::read(&found)
        .map(Bytes::from)
        .map_err(|e| format!("{}: {e}", found.display()))
}

/// Our path (and query) for a recorded URL.
fn path(url: &str) -> Result<String, String> {
    if let Some(rest) = url.strip_prefix(MLDEV_PREFIX) {
        // `{MLDEV_URL_PREFIX}/v1beta/files` was an upload's start (the prefix ate `/upload`).
        let first = rest
            .trim_start_matches('/')
            .split(['/', '?'])
            .next()
            .unwrap_or("");
        return Ok(if is_version(first) {
            format!("/upload{rest}")
        } else {
            format!("/{IMPORTED_VERSION}{rest}")
        });
    }
    if url.starts_with(VERTEX_PREFIX) {
        return Err(
            "a Vertex AI URL, whose project and location the replay file does not keep".into(),
        );
    }
    Ok(path_of_url(url).to_owned())
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// `http://127.0.0.1:8000/v1beta/x?y` → `/v1beta/x?y`; a URL with no host as it is.
fn path_of_url(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => url,
    }
}

/// One replay file holding `exchanges`, as `{replay_id}.json`; what it cannot hold is added
/// to `skipped`.
pub fn write(
    replay_id: &str,
    exchanges: &[(String, Plain)],
    skipped: &mut Vec<String>,
) -> Vec<(String, Vec<u8>)> {
    let mut interactions = Vec::with_capacity(exchanges.len());
    for (name, plain) in exchanges {
        match interaction(plain) {
            Ok(interaction) => interactions.push(interaction),
            Err(why) => skipped.push(format!("{name}: {why}")),
        }
    }
    let file = ReplayFile {
        replay_id: replay_id.to_owned(),
        interactions,
    };
    let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    vec![(format!("{replay_id}.json"), bytes)]
}

fn interaction(plain: &Plain) -> Result<Interaction<Segments>, String> {
    let upload_chunk =
        plain.path.starts_with("/upload/") && plain.query.iter().any(|(k, _)| k == "upload_id");
    let request = match (&plain.request_body, upload_chunk) {
        (Payload::Bytes(bytes), true) => Request {
            method: "POST".into(),
            url: String::new(),
            headers: BTreeMap::new(),
            body_segments: vec![json!({"bytes": blobs::encode(bytes.clone(), false)})],
        },
        (Payload::Bytes(_), false) => {
            return Err("a binary request body outside an upload".into());
        }
        (body, _) => Request {
            method: plain.method.to_ascii_lowercase(),
            url: url_of(plain),
            headers: request_headers(&plain.request_headers),
            body_segments: vec![segment(body)],
        },
    };
    let (body_segments, byte_segments) = match (&plain.events, &plain.response_body) {
        (Some(events), _) => (
            events
                .iter()
                .filter_map(|event| match event {
                    Payload::Json(value) => Some(value.clone()),
                    Payload::Empty | Payload::Bytes(_) => None,
                })
                .collect(),
            Vec::new(),
        ),
        // pydantic writes `bytes` as URL-safe base64 with padding.
        (None, Payload::Bytes(bytes)) => (Vec::new(), vec![blobs::encode(bytes.clone(), true)]),
        (None, body) => (vec![segment(body)], Vec::new()),
    };
    Ok(Interaction {
        request,
        response: Response {
            status_code: plain.status,
            headers: plain.response_headers.clone(),
            body_segments,
            extra: Segments {
                byte_segments: Some(byte_segments),
                sdk_response_segments: Vec::new(),
            },
        },
    })
}

fn segment(body: &Payload) -> Value {
    match body {
        Payload::Json(value) => value.clone(),
        Payload::Empty | Payload::Bytes(_) => Value::Object(Map::new()),
    }
}

/// The URL as google-genai redacts it: the host and version as `{MLDEV_URL_PREFIX}` (an
/// upload's `/upload` with them), the key left out.
fn url_of(plain: &Plain) -> String {
    let query: Vec<(String, String)> = plain
        .query
        .iter()
        .filter(|(k, _)| k != "key")
        .cloned()
        .collect();
    let rest = plain
        .path
        .trim_start_matches('/')
        .split_once('/')
        .map_or("", |(_, rest)| rest);
    url_with(&format!("{MLDEV_PREFIX}/{rest}"), &query)
}

/// The request headers as google-genai records them: the key `{REDACTED}`, the bearer token
/// and the billing project left out.
fn request_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(k, _)| k.as_str() != "authorization" && k.as_str() != "x-goog-user-project")
        .map(|(k, v)| {
            let v = if k == "x-goog-api-key" {
                "{REDACTED}".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_back_as_paths() {
        assert_eq!(
            path("{MLDEV_URL_PREFIX}/models/m:streamGenerateContent?alt=sse").as_deref(),
            Ok("/v1beta/models/m:streamGenerateContent?alt=sse")
        );
        assert_eq!(
            path("{MLDEV_URL_PREFIX}/v1/files").as_deref(),
            Ok("/upload/v1/files")
        );
        assert_eq!(
            path("http://127.0.0.1:9/v1/models/m:generateContent").as_deref(),
            Ok("/v1/models/m:generateContent")
        );
        assert!(path("{VERTEX_URL_PREFIX}/publishers/google/models/m:predict").is_err());
        assert_eq!(
            path_of_url("/upload/v1/files?upload_id=a"),
            "/upload/v1/files?upload_id=a"
        );
    }
}
