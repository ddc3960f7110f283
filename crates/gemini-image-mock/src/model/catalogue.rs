//! The models the mock serves: the project's one table ([`gemini_image_types::models`]), read
//! as Google serves it today.
//!
//! A model past its shutdown date is not served: Google answers 404 for it, exactly as for a
//! model that never existed, and leaves it out of `models.list`. With
//! [`Config::legacy_models`](crate::Config::legacy_models) the retired models are served as they
//! behaved, for old code and the seed page's own examples.

pub use gemini_image_types::models::{Family, Lifecycle, ModelInfo as Model};

/// Every model of the table, live or retired, in `models.list` order.
pub use gemini_image_types::models::MODELS;

/// A model of the table by id, with or without `models/`, whether it is served or not.
///
/// ```
/// use gemini_image_mock::catalogue::{find, Family};
/// assert_eq!(find("gemini-3-pro-image").unwrap().family, Family::Gemini3Image);
/// assert!(find("models/imagen-4.0-generate-001").unwrap().supports("predict"));
/// assert!(find("gemini-9-ultra").is_none());
/// ```
pub fn find(id: &str) -> Option<&'static Model> {
    gemini_image_types::models::find(id)
}

/// Whether the server answers for `model` today: a live or retiring model always, a retired one
/// only with `legacy` on.
///
/// ```
/// use gemini_image_mock::catalogue::{find, serves};
/// let retired = find("gemini-2.5-flash-image").unwrap();
/// assert!(!serves(retired, false));
/// assert!(serves(retired, true));
/// assert!(serves(find("gemini-3.1-flash-image").unwrap(), false));
/// ```
pub fn serves(model: &Model, legacy: bool) -> bool {
    legacy || model.lifecycle() != Lifecycle::Retired
}

/// A model the server answers for today, by id.
pub fn find_served(id: &str, legacy: bool) -> Option<&'static Model> {
    find(id).filter(|model| serves(model, legacy))
}

/// The models `models.list` shows today, in order.
pub fn served(legacy: bool) -> impl Iterator<Item = &'static Model> {
    MODELS.iter().filter(move |model| serves(model, legacy))
}
