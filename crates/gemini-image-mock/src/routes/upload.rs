//! `POST /upload/{version}/files`: Google's resumable upload protocol, as the SDKs speak it.
//!
//! * **start** (`X-Goog-Upload-Command: start`, with the key): the file's metadata in the body
//!   and its size and type in `X-Goog-Upload-Header-*`; the answer is an empty 200 whose
//!   `x-goog-upload-url` (`?upload_id=…`) receives the bytes.
//! * **chunks** (`upload`, then `upload, finalize`; no key: the upload id is the credential):
//!   each chunk is streamed into the store at its `X-Goog-Upload-Offset`; every chunk but the
//!   last is a multiple of the chunk granularity; the last answers `{"file": File}`.
//! * **query**: how many bytes are in (`x-goog-upload-size-received`), to resume after a
//!   failed chunk; **cancel** forgets the upload.
//!
//! Every answer on the upload URL carries `x-goog-upload-status` (`active`, `final`), which the
//! SDKs read to decide whether to go on, stop or retry — except when the
//! `upload_status_missing` scenario takes it away.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use gemini_image_types::types::{CreateFileRequest, CreateFileResponse};
use serde::Deserialize;
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

use super::json_response;
use crate::body::{self, RequestBody};
use crate::delivery::{self, Delivery, Framing};
use crate::error::{ApiError, PlainTextError};
use crate::files::names;
use crate::files::resource;
use crate::files::store::{Appended, ChunkError, NewUpload, Source};
use crate::gate::{ApiQuery, ApiVersion};
use crate::journal::Note;
use crate::scenarios::plan::Plan;
use crate::scenarios::{Scenario, pick};
use crate::spec::SPEC;
use crate::state::SharedState;
use crate::wire;

/// The most a start request's metadata may take.
const MAX_START_BODY: usize = 64 * 1024;
/// Google's display-name limit.
const MAX_DISPLAY_NAME_CHARS: usize = 512;

/// The handler: a start without `upload_id`, a chunk, query or cancel with it.
pub async fn serve(
    State(state): State<SharedState>,
    ApiVersion(version): ApiVersion,
    ApiQuery(query): ApiQuery,
    uri: Uri,
    headers: HeaderMap,
    note: Option<Extension<Note>>,
    body: Body,
) -> Response {
    let note = note.map(|Extension(n)| n).unwrap_or_default();
    // The host the client reached: `Host` in HTTP/1.1, the URI's authority in HTTP/2.
    let host = header_text(&headers, header::HOST.as_str())
        .map(str::to_string)
        .or_else(|| uri.authority().map(ToString::to_string))
        .unwrap_or_else(|| "localhost".to_string());
    match query.get("upload_id") {
        Some(upload_id) => chunk(&state, upload_id, &headers, &note, body).await,
        None => start(&state, &version, &host, &headers, &note, body)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn header_number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ()> {
    header_text(headers, name)
        .map(|text| text.parse::<u64>().map_err(|_| ()))
        .transpose()
}

async fn start(
    state: &SharedState,
    version: &str,
    host: &str,
    headers: &HeaderMap,
    note: &Note,
    body: Body,
) -> Result<Response, ApiError> {
    // Our choice: the raw and multipart protocols Google also serves are not served here.
    if !header_text(headers, "x-goog-upload-protocol")
        .is_some_and(|p| p.eq_ignore_ascii_case("resumable"))
    {
        return Err(ApiError::invalid_argument(
            "gemini-image-mock serves resumable uploads only: send X-Goog-Upload-Protocol: \
             resumable and X-Goog-Upload-Command: start.",
        ));
    }
    if !header_text(headers, "x-goog-upload-command")
        .is_some_and(|c| c.eq_ignore_ascii_case("start"))
    {
        return Err(ApiError::invalid_argument(
            "A resumable upload starts with X-Goog-Upload-Command: start.",
        ));
    }
    let bytes = body::read_at_most(body, MAX_START_BODY, None)
        .await
        .map_err(|error| error.into_api_error(MAX_START_BODY))?;
    let content_type = header_text(headers, header::CONTENT_TYPE.as_str()).map(str::to_string);
    let mut request_body = RequestBody::new(bytes, content_type);
    note.body(&mut request_body);
    let file = read_metadata(request_body.bytes())?
        .file
        .unwrap_or_default();
    let file_id = file
        .name
        .as_deref()
        .map(names::custom_file_id)
        .transpose()?;
    if file
        .display_name
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME_CHARS)
    {
        return Err(ApiError::display_name_too_long());
    }
    let announced = match header_number(headers, "x-goog-upload-header-content-length") {
        Ok(Some(size)) => Some(size),
        Ok(None) => file.size_bytes.as_deref().and_then(|s| s.parse().ok()),
        Err(()) => {
            return Err(ApiError::invalid_argument(
                "X-Goog-Upload-Header-Content-Length must be a number of bytes.",
            ));
        }
    };
    let mime_type = header_text(headers, "x-goog-upload-header-content-type")
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or(file.mime_type)
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let upload_id = state.files.start(
        NewUpload {
            file_id,
            display_name: file.display_name,
            mime_type,
            announced,
            source: Source::Uploaded,
        },
        state.clock.now(),
    )?;
    // The URL on the host the client reached, so that curl works; the SDKs put their own base
    // URL in front anyway.
    let url = format!(
        "http://{host}/upload/{version}/files?upload_id={upload_id}&upload_protocol=resumable"
    );
    let url = HeaderValue::try_from(url)
        .map_err(|_| ApiError::invalid_argument("The Host header is not a host name."))?;
    let mut response = (StatusCode::OK, "").into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    out.insert("x-goog-upload-status", HeaderValue::from_static("active"));
    out.insert("x-goog-upload-url", url.clone());
    out.insert("x-goog-upload-control-url", url);
    out.insert(
        "x-goog-upload-chunk-granularity",
        HeaderValue::from(state.config.upload_chunk_granularity),
    );
    if let Ok(id) = HeaderValue::try_from(upload_id) {
        out.insert("x-guploader-uploadid", id);
    }
    Ok(response)
}

/// The start request's body as Google's lenient parser reads it: JSON in either spelling,
/// sizes as numbers or strings, and the docs' single-quoted `{'file': {...}}`.
fn read_metadata(bytes: &[u8]) -> Result<CreateFileRequest, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(CreateFileRequest::default());
    }
    let value: Value = match body::parse_json(bytes) {
        Ok(value) => value,
        Err(error) => match single_quotes_to_double(bytes) {
            Some(fixed) => serde_json::from_slice(&fixed).map_err(|_| error)?,
            None => return Err(error),
        },
    };
    let normalized = SPEC.normalize("CreateFileRequest", value)?;
    CreateFileRequest::deserialize(&normalized)
        .map_err(|e| ApiError::invalid_argument(format!("Invalid JSON payload received. {e}")))
}

/// JSON text with its single-quoted strings double-quoted, or `None` when it has none.
fn single_quotes_to_double(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.contains(&b'\'') {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for &byte in bytes {
        match quote {
            Some(open) if escaped => {
                escaped = false;
                // `\'` inside a single-quoted string is a plain quote.
                if !(open == b'\'' && byte == b'\'') {
                    out.push(b'\\');
                }
                out.push(byte);
            }
            Some(_) if byte == b'\\' => escaped = true,
            Some(open) if byte == open => {
                quote = None;
                out.push(b'"');
            }
            Some(b'\'') if byte == b'"' => out.extend_from_slice(b"\\\""),
            Some(_) => out.push(byte),
            None if byte == b'\'' || byte == b'"' => {
                quote = Some(byte);
                out.push(b'"');
            }
            None => out.push(byte),
        }
    }
    Some(out)
}

/// What a chunk request is answered with, and the upload status it carries (`None`: the
/// header is left out on purpose).
struct ChunkAnswer {
    response: Response,
    status: Option<&'static str>,
}

impl ChunkAnswer {
    fn new(response: impl IntoResponse, status: &'static str) -> Self {
        Self {
            response: response.into_response(),
            status: Some(status),
        }
    }
}

async fn chunk(
    state: &SharedState,
    upload_id: &str,
    headers: &HeaderMap,
    note: &Note,
    body: Body,
) -> Response {
    let mut plan = Plan::default();
    let answer = chunk_answer(state, upload_id, headers, note, &mut plan, body).await;
    note.scenarios(plan.names());
    let mut response = answer.response;
    let out = response.headers_mut();
    if let Some(status) = answer.status {
        out.insert("x-goog-upload-status", HeaderValue::from_static(status));
    }
    if let Ok(id) = HeaderValue::try_from(upload_id) {
        out.insert("x-guploader-uploadid", id);
    }
    response
}

/// The status of an upload after a refused chunk: `active` while it can go on.
fn status_of(state: &SharedState, upload_id: &str) -> &'static str {
    if state.files.received(upload_id).is_some() {
        "active"
    } else {
        "final"
    }
}

async fn chunk_answer(
    state: &SharedState,
    upload_id: &str,
    headers: &HeaderMap,
    note: &Note,
    plan: &mut Plan,
    body: Body,
) -> ChunkAnswer {
    match pick::from_headers(headers) {
        Ok(scenarios) => plan.extend(scenarios.into_iter().filter(Scenario::is_for_uploads)),
        Err(error) => return ChunkAnswer::new(error, status_of(state, upload_id)),
    }
    plan.extend(
        state
            .queue
            .take_for_upload(pick::test_id(headers).as_deref()),
    );
    let command = header_text(headers, "x-goog-upload-command").unwrap_or_default();
    let words: Vec<String> = command
        .split(',')
        .map(|w| w.trim().to_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let Some(received) = state.files.received(upload_id) else {
        return ChunkAnswer::new(ApiError::upload_not_found(), "final");
    };
    let finalize = match words.as_slice() {
        ["query"] => return query_answer(received),
        ["cancel"] => {
            state.files.cancel(upload_id);
            return ChunkAnswer::new(StatusCode::OK, "cancelled");
        }
        ["upload"] => false,
        ["upload", "finalize"] | ["finalize", "upload"] | ["finalize"] => true,
        _ => return ChunkAnswer::new(PlainTextError::unknown_command(command), "active"),
    };
    let offset = match header_number(headers, "x-goog-upload-offset") {
        Ok(Some(offset)) => offset,
        _ => return ChunkAnswer::new(PlainTextError::offset_missing(), "active"),
    };
    let mut writer = match state.files.begin_chunk(upload_id, offset) {
        Ok(writer) => writer,
        Err(error) => return refused(state, upload_id, error),
    };
    let declared = header_number(headers, header::CONTENT_LENGTH.as_str())
        .ok()
        .flatten();
    if let Some(declared) = declared
        && let Err(error) = writer.check_declared(declared)
    {
        return refused(state, upload_id, error);
    }
    let cut_after = plan
        .has(&Scenario::UploadCut)
        .then(|| declared.unwrap_or(0) / 2);
    // The chunk, streamed: its bytes counted in the store (and written to the data directory)
    // as they come, hashed for the journal as they go by, and kept only once it is whole.
    let mut hasher = Xxh3::new();
    let mut frames = body.into_data_stream();
    while cut_after.is_none_or(|cut| writer.length() < cut) {
        let Some(frame) = frames.next().await else {
            break;
        };
        let bytes = match frame {
            Ok(bytes) => bytes,
            // The client went away mid-chunk, or stopped sending for the idle timeout: nothing
            // of the chunk is kept, and dropping the writer frees the upload for a resume.
            Err(error) => {
                let refusal = match body::BodyError::of(&error) {
                    body::BodyError::Stalled(idle) => ApiError::body_stalled(idle),
                    _ => ApiError::invalid_argument(
                        "The upload chunk ended before its Content-Length.",
                    ),
                };
                return ChunkAnswer::new(refusal, "active");
            }
        };
        hasher.update(&bytes);
        if let Err(error) = writer.push(bytes).await {
            return refused(state, upload_id, error);
        }
    }
    let length = writer.length();
    let content_type = header_text(headers, header::CONTENT_TYPE.as_str());
    note.streamed_body(length, content_type, hasher.digest());
    if cut_after.is_some() {
        let cut = Delivery {
            reset: true,
            ..Delivery::default()
        };
        let mut response = StatusCode::OK.into_response();
        *response.body_mut() = delivery::body(Bytes::new(), Framing::Unary, &cut);
        return ChunkAnswer {
            response,
            status: None,
        };
    }
    if plan.has(&Scenario::UploadStatusMissing) {
        // Not kept: the SDK sends the same chunk again, at the same offset.
        return ChunkAnswer {
            response: StatusCode::OK.into_response(),
            status: None,
        };
    }
    let granularity = state.config.upload_chunk_granularity.max(1);
    if !finalize && !length.is_multiple_of(granularity) {
        return ChunkAnswer::new(
            PlainTextError::chunk_granularity(length, granularity),
            "active",
        );
    }
    let now = state.clock.now();
    let appended = writer.finish(finalize, now).await;
    match appended {
        Ok(Appended::Active) => ChunkAnswer::new(StatusCode::OK, "active"),
        Ok(Appended::Final(file)) => {
            let file = resource::describe(&file, now, state.config.file_processing);
            let body = wire::pretty(
                "CreateFileResponse",
                &CreateFileResponse { file: Some(file) },
            );
            ChunkAnswer::new(json_response(body), "final")
        }
        Err(error) => refused(state, upload_id, error),
    }
}

/// A refused chunk, with the upload's status after it.
fn refused(state: &SharedState, upload_id: &str, error: ChunkError) -> ChunkAnswer {
    let status = status_of(state, upload_id);
    match error {
        ChunkError::Api(error) => ChunkAnswer::new(error, status),
        ChunkError::Plain(error) => ChunkAnswer::new(error, status),
    }
}

/// `X-Goog-Upload-Command: query`: the bytes in, for a client resuming after a failed chunk.
fn query_answer(received: u64) -> ChunkAnswer {
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert("x-goog-upload-size-received", HeaderValue::from(received));
    ChunkAnswer::new(response, "active")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_single_quoted_body_is_read() {
        let request = read_metadata(b"{'file': {'display_name': 'It\\'s \"x\"'}}").unwrap();
        assert_eq!(
            request.file.and_then(|f| f.display_name).as_deref(),
            Some("It's \"x\"")
        );
    }

    #[test]
    fn both_spellings_and_sizes_as_numbers_or_strings() {
        for body in [
            &br#"{"file": {"display_name": "a", "mime_type": "text/plain", "size_bytes": 5}}"#[..],
            br#"{"file": {"mimeType": "text/plain", "displayName": "a", "sizeBytes": "5"}}"#,
        ] {
            let file = read_metadata(body).unwrap().file.unwrap();
            assert_eq!(file.display_name.as_deref(), Some("a"));
            assert_eq!(file.size_bytes.as_deref(), Some("5"));
            assert_eq!(file.mime_type.as_deref(), Some("text/plain"));
        }
        assert!(read_metadata(b"").unwrap().file.is_none());
        assert_eq!(read_metadata(b"{'file'").unwrap_err().code, 400);
    }
}
