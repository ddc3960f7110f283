//! One request of a batch answered through the model path of `generateContent`: read as
//! Google's parser reads it, its `[mock:…]` directives taken, its `fileData` resolved, the
//! model's answer shaped by its scenarios. A request that fails is that line's error, never
//! the batch's. CPU work: the engine calls it on a blocking thread.

use std::collections::HashMap;

use gemini_image_types::types::{BatchInputLine, GenerateContentRequest, GenerateContentResponse};
use serde_json::Value;

use super::job::key_metadata;
use super::lines::Work;
use crate::backend::Dialect;
use crate::error::ApiError;
use crate::files;
use crate::model::catalogue::Model;
use crate::scenarios::plan::Plan;
use crate::scenarios::{pick, shape};
use crate::state::AppState;
use crate::validate::read_as;

/// A line's result and the metadata that names it.
pub struct Answered {
    /// The request's metadata: `{"key": …}` (inline: whatever the client sent).
    pub metadata: HashMap<String, String>,
    /// The model's answer, or the line's error.
    pub outcome: Result<GenerateContentResponse, ApiError>,
}

impl Answered {
    /// The key of the line, if it had one.
    pub fn key(&self) -> Option<&str> {
        self.metadata.get("key").map(String::as_str)
    }
}

/// Answers one request. `fails` is the `batch_line_errors` scenario's verdict on this line.
pub fn answer(state: &AppState, model: &Model, work: Work, fails: bool) -> Answered {
    let (request, metadata) = read(state, work);
    let outcome = request.and_then(|request| {
        if fails {
            return Err(ApiError::internal());
        }
        respond(state, model, request)
    });
    Answered { metadata, outcome }
}

/// The request and its metadata; a line that is not a request is its error.
fn read(
    state: &AppState,
    work: Work,
) -> (
    Result<GenerateContentRequest, ApiError>,
    HashMap<String, String>,
) {
    let not_specified = || ApiError::invalid_argument("request is not specified.");
    match work {
        Work::Inline { request, metadata } => (
            request.map(|request| *request).ok_or_else(not_specified),
            metadata,
        ),
        Work::Line(bytes) => {
            let value: Value = match serde_json::from_slice(&bytes) {
                Ok(value) => value,
                Err(error) => {
                    let error = ApiError::invalid_argument(format!(
                        "Invalid JSON payload received. {error}"
                    ));
                    return (Err(error), HashMap::new());
                }
            };
            // The key is echoed even when the rest of the line is refused.
            let metadata = key_metadata(value.get("key").and_then(Value::as_str));
            let line = read_as::<BatchInputLine>(
                state.config.validation,
                Dialect::GeminiApi,
                "BatchInputLine",
                value,
            )
            .and_then(|(line, _, _)| line.request.ok_or_else(not_specified));
            (line, metadata)
        }
    }
}

fn respond(
    state: &AppState,
    model: &Model,
    mut request: GenerateContentRequest,
) -> Result<GenerateContentResponse, ApiError> {
    let mut plan = Plan::default();
    plan.extend(pick::take_request_directives(&mut request)?);
    if let Some(error) = plan.error(model.id) {
        return Err(error);
    }
    files::resolve::inline_files(
        state,
        request
            .contents
            .iter_mut()
            .chain(request.system_instruction.iter_mut()),
    )?;
    shape::respond(model, &request, &state.config.pictures(), &plan)
}
