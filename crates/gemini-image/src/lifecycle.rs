//! A `tracing` warning, once per model and process, when a call names a model that Google has
//! shut down or shuts down within 30 days ([`models::RETIRING_DAYS`]): a retired model answers
//! 404, and the warning says what to use instead before that happens.

use std::collections::BTreeSet;
use std::sync::Mutex;

use gemini_image_types::models::{self, Lifecycle};

/// The models warned about; bounded by the table (only its ids are kept).
static WARNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Warns about `model` if it is retired or retiring and was not warned about yet.
pub(crate) fn warn_once(model: &str) {
    let Some(info) = models::find(model) else {
        return;
    };
    let lifecycle = info.lifecycle();
    if lifecycle == Lifecycle::Live {
        return;
    }
    let first = WARNED
        .lock()
        .map(|mut warned| warned.insert(info.id))
        .unwrap_or(false);
    if !first {
        return;
    }
    let instead = info
        .replacement
        .map(|replacement| format!("; use {replacement} instead"))
        .unwrap_or_default();
    let shutdown = info.shutdown.unwrap_or("an announced date");
    match lifecycle {
        Lifecycle::Retired => tracing::warn!(
            model = info.id,
            "{} was shut down by Google on {shutdown}: calls answer 404{instead}",
            info.id
        ),
        Lifecycle::Retiring { days_left } => tracing::warn!(
            model = info.id,
            days_left,
            "{} is shut down by Google on {shutdown}, in {days_left} days{instead}",
            info.id
        ),
        Lifecycle::Live => {}
    }
}
