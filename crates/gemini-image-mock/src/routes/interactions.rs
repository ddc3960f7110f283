//! The Interactions API's routes: `POST /{version}/interactions` (create, unary or streamed,
//! in the background or not), `GET` / `DELETE /{version}/interactions/{id}` and
//! `POST /{version}/interactions/{id}/cancel`. Their errors go out in the Interactions shape
//! (`error::in_interactions_shape`, a layer on these routes); scenarios, chaos and the journal
//! work as for the model calls.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gemini_image_types::types::{CreateInteractionRequest, InteractionStatus};

use super::call::Call;
use super::model_call::deliver;
use super::{Answer, json_response};
use crate::backend::Backend;
use crate::body::UnreadBody;
use crate::delivery::{Delivery, Framing};
use crate::error::ApiError;
use crate::gate::{ApiQuery, ApiVersion};
use crate::interactions::store::Stored;
use crate::interactions::view::{self, Steps};
use crate::interactions::{events, steps, turn};
use crate::journal::Note;
use crate::model::catalogue;
use crate::scenarios::plan::Plan;
use crate::scenarios::{pick, shape};
use crate::state::SharedState;

/// `POST /{version}/interactions`.
///
/// `"stream": true` in the body decides the framing. Decision: `?alt=sse` without it answers
/// JSON — the body is what the SDKs set (gemini-rust sends both), and a server that streamed
/// on the query alone would break a client that sent `alt=sse` out of habit.
pub async fn create(
    State(state): State<SharedState>,
    ApiVersion(version): ApiVersion,
    ApiQuery(query): ApiQuery,
    headers: HeaderMap,
    note: Option<Extension<Note>>,
    body: UnreadBody,
) -> Response {
    let note = note.map(|Extension(n)| n).unwrap_or_default();
    let mut plan = Plan::default();
    let answer = answer_create(&state, &version, &query, &headers, &note, &mut plan, body).await;
    note.scenarios(plan.names());
    let mut delivery = Delivery::of(&plan);
    let answer = answer.map(|(answer, timing)| {
        if timing == Timing::JobTakesTheDelay {
            // A background create answers at once, `in_progress` (the point of `background`:
            // jobs longer than a connection); a `slow=` scenario is how long the job runs.
            delivery.delay = Duration::ZERO;
        }
        answer
    });
    deliver(answer, delivery).await
}

/// Whose time a `slow=` scenario is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timing {
    /// The answer's delivery: before its first byte and between its frames.
    Delivery,
    /// The background job's: its create answers at once.
    JobTakesTheDelay,
}

#[allow(clippy::too_many_arguments)] // what the request carries, passed on by the handler
async fn answer_create(
    state: &SharedState,
    version: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    note: &Note,
    plan: &mut Plan,
    body: UnreadBody,
) -> Result<(Answer, Timing), ApiError> {
    plan.extend(pick::from_headers(headers)?);
    if let Some(alt) = query.get("alt")
        && !matches!(alt.as_str(), "sse" | "json")
    {
        // The spec's values: `sse` (gemini-rust) and `json`, Google's default.
        return Err(ApiError::invalid_request(format!(
            "Invalid value for alt: '{alt}' (sse or json)."
        )));
    }
    let mut body = body.read().await?;
    note.body(&mut body);
    let mut call = Call {
        state,
        version,
        // The Interactions API is the Gemini API's alone.
        backend: &Backend::Gemini,
        model: "",
        query,
        body,
        plan,
        note,
    };
    // Names are snake_case exactly (the spec's; the validator takes a lowerCamel name only
    // where the property is lowerCamel), and an unknown field is refused as Google's parsers
    // refuse one: the Python SDK refuses unknown arguments before sending, and a field the mock
    // would silently drop could hide a typo.
    let (request, _): (CreateInteractionRequest, _) = call.read("CreateInteractionRequest")?;
    let model_name = request
        .model
        .clone()
        .unwrap_or_default()
        .trim_start_matches("models/")
        .to_string();
    note.model(&model_name);
    plan.extend(
        state
            .queue
            .take(&model_name, pick::test_id(headers).as_deref()),
    );
    plan.extend(state.chaos.draw());
    if let Some(error) = plan.error(&model_name) {
        return Err(error);
    }
    let model = catalogue::find_served(&model_name, state.config.legacy_models)
        .filter(|m| m.supports("generateContent"))
        .ok_or_else(|| ApiError::model_not_found(&model_name, version, "createInteraction"))?;
    let kept = request.store.unwrap_or(true);
    let background = request.background.unwrap_or(false);
    let stream = request.stream.unwrap_or(false);
    if background && !kept {
        return Err(ApiError::invalid_request(
            "background=true requires store=true: a background interaction is read back by \
             its id.",
        ));
    }
    let now = state.clock.now();
    let (history, root) = match &request.previous_interaction_id {
        Some(previous) => {
            let (steps, root) = state.interactions.history(previous, now)?;
            (steps, Some(root))
        }
        None => (Vec::new(), None),
    };
    let Some(input) = request.input.clone() else {
        return Err(ApiError::invalid_request("input is not specified."));
    };
    let mut input = turn::input_steps(input)?;
    plan.extend(turn::take_step_directives(&mut input)?);
    if let Some(error) = plan.error(model.id) {
        return Err(error);
    }
    let mut generate_request =
        turn::to_generate_request(&request, &history, &input, model.family.makes_images())?;
    crate::files::resolve::inline_files(
        state,
        generate_request
            .contents
            .iter_mut()
            .chain(generate_request.system_instruction.iter_mut()),
    )?;
    let pictures = state.config.pictures();
    let shaping = plan.clone();
    // Rendering megapixel images is CPU work: keep it off the async workers.
    let outcome = tokio::task::spawn_blocking(move || {
        let response = shape::respond(model, &generate_request, &pictures, &shaping)?;
        steps::outcome(response)
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let (id, root) = state.interactions.new_id(root.as_deref());
    let latency = if background {
        state.config.interaction_background_latency + plan.delay()
    } else {
        Duration::ZERO
    };
    let stored = Stored {
        id,
        root,
        model: model.id.to_string(),
        previous: request.previous_interaction_id.clone(),
        input,
        outcome,
        created: now,
        ready_at: now + latency,
        cancelled_at: None,
        background,
    };
    if kept {
        state.interactions.insert(stored.clone())?;
    }
    if stream {
        // Decision (unconfirmed): a background turn streamed from its create is streamed as a
        // `GET ?stream=true` of it would be: the stream waits for the answer (its `slow=` part
        // is the delivery's, between frames).
        let wait = if background {
            state.config.interaction_background_latency
        } else {
            Duration::ZERO
        };
        tokio::time::sleep(wait).await;
        let answer = Answer {
            body: events::stream(&stored, now + latency, kept, 0),
            framing: Framing::Events,
        };
        return Ok((answer, Timing::Delivery));
    }
    let shown = view::interaction(&stored, now, Steps::New, kept);
    let timing = if background {
        Timing::JobTakesTheDelay
    } else {
        Timing::Delivery
    };
    Ok((Answer::unary(view::body(&shown)), timing))
}

/// The `{interaction}` of the path.
type InteractionPath = Path<HashMap<String, String>>;

fn interaction_id(path: &InteractionPath) -> &str {
    path.get("interaction").map_or("", String::as_str)
}

/// `GET /{version}/interactions/{id}`: the stored timeline, or with `stream=true` its events
/// again (after `last_event_id`). `stream=false`, which the SDKs always send, and the
/// deprecated `include_input` change nothing.
///
/// A stream of a background interaction still running waits for its answer (on the real
/// clock, as the mock's clock runs with it) before it is replayed.
pub async fn get(
    State(state): State<SharedState>,
    path: InteractionPath,
    ApiQuery(query): ApiQuery,
) -> Response {
    let id = interaction_id(&path);
    let stored = match state.interactions.get(id, state.clock.now()) {
        Ok(stored) => stored,
        Err(error) => return error.into_response(),
    };
    if query.get("stream").map(String::as_str) == Some("true") {
        let after = match events::resume_after(query.get("last_event_id")) {
            Ok(after) => after,
            Err(error) => return error.into_response(),
        };
        let mut now = state.clock.now();
        if let Ok(wait) = stored.ready_at.duration_since(now)
            && stored.status_at(now) == InteractionStatus::InProgress
        {
            tokio::time::sleep(wait).await;
            now = state.clock.now().max(stored.ready_at);
        }
        // Cancelled meanwhile? The stored record says so now.
        let stored = state.interactions.get(id, now).unwrap_or(stored);
        let answer = Answer {
            body: events::stream(&stored, now, true, after),
            framing: Framing::Events,
        };
        let mut response = answer.response();
        *response.body_mut() = axum::body::Body::from(answer.body);
        return response;
    }
    let shown = view::interaction(&stored, state.clock.now(), Steps::Timeline, true);
    json_response(view::body(&shown))
}

/// `DELETE /{version}/interactions/{id}`: `200 {}`.
pub async fn delete(State(state): State<SharedState>, path: InteractionPath) -> Response {
    match state
        .interactions
        .remove(interaction_id(&path), state.clock.now())
    {
        Ok(()) => json_response(Bytes::from_static(b"{}")),
        Err(error) => error.into_response(),
    }
}

/// `POST /{version}/interactions/{id}/cancel`: the body (empty, or `{}`) is not read.
pub async fn cancel(State(state): State<SharedState>, path: InteractionPath) -> Response {
    let now: SystemTime = state.clock.now();
    match state.interactions.cancel(interaction_id(&path), now) {
        Ok(stored) => json_response(view::body(&view::interaction(
            &stored,
            now,
            Steps::None,
            true,
        ))),
        Err(error) => error.into_response(),
    }
}
