//! The configuration a server starts with and the state every handler shares.

use std::sync::Arc;

use crate::cache::{DEFAULT_CACHE_BYTES, ResponseCache};
use crate::chaos::{Chaos, ChaosConfig};
use crate::journal::{DEFAULT_JOURNAL_ENTRIES, Journal};
use crate::model::canned::CannedImages;
use crate::scenarios::queue::ScenarioQueue;

/// How the server behaves. Start from `Config::default()` and set what you need:
///
/// ```
/// let config = gemini_image_mock::Config {
///     api_keys: vec!["my-test-key".to_string()],
///     ..gemini_image_mock::Config::default()
/// };
/// assert!(config.images.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// When not empty, only these API keys are accepted; otherwise any non-empty key is.
    pub api_keys: Vec<String>,
    /// When set, these files are served instead of drawn pictures (`--images DIR`).
    pub images: Option<CannedImages>,
    /// How many bytes of encoded answers to keep for repeated requests (0 turns caching off).
    pub cache_bytes: usize,
    /// Faults and latency injected into a share of requests, reproducibly.
    pub chaos: ChaosConfig,
    /// How strictly requests are checked against the spec.
    pub validation: Validation,
    /// How many requests the journal keeps (0 turns it off).
    pub journal_entries: usize,
    /// Whether models past their shutdown date are served (as they behaved) instead of refused
    /// with Google's 404 and left out of `models.list`.
    pub legacy_models: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            images: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
            chaos: ChaosConfig::default(),
            validation: Validation::Strict,
            journal_entries: DEFAULT_JOURNAL_ENTRIES,
            legacy_models: false,
        }
    }
}

/// How strictly requests are checked against the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Validation {
    /// Refuse what Google refuses, with Google's message (the default, like Google).
    #[default]
    Strict,
    /// Serve what can be served, and record in the journal what would have been refused.
    Warn,
    /// Serve what can be served, silently.
    Off,
}

impl std::str::FromStr for Validation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "strict" => Ok(Self::Strict),
            "warn" => Ok(Self::Warn),
            "off" => Ok(Self::Off),
            _ => Err(format!("{text}: expected strict, warn or off")),
        }
    }
}

/// State shared by all handlers.
pub struct AppState {
    /// What the server was started with.
    pub config: Config,
    /// Encoded answers to recent requests: a repeated request costs a copy, not a render.
    pub cache: ResponseCache,
    /// Scenarios queued for the next matching requests.
    pub queue: ScenarioQueue,
    /// What was asked and answered (shared with the journal's middleware).
    pub journal: Arc<Journal>,
    /// The seeded fault injector.
    pub chaos: Chaos,
}

impl AppState {
    /// Fresh state for `config`.
    pub fn new(config: Config) -> Self {
        Self {
            cache: ResponseCache::new(config.cache_bytes),
            queue: ScenarioQueue::default(),
            journal: Arc::new(Journal::new(config.journal_entries)),
            chaos: Chaos::new(config.chaos.clone()),
            config,
        }
    }

    /// Back to the state of a fresh start: queue, journal, cache and chaos sequence.
    pub fn reset(&self) {
        self.cache.clear();
        self.queue.clear();
        self.journal.clear();
        self.chaos.reset();
    }
}

/// The state as handlers hold it.
pub type SharedState = Arc<AppState>;
