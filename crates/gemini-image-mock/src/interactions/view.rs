//! An interaction as the API shows it, and its JSON as the Interactions front end writes it:
//! compact, keys in the real order (`id, status, usage, created, updated, service_tier, steps,
//! object, model`; the spec lists them so), a step's or block's `type` last, as in every real
//! reply (`{"signature":"…","type":"thought"}`).

use std::time::SystemTime;

use bytes::Bytes;
use gemini_image_types::types::{Interaction, InteractionStatus};
use serde_json::{Map, Value};

use super::store::Stored;
use crate::clock::rfc3339;
use crate::wire;

/// Which steps a view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    /// None (a background reply, a cancel, a stream's `interaction.*` events).
    None,
    /// The model's new steps (a `POST` reply).
    New,
    /// This turn's whole timeline, its `user_input` first (a `GET`).
    ///
    /// Decision (unconfirmed): a chained turn's `GET` shows its own input and output only, not
    /// the turns before it, which are reachable through `previous_interaction_id` (echoed).
    Timeline,
}

/// The interaction `stored` at `now`, with `steps`; without `id` when it is not kept.
pub fn interaction(stored: &Stored, now: SystemTime, steps: Steps, kept: bool) -> Interaction {
    let status = stored.status_at(now);
    let done = matches!(
        status,
        InteractionStatus::Completed | InteractionStatus::Incomplete | InteractionStatus::Failed
    );
    let shown = match steps {
        Steps::None => Vec::new(),
        Steps::New if done => stored.outcome.steps.clone(),
        Steps::Timeline if done => stored
            .input
            .iter()
            .chain(&stored.outcome.steps)
            .cloned()
            .collect(),
        Steps::Timeline => stored.input.clone(),
        Steps::New => Vec::new(),
    };
    Interaction {
        id: kept.then(|| stored.id.clone()),
        status: Some(status.into()),
        usage: done.then(|| stored.outcome.usage.clone()),
        created: Some(rfc3339(stored.created, 0)),
        updated: Some(rfc3339(stored.updated_at(now), 0)),
        service_tier: Some("standard".to_string()),
        steps: shown,
        object: Some("interaction".to_string()),
        model: Some(stored.model.clone()),
        previous_interaction_id: stored.previous.clone(),
        errors: if done {
            stored.outcome.errors.clone()
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

/// `interaction` as JSON in the real key order.
pub fn json(interaction: &Interaction) -> Value {
    type_last(wire::in_wire_order("Interaction", interaction))
}

/// A unary reply's body.
pub fn body(interaction: &Interaction) -> Bytes {
    Bytes::from(json(interaction).to_string())
}

/// Moves every object's `type` key to its end, at every depth.
pub fn type_last(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            let tag = map.shift_remove("type");
            let mut out: Map<String, Value> =
                map.into_iter().map(|(k, v)| (k, type_last(v))).collect();
            if let Some(tag) = tag {
                out.insert("type".to_string(), tag);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(type_last).collect()),
        other => other,
    }
}
