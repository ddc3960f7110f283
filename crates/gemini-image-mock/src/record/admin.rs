//! `GET /__mock/recordings`: what a mock with recordings holds and did — its directory and
//! mode, every recording in file order with how often it answered, and the last requests none
//! answered (with the nearest recording and what differs), so that a test author sees at a
//! glance which recordings a suite used and which requests missed.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{RecordMode, Recordings};
use crate::error::ApiError;
use crate::state::SharedState;

/// The handler; a 400 naming the flags when the mock has no recordings.
pub async fn list(State(state): State<SharedState>) -> Response {
    match &state.config.recordings {
        Some(recordings) => Json(listing(recordings)).into_response(),
        None => ApiError::recording_precondition(
            "This gemini-image-mock has no recordings: start it with --replay DIR, or --record \
             DIR --upstream URL.",
        )
        .into_response(),
    }
}

fn listing(recordings: &Recordings) -> serde_json::Value {
    let (listed, misses) = recordings.inner.tape.listing();
    let (mode, upstream) = match &recordings.inner.options.mode {
        RecordMode::Replay => ("replay", None),
        RecordMode::Record { upstream } => ("record", Some(upstream)),
        RecordMode::ReplayOrRecord { upstream } => ("replay-or-record", Some(upstream)),
    };
    json!({
        "dir": recordings.dir().display().to_string(),
        "mode": mode,
        "upstream": upstream,
        "recordings": listed.iter().map(|r| json!({
            "file": r.file,
            "method": r.method,
            "path": r.path,
            "sse": r.sse,
            "hits": r.hits,
        })).collect::<Vec<_>>(),
        "misses": misses.iter().map(|m| json!({
            "method": m.method,
            "path": m.path,
            "nearest": m.nearest,
            "diff": m.diff,
        })).collect::<Vec<_>>(),
    })
}
