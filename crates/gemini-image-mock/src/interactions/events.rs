//! An interaction as a stream of Server-Sent Events, the way the real server writes one:
//! `event: <type>\ndata: <one-line JSON with "event_type">\n\n` frames —
//! `interaction.created` → `interaction.status_update` → `step.start` / `step.delta` /
//! `step.stop` per step (an image whole in one delta) → `interaction.completed` (no steps) —
//! then `event: done\ndata: [DONE]\n\n`.
//!
//! Decision: every event carries an `event_id` (its number, from 1), which `GET
//! …?stream=true&last_event_id=N` resumes after. The real captures carry none; the spec has
//! the field and the SDKs read it, so a client that resumes can be tested.

use std::time::SystemTime;

use bytes::Bytes;
use gemini_image_types::OpenUnion;
use gemini_image_types::types::{Interaction, InteractionContent, InteractionStep};
use serde_json::{Value, json};

use super::store::Stored;
use super::view::{self, Steps};
use crate::error::ApiError;

/// The stream of `stored` as seen at `now` (its answer must be ready), after the event
/// numbered `after` (0 for all of them).
pub fn stream(stored: &Stored, now: SystemTime, kept: bool, after: u64) -> Bytes {
    let whole = view::interaction(stored, now, Steps::None, kept);
    let id = whole.id.clone().unwrap_or_default();
    let created = Interaction {
        id: Some(id.clone()),
        status: Some(gemini_image_types::types::InteractionStatus::InProgress.into()),
        object: whole.object.clone(),
        model: whole.model.clone(),
        ..Default::default()
    };
    let mut events: Vec<(&str, Value)> = vec![
        (
            "interaction.created",
            json!({"interaction": view::json(&created)}),
        ),
        (
            "interaction.status_update",
            json!({"interaction_id": id, "status": "in_progress"}),
        ),
    ];
    let shown = view::interaction(stored, now, Steps::New, kept);
    for (index, step) in shown.steps.iter().enumerate() {
        let (start, deltas) = step_events(step);
        events.push(("step.start", json!({"index": index, "step": start})));
        for delta in deltas {
            events.push(("step.delta", json!({"index": index, "delta": delta})));
        }
        events.push(("step.stop", json!({"index": index})));
    }
    let completed = Interaction {
        id: Some(id),
        ..whole
    };
    events.push((
        "interaction.completed",
        json!({"interaction": view::json(&completed)}),
    ));
    let mut out = Vec::new();
    for (number, (kind, mut data)) in (1u64..).zip(events) {
        if number <= after {
            continue;
        }
        if let Value::Object(fields) = &mut data {
            fields.insert("event_type".into(), Value::from(kind));
            fields.insert("event_id".into(), Value::from(number.to_string()));
        }
        out.extend_from_slice(format!("event: {kind}\ndata: {data}\n\n").as_bytes());
    }
    out.extend_from_slice(DONE);
    Bytes::from(out)
}

/// The last frame of every stream.
pub const DONE: &[u8] = b"event: done\ndata: [DONE]\n\n";

/// `last_event_id` as the event number to resume after.
pub fn resume_after(last_event_id: Option<&String>) -> Result<u64, ApiError> {
    match last_event_id {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            ApiError::invalid_request(format!(
                "last_event_id: '{text}' is not an event id of this stream."
            ))
        }),
    }
}

/// A step's `step.start` payload (its type alone) and its deltas: a thought's signature, each
/// output block whole (an image in one delta, `mime_type` before the megabytes of `data`).
fn step_events(step: &OpenUnion<InteractionStep>) -> (Value, Vec<Value>) {
    match step {
        OpenUnion::Known(InteractionStep::Thought { signature, .. }) => (
            json!({"type": "thought"}),
            signature
                .iter()
                .map(|s| json!({"signature": s, "type": "thought_signature"}))
                .collect(),
        ),
        OpenUnion::Known(InteractionStep::ModelOutput { content, .. }) => (
            json!({"type": "model_output"}),
            content.iter().map(content_delta).collect(),
        ),
        other => {
            let whole = view::type_last(serde_json::to_value(other).unwrap_or(Value::Null));
            (whole, Vec::new())
        }
    }
}

fn content_delta(content: &OpenUnion<InteractionContent>) -> Value {
    match content {
        OpenUnion::Known(InteractionContent::Image {
            data, mime_type, ..
        }) => json!({
            "mime_type": mime_type,
            "data": data.as_ref().map(|d| d.encode()),
            "type": "image",
        }),
        other => view::type_last(serde_json::to_value(other).unwrap_or(Value::Null)),
    }
}
