//! The admin API under `/__mock/`, the way WireMock has `/__admin/`: health, the scenario
//! queue, the request journal, the recordings, the spec, the Files API's store, batch jobs and
//! the mock's clock, reset, and an OAuth token endpoint for offline Application Default
//! Credentials.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::files::store::{Appended, ChunkError, NewUpload, Source, StoredFile};
use crate::files::{names, resource};
use crate::journal::JournalFilter;
use crate::scenarios::parse_duration;
use crate::scenarios::queue::QueuedScenario;
use crate::state::SharedState;

/// The admin routes, nested under `/__mock`.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/openapi.yaml", get(super::spec))
        .route(
            "/scenarios",
            get(list_scenarios)
                .post(add_scenario)
                .delete(clear_scenarios),
        )
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/recordings", get(crate::record::admin::list))
        .route("/files", get(list_files).post(add_generated_file))
        .route("/clock", get(clock).post(advance_clock))
        .route("/batches", get(list_batches))
        .route("/batches/{id}/advance", post(advance_batch))
        .route("/reset", post(reset))
        .route("/oauth2/token", post(super::oauth::token))
}

async fn list_scenarios(State(state): State<SharedState>) -> Response {
    Json(json!({"scenarios": state.queue.list()})).into_response()
}

/// `POST /__mock/scenarios` with `{"scenario": "rate_limit=3s", "times": 2, "model": "…",
/// "testId": "…"}` or a list of such objects.
///
/// The body is JSON whatever its `Content-Type`, as on the model routes: the README's
/// `curl -d '{"scenario": "overloaded"}'` sends it as a form.
async fn add_scenario(
    State(state): State<SharedState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError::invalid_argument(e.body_text()))?;
    // Axum's own JSON reading, without its `Content-Type` check: the same complaints as before.
    let Json(body) =
        Json::<Value>::from_bytes(&body).map_err(|e| ApiError::invalid_argument(e.body_text()))?;
    // Read as one entry or a list by hand: an untagged enum would hide the reason.
    let entries = match body {
        Value::Array(_) => serde_json::from_value::<Vec<QueuedScenario>>(body),
        _ => serde_json::from_value::<QueuedScenario>(body).map(|entry| vec![entry]),
    }
    .map_err(|e| ApiError::invalid_argument(format!("scenario queue entry: {e}")))?;
    for entry in entries {
        state.queue.push(entry);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"scenarios": state.queue.list()})),
    )
        .into_response())
}

async fn clear_scenarios(State(state): State<SharedState>) -> StatusCode {
    state.queue.clear();
    StatusCode::NO_CONTENT
}

/// `GET /__mock/requests?path=…&model=…&testId=…`: the entries, and `journalBytes`, what
/// the journal holds against its byte budget.
async fn list_requests(
    State(state): State<SharedState>,
    filter: Result<Query<JournalFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = filter?;
    Ok(Json(json!({
        "requests": state.journal.list(&filter),
        "journalBytes": state.journal.bytes(),
    }))
    .into_response())
}

async fn clear_requests(State(state): State<SharedState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(state): State<SharedState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

/// `GET /__mock/files`: every stored file's metadata (no bytes), uploads under way, bytes held.
async fn list_files(State(state): State<SharedState>) -> Response {
    let now = state.clock.now();
    let files: Vec<Value> = state
        .files
        .list(now)
        .iter()
        .map(|f| {
            crate::wire::in_wire_order(
                "File",
                &resource::describe(f, now, state.config.file_processing),
            )
        })
        .collect();
    let usage = state.files.usage();
    Json(json!({
        "files": files,
        "pendingUploads": usage.uploads,
        "bytes": usage.bytes,
        "memoryBytes": usage.memory_bytes,
    }))
    .into_response()
}

/// `POST /__mock/files?name=batch-123&mimeType=application/jsonl` with the bytes as the body:
/// puts a file in the store as the API would have made it (source `GENERATED`, downloadable),
/// such as batch results a client under test downloads. The body is streamed into the store
/// as an upload would be, up to the 2 GB of a file.
async fn add_generated_file(
    State(state): State<SharedState>,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let file_id = query
        .get("name")
        .map(|name| names::custom_file_id(name))
        .transpose()?;
    let mime_type = query
        .get("mimeType")
        .map_or("application/octet-stream", String::as_str)
        .to_string();
    let upload = NewUpload {
        file_id,
        mime_type,
        source: Source::Generated,
        ..NewUpload::default()
    };
    let upload_id = state.files.start(upload, state.clock.now())?;
    let stored = store_body(&state, &upload_id, body).await;
    if stored.is_err() {
        state.files.cancel(&upload_id);
    }
    let now = state.clock.now();
    let file = resource::describe(&*stored?, now, state.config.file_processing);
    Ok((
        StatusCode::CREATED,
        Json(crate::wire::in_wire_order("File", &file)),
    )
        .into_response())
}

/// The body as the upload `upload_id`, in one chunk taken as it arrives.
async fn store_body(
    state: &SharedState,
    upload_id: &str,
    body: axum::body::Body,
) -> Result<Arc<StoredFile>, ApiError> {
    let api_error = ChunkError::into_api_error;
    let mut writer = state.files.begin_chunk(upload_id, 0).map_err(api_error)?;
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let bytes =
            frame.map_err(|_| ApiError::invalid_argument("The body ended before it was whole."))?;
        writer.push(bytes).await.map_err(api_error)?;
    }
    match writer.finish(true, state.clock.now()).await {
        Ok(Appended::Final(file)) => Ok(file),
        Ok(Appended::Active) => Err(ApiError::internal()),
        Err(error) => Err(api_error(error)),
    }
}

/// `GET /__mock/clock`: the time on the mock's clock and how far it was moved.
async fn clock(State(state): State<SharedState>) -> Response {
    Json(json!({
        "now": rfc3339(state.clock.now(), 6),
        "offsetSeconds": state.clock.offset().as_secs_f64(),
    }))
    .into_response()
}

/// `POST /__mock/clock` with `{"advance": "49h"}` (or a number of seconds): moves the mock's
/// clock forward, so that files expire or finish processing without waiting.
async fn advance_clock(
    State(state): State<SharedState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError::invalid_argument(e.body_text()))?;
    let Json(body) =
        Json::<Value>::from_bytes(&body).map_err(|e| ApiError::invalid_argument(e.body_text()))?;
    let by = match &body["advance"] {
        Value::String(text) => parse_duration(text),
        Value::Number(seconds) => seconds
            .as_f64()
            .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid_argument(
            "expected {\"advance\": \"49h\"} (a duration such as 90s, 5m or 49h, or seconds)",
        )
    })?;
    state.clock.advance(by);
    Ok(clock(State(state)).await)
}

/// `GET /__mock/batches`: every batch job as its Operation (without inline results), the
/// pace, and the bytes the jobs hold against their budget.
async fn list_batches(State(state): State<SharedState>) -> Response {
    let now = state.clock.now();
    let batches: Vec<Value> = state
        .batches
        .list(now)
        .iter()
        .map(|job| crate::wire::in_wire_order("BatchOperation", &job.operation(now, false)))
        .collect();
    let (bytes, budget) = state.batches.usage();
    Json(json!({
        "batches": batches,
        "pace": state.config.batch_pace.to_string(),
        "bytes": bytes,
        "budgetBytes": budget,
    }))
    .into_response()
}

/// `POST /__mock/batches/{id}/advance` with `{"lines": 3}` (or no body: every line): lets that
/// many more lines of the batch run whatever the pace (`--batch-pace manual` runs none
/// without it).
async fn advance_batch(
    State(state): State<SharedState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError::invalid_argument(e.body_text()))?;
    let id = id.strip_prefix("batches/").unwrap_or(&id);
    let lines = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let Json(body) = Json::<Value>::from_bytes(&body)
            .map_err(|e| ApiError::invalid_argument(e.body_text()))?;
        match &body["lines"] {
            Value::Null => None,
            Value::Number(n) => Some(n.as_u64().ok_or_else(|| {
                ApiError::invalid_argument("expected {\"lines\": N}, N a whole number")
            })?),
            _ => {
                return Err(ApiError::invalid_argument(
                    "expected {\"lines\": N}, N a whole number",
                ));
            }
        }
    };
    if !state.batches.advance(id, lines) {
        return Err(ApiError::batch_not_found());
    }
    let now = state.clock.now();
    let job = state
        .batches
        .get(id, now)
        .ok_or_else(ApiError::batch_not_found)?;
    Ok(Json(crate::wire::in_wire_order(
        "BatchOperation",
        &job.operation(now, false),
    ))
    .into_response())
}
