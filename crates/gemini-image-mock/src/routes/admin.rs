//! The admin API under `/__mock/`, the way WireMock has `/__admin/`: health, the scenario
//! queue, the request journal, the spec, reset.

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::journal::JournalFilter;
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
        .route("/reset", post(reset))
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

/// `GET /__mock/requests?path=…&model=…&testId=…`.
async fn list_requests(
    State(state): State<SharedState>,
    filter: Result<Query<JournalFilter>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = filter?;
    Ok(Json(json!({"requests": state.journal.list(&filter)})).into_response())
}

async fn clear_requests(State(state): State<SharedState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(state): State<SharedState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
