//! Stored interactions: in memory, bounded in bytes (a turn that would pass the bound is
//! refused with a 429, as the file store refuses an upload), and forgotten after the retention
//! period on the mock's clock.
//!
//! Decision (the reference gives 55 days on the paid tier, 1 day on the free tier, from
//! Dec-2025 docs): 55 days by default, [`crate::Config::interaction_retention`] to change it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use gemini_image_types::OpenUnion;
use gemini_image_types::types::{
    InteractionContent, InteractionErrorBody, InteractionStatus, InteractionStep, InteractionUsage,
};

use super::ids::{self, IdMaker};
use crate::error::ApiError;

/// How many bytes of interactions are kept by default.
pub const DEFAULT_STORE_BYTES: usize = 512 * 1024 * 1024;
/// How long an interaction is kept by default: the paid tier's 55 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(55 * 24 * 3600);
/// What one stored interaction costs besides its steps' text and media.
const RECORD_OVERHEAD_BYTES: usize = 512;

/// What the model made of a turn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// `completed`, `incomplete` or `failed`.
    pub status: Option<InteractionStatus>,
    /// The new steps: a `thought` with its signature, then the `model_output`.
    pub steps: Vec<OpenUnion<InteractionStep>>,
    /// The tokens used.
    pub usage: InteractionUsage,
    /// Why a `failed` turn failed.
    pub errors: Vec<InteractionErrorBody>,
}

/// One interaction: what the user sent in this turn, what the model made, and when.
#[derive(Clone, Debug)]
pub struct Stored {
    /// `v1_…`.
    pub id: String,
    /// The own id of the conversation's first turn.
    pub root: String,
    /// The model.
    pub model: String,
    /// The interaction this one continued.
    pub previous: Option<String>,
    /// This turn's input, as `user_input` steps (and, for a stateless history, the steps the
    /// client re-sent).
    pub input: Vec<OpenUnion<InteractionStep>>,
    /// The answer.
    pub outcome: Outcome,
    /// When it was created, on the mock's clock.
    pub created: SystemTime,
    /// When its answer is ready (later than `created` for a background interaction).
    pub ready_at: SystemTime,
    /// When it was cancelled.
    pub cancelled_at: Option<SystemTime>,
    /// Whether it runs in the background.
    pub background: bool,
}

impl Stored {
    /// Its status at `now`.
    pub fn status_at(&self, now: SystemTime) -> InteractionStatus {
        if self.cancelled_at.is_some() {
            InteractionStatus::Cancelled
        } else if now < self.ready_at {
            InteractionStatus::InProgress
        } else {
            self.outcome.status.unwrap_or(InteractionStatus::Completed)
        }
    }

    /// When it last changed, as seen at `now`.
    pub fn updated_at(&self, now: SystemTime) -> SystemTime {
        match self.cancelled_at {
            Some(at) => at,
            None if now >= self.ready_at => self.ready_at,
            None => self.created,
        }
    }

    /// What it costs the store: its text and media, and a fixed overhead.
    fn cost(&self) -> usize {
        RECORD_OVERHEAD_BYTES
            + self
                .input
                .iter()
                .chain(&self.outcome.steps)
                .map(step_bytes)
                .sum::<usize>()
    }
}

fn step_bytes(step: &OpenUnion<InteractionStep>) -> usize {
    match step {
        OpenUnion::Known(
            InteractionStep::UserInput { content } | InteractionStep::ModelOutput { content, .. },
        ) => content.iter().map(content_bytes).sum(),
        OpenUnion::Known(InteractionStep::Thought { signature, summary }) => {
            signature.as_ref().map_or(0, String::len)
                + summary.iter().map(content_bytes).sum::<usize>()
        }
        // Function steps and newer ones: their JSON is small, and counted by the overhead.
        _ => 64,
    }
}

fn content_bytes(content: &OpenUnion<InteractionContent>) -> usize {
    match content {
        OpenUnion::Known(InteractionContent::Text { text, .. }) => {
            text.as_ref().map_or(0, String::len)
        }
        OpenUnion::Known(
            InteractionContent::Image { data, uri, .. }
            | InteractionContent::Audio { data, uri, .. }
            | InteractionContent::Video { data, uri, .. }
            | InteractionContent::Document { data, uri, .. },
        ) => data.as_ref().map_or(0, |d| d.len()) + uri.as_ref().map_or(0, String::len),
        OpenUnion::Unknown(fields) => fields.len() * 64,
    }
}

/// The interactions kept, bounded in bytes and in time.
pub struct InteractionStore {
    limit_bytes: usize,
    retention: Duration,
    ids: IdMaker,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_id: HashMap<String, (Stored, usize)>,
    bytes: usize,
}

impl InteractionStore {
    /// A store of at most `limit_bytes`, keeping each interaction for `retention`.
    pub fn new(limit_bytes: usize, retention: Duration) -> Self {
        Self {
            limit_bytes,
            retention,
            ids: IdMaker::default(),
            kept: Mutex::new(Kept::default()),
        }
    }

    /// A new id for a turn continuing the conversation whose root is `root` (a new
    /// conversation when `None`): its public id and its root.
    pub fn new_id(&self, root: Option<&str>) -> (String, String) {
        let own = self.ids.own_id();
        let root = root.map_or_else(|| own.clone(), str::to_string);
        (ids::encode(&root, &own), root)
    }

    /// Keeps `stored`, or refuses it when the store would pass its bound.
    pub fn insert(&self, stored: Stored) -> Result<(), ApiError> {
        let cost = stored.cost();
        let mut kept = self.lock()?;
        self.expire(&mut kept, stored.created);
        if kept.bytes.saturating_add(cost) > self.limit_bytes {
            return Err(ApiError::interaction_storage_full(self.limit_bytes));
        }
        kept.bytes += cost;
        if let Some((_, old)) = kept.by_id.insert(stored.id.clone(), (stored, cost)) {
            kept.bytes -= old;
        }
        Ok(())
    }

    /// The interaction `id` as kept at `now` (a clone: its media are shared, not copied).
    pub fn get(&self, id: &str, now: SystemTime) -> Result<Stored, ApiError> {
        let mut kept = self.lock()?;
        self.expire(&mut kept, now);
        kept.by_id
            .get(id)
            .map(|(stored, _)| stored.clone())
            .ok_or_else(|| ApiError::interaction_not_found(id))
    }

    /// Forgets `id`.
    pub fn remove(&self, id: &str, now: SystemTime) -> Result<(), ApiError> {
        let mut kept = self.lock()?;
        self.expire(&mut kept, now);
        let (_, cost) = kept
            .by_id
            .remove(id)
            .ok_or_else(|| ApiError::interaction_not_found(id))?;
        kept.bytes -= cost;
        Ok(())
    }

    /// Cancels `id` if it is a background interaction still running at `now`.
    ///
    /// Decision (unconfirmed): cancelling one that is finished, or that never ran in the
    /// background, is a 400 `invalid_request` — the docs say cancel "only applies to background
    /// interactions that are still running".
    pub fn cancel(&self, id: &str, now: SystemTime) -> Result<Stored, ApiError> {
        let mut kept = self.lock()?;
        self.expire(&mut kept, now);
        let (stored, _) = kept
            .by_id
            .get_mut(id)
            .ok_or_else(|| ApiError::interaction_not_found(id))?;
        if !stored.background || stored.status_at(now) != InteractionStatus::InProgress {
            return Err(ApiError::invalid_request(format!(
                "Interaction {id} is {}: only a background interaction that is still running \
                 can be cancelled.",
                stored.status_at(now)
            )));
        }
        stored.cancelled_at = Some(now);
        Ok(stored.clone())
    }

    /// The steps of the conversation up to and including `id`, oldest first: each turn's
    /// input and, when it completed, its output.
    pub fn history(
        &self,
        id: &str,
        now: SystemTime,
    ) -> Result<(Vec<OpenUnion<InteractionStep>>, String), ApiError> {
        let mut kept = self.lock()?;
        self.expire(&mut kept, now);
        let mut turns = Vec::new();
        let mut next = Some(id.to_string());
        let mut root = None;
        while let Some(at) = next {
            let (stored, _) = kept
                .by_id
                .get(&at)
                .ok_or_else(|| ApiError::interaction_not_found(&at))?;
            if at == id {
                match stored.status_at(now) {
                    InteractionStatus::InProgress => {
                        return Err(ApiError::invalid_request(format!(
                            "Interaction {id} is still in progress: wait for it to complete \
                             before continuing it."
                        )));
                    }
                    InteractionStatus::Completed | InteractionStatus::Incomplete => {}
                    other => {
                        return Err(ApiError::invalid_request(format!(
                            "Interaction {id} is {other} and cannot be continued."
                        )));
                    }
                }
                root = Some(stored.root.clone());
            }
            turns.push(stored);
            next = stored.previous.clone();
            if turns.len() > kept.by_id.len() {
                break; // a loop cannot happen (ids are fresh), but a bound costs nothing
            }
        }
        let steps = turns
            .iter()
            .rev()
            .flat_map(|stored| stored.input.iter().chain(&stored.outcome.steps).cloned())
            .collect();
        Ok((steps, root.unwrap_or_default()))
    }

    /// Forgets everything (`/__mock/reset`).
    pub fn clear(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            *kept = Kept::default();
        }
    }

    fn expire(&self, kept: &mut Kept, now: SystemTime) {
        let retention = self.retention;
        let mut freed = 0;
        kept.by_id.retain(|_, (stored, cost)| {
            let keep = stored.created + retention > now;
            if !keep {
                freed += *cost;
            }
            keep
        });
        kept.bytes -= freed;
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Kept>, ApiError> {
        self.kept.lock().map_err(|_| ApiError::internal())
    }
}
