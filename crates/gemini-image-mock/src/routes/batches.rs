//! Batch mode: `POST /{version}/models/{model}:batchGenerateContent` (create, dispatched here
//! by `model_call`), `GET /{version}/batches` (list), `GET` / `DELETE
//! /{version}/batches/{id}` and `POST /{version}/batches/{id}:cancel`. The job itself runs in
//! `batches::engine`; these handlers read requests and show jobs as Operations.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use gemini_image_types::types::{
    BatchGenerateContentRequest, BatchState, Empty, ListBatchesResponse,
};

use super::call::Call;
use super::{Answer, json_response, paging};
use crate::batches::engine::{self, Run};
use crate::batches::ids::{is_batch_id, new_batch_id};
use crate::batches::job::{Job, JobScenarios};
use crate::batches::lines::Lines;
use crate::batches::store::JOB_OVERHEAD;
use crate::error::ApiError;
use crate::gate::ApiQuery;
use crate::scenarios::{Scenario, pick};
use crate::state::SharedState;
use crate::wire;

/// The schema every answer of a batch is written as.
const SCHEMA: &str = "BatchOperation";
/// Batches per page when the client does not say.
const DEFAULT_PAGE_SIZE: usize = 10;
/// The largest page; a larger `pageSize` is read as this (Google's is not known).
const MAX_PAGE_SIZE: usize = 100;

/// `:batchGenerateContent`: the batch as a pending Operation; its lines run in the
/// background.
pub async fn create(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let request_bytes = call.body.bytes().len();
    let (request, _): (BatchGenerateContentRequest, _) =
        call.read("BatchGenerateContentRequest")?;
    let model = call.model("batchGenerateContent", "batchGenerateContent")?;
    let mut batch = request.batch.unwrap_or_default();
    if batch.output.is_some() {
        // Decision (unconfirmed): the results are the server's to write. The other fields
        // only an answer carries (times, state, stats, name) are read and ignored.
        return Err(ApiError::invalid_argument(
            "batch.output: the output is set by the server and cannot be given.",
        ));
    }
    let mut scenarios = job_scenarios(&call.plan.scenarios);
    if let Some(name) = batch.display_name.as_mut() {
        // A directive in the display name asks for a batch scenario from any SDK.
        let named = pick::take_directives(name)?;
        scenarios = merge(scenarios, job_scenarios(&named));
    }
    let input = batch.input_config.unwrap_or_default();
    let (lines, input_file) = match (input.requests, input.file_name) {
        (Some(requests), None) => (Lines::Inline(requests.requests), None),
        (None, Some(file_name)) => (
            Lines::of_input_file(call.state, &file_name)?,
            Some(file_name),
        ),
        // Our wording: Google's answer to neither or both is not known.
        (None, None) => {
            return Err(ApiError::invalid_argument(
                "batch.input_config: one of requests or file_name must be set.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_argument(
                "batch.input_config: only one of requests or file_name may be set.",
            ));
        }
    };
    if lines.is_empty() {
        // Our wording: Google's answer to an empty batch is not known.
        return Err(ApiError::invalid_argument("The batch has no requests."));
    }
    let now = call.state.clock.now();
    // The inline requests are held until the job ends; a file's bytes are the file store's.
    let held = match lines {
        Lines::Inline(_) => request_bytes,
        Lines::File { .. } => 0,
    };
    let job = Job {
        id: new_batch_id(),
        sequence: 0,
        model: format!("models/{}", model.id),
        display_name: batch.display_name,
        input_file: input_file.clone(),
        created: now,
        updated: now,
        started: None,
        ended: None,
        state: BatchState::BatchStatePending,
        total: u64::try_from(lines.len()).unwrap_or(u64::MAX),
        succeeded: 0,
        failed: 0,
        inlined: Vec::new(),
        responses_file: None,
        error: None,
        output_at: None,
        scenarios,
        released: 0,
        bytes: JOB_OVERHEAD + held,
        request_bytes: held,
    };
    let kept = match &lines {
        Lines::Inline(requests) => Some(requests.as_slice()),
        Lines::File { .. } => None,
    };
    let job = call.state.batches.insert(job, kept, now)?;
    let answer = wire::pretty(SCHEMA, &job.operation(now, true));
    engine::spawn(
        call.state,
        Run {
            id: job.id,
            model,
            lines,
            first: 0,
            scenarios,
            to_file: input_file.is_some(),
        },
    );
    Ok(Answer::unary(answer))
}

/// The batch-level scenarios among `scenarios`.
fn job_scenarios(scenarios: &[Scenario]) -> JobScenarios {
    let mut found = JobScenarios::default();
    for scenario in scenarios {
        match scenario {
            Scenario::BatchFailed => found.fail = true,
            Scenario::BatchLineErrors(percent) => found.line_error_percent = *percent,
            Scenario::BatchOutputLate(delay) => found.output_late = Some(*delay),
            _ => {}
        }
    }
    found
}

fn merge(a: JobScenarios, b: JobScenarios) -> JobScenarios {
    JobScenarios {
        fail: a.fail || b.fail,
        line_error_percent: a.line_error_percent.max(b.line_error_percent),
        output_late: b.output_late.or(a.output_late),
    }
}

/// `GET /{version}/batches`: newest first, without inline results. The page token is the
/// sequence number of the last batch of the previous page.
pub async fn list(
    State(state): State<SharedState>,
    ApiQuery(query): ApiQuery,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (page, next_page_token) = paging::sequence_page(
        &query,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
        state.batches.list(now),
        |job| job.sequence,
    )?;
    let response = ListBatchesResponse {
        operations: page.iter().map(|job| job.operation(now, false)).collect(),
        next_page_token,
    };
    Ok(json_response(wire::pretty(
        "ListBatchesResponse",
        &response,
    )))
}

/// `GET`, `DELETE /{version}/batches/{id}` and `POST /{version}/batches/{id}:cancel`.
pub async fn batch(
    State(state): State<SharedState>,
    Path(params): Path<HashMap<String, String>>,
    method: Method,
    uri: Uri,
) -> Result<Response, ApiError> {
    let name = params.get("name").map(String::as_str).unwrap_or_default();
    let now = state.clock.now();
    let empty = || json_response(wire::pretty("Empty", &Empty::from(serde_json::Map::new())));
    if method == Method::POST {
        // The gate let only `name:verb` through.
        let Some(id) = name.strip_suffix(":cancel") else {
            return Err(ApiError::not_found(uri.path()));
        };
        known(id)?;
        state.batches.cancel(id, now)?;
        return Ok(empty());
    }
    if name.contains(':') {
        return Err(ApiError::not_found(uri.path()));
    }
    known(name)?;
    if method == Method::DELETE {
        return match state.batches.delete(name) {
            true => Ok(empty()),
            false => Err(ApiError::batch_not_found()),
        };
    }
    let job = state
        .batches
        .get(name, now)
        .ok_or_else(ApiError::batch_not_found)?;
    Ok(json_response(wire::pretty(
        SCHEMA,
        &job.operation(now, true),
    )))
}

/// An id that cannot be ours is not looked up.
fn known(id: &str) -> Result<(), ApiError> {
    match is_batch_id(id) {
        true => Ok(()),
        false => Err(ApiError::batch_not_found()),
    }
}
