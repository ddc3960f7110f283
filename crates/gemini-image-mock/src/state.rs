//! The configuration a server starts with and the state every handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::batches::pace::BatchPace;
use crate::batches::store::{self as batch_store, BatchStore};
use crate::body::DEFAULT_BODY_IDLE_TIMEOUT;
use crate::cache::{DEFAULT_CACHE_BYTES, ResponseCache};
use crate::chaos::{Chaos, ChaosConfig};
use crate::clock::MockClock;
use crate::connections::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
use crate::files::disk::DataDir;
use crate::files::store::{self, FileStore, Limits};
use crate::interactions::store::{DEFAULT_RETENTION, DEFAULT_STORE_BYTES, InteractionStore};
use crate::journal::{DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_ENTRIES, Journal};
use crate::memo::{BodyMemo, ReadRequest};
use crate::model::canned::CannedImages;
use crate::model::pictures::Pictures;
use crate::model::weight::ImageWeight;
use crate::record::Recordings;
use crate::scenarios::queue::ScenarioQueue;
use crate::thumbnails::{DEFAULT_THUMBNAIL_BYTES, Thumbnails};

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
    /// When not empty, Vertex AI's routes accept only these OAuth bearer tokens
    /// (`Authorization: Bearer TOKEN`); otherwise any non-empty token.
    pub bearer_tokens: Vec<String>,
    /// When set, these files are served instead of drawn pictures (`--images DIR`).
    pub images: Option<CannedImages>,
    /// How heavy drawn pictures are: as heavy as Google's (the default) or light
    /// (`--light-images`, for tests that want speed).
    pub image_weight: ImageWeight,
    /// How many bytes of encoded answers to keep for repeated requests (0 turns caching off).
    pub cache_bytes: usize,
    /// Faults and latency injected into a share of requests, reproducibly.
    pub chaos: ChaosConfig,
    /// How strictly requests are checked against the spec.
    pub validation: Validation,
    /// How many requests the journal keeps (0 turns it off).
    pub journal_entries: usize,
    /// How many bytes of requests the journal keeps (their JSON text, image data described
    /// by size and hash), dropping the oldest first. Default 64 MiB; 0 keeps none.
    pub journal_bytes: usize,
    /// Whether models past their shutdown date are served (as they behaved) instead of refused
    /// with Google's 404 and left out of `models.list`.
    pub legacy_models: bool,
    /// How many bytes of files (and uploads under way) the Files API keeps in memory; an
    /// upload that would pass it is refused with a 429. Default 2 GiB. With
    /// [`Config::data_dir`] only the chunks being received are in memory.
    pub files_bytes: u64,
    /// Where the Files API keeps its bytes and batch mode its jobs: in memory without it; in
    /// this directory with it, where files and batches survive a restart — a batch not
    /// finished goes on (`--data-dir DIR`).
    pub data_dir: Option<DataDir>,
    /// The project's file storage quota, Google's 20 GB by default; the smaller of it and
    /// [`Config::files_bytes`] bounds the store.
    pub files_quota_bytes: u64,
    /// How long an uploaded file stays `PROCESSING` (on the mock's clock) before it is
    /// `ACTIVE`, so that polling loops can be tested. Default: `ACTIVE` at once, as Google's
    /// images are.
    pub file_processing: Duration,
    /// The upload chunk granularity announced and enforced: every chunk but the last must be
    /// a multiple of it. Google's is 8 MiB; tests may set a smaller one.
    pub upload_chunk_granularity: u64,
    /// How long a client may take to send a request's headers (and how long a keep-alive
    /// connection may stay idle) before its connection is closed. Default 30 s; zero waits
    /// for ever.
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte arriving before the request is answered
    /// 408 (a model call) or dropped (an upload chunk, its claim released). Default 30 s; zero
    /// waits for ever.
    pub body_idle_timeout: Duration,
    /// How many connections are served at once; more wait in the listen backlog. Default 900,
    /// under the 1024 file descriptors a Linux process gets by default; zero sets no cap.
    pub max_connections: usize,
    /// How many bytes of stored interactions (their text and media) are kept; a turn that
    /// would pass it is refused with a 429. Default 512 MiB.
    pub interactions_bytes: usize,
    /// How long a stored interaction is kept, on the mock's clock. Default 55 days (the paid
    /// tier's; the free tier's is 1 day).
    pub interaction_retention: Duration,
    /// How long a `background: true` interaction stays `in_progress` (on the mock's clock;
    /// a `slow=` scenario adds to it). Default 1 s.
    pub interaction_background_latency: Duration,
    /// How fast a batch's lines are answered (`--batch-pace`): at once (the default), a
    /// simulated delay per line or a rate on the mock's clock, or only when the admin API
    /// releases them.
    pub batch_pace: BatchPace,
    /// How many batch lines are rendered at once, all batches together (`--batch-workers`).
    /// Default: the machine's cores.
    pub batch_workers: usize,
    /// How many bytes batches hold (inline requests while they run, inline results); a batch
    /// that would pass it is refused with a 429, a result that would is its line's error.
    /// Default 1 GiB. Results files count against the Files API's bounds instead.
    pub batches_bytes: usize,
    /// When set, the API is answered from recordings, or forwarded to an upstream and
    /// recorded, instead of by the simulated model (`--replay DIR`, `--record DIR`).
    pub recordings: Option<Recordings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            bearer_tokens: Vec::new(),
            images: None,
            image_weight: ImageWeight::Real,
            cache_bytes: DEFAULT_CACHE_BYTES,
            chaos: ChaosConfig::default(),
            validation: Validation::Strict,
            journal_entries: DEFAULT_JOURNAL_ENTRIES,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            legacy_models: false,
            files_bytes: store::DEFAULT_MEMORY_BYTES,
            data_dir: None,
            files_quota_bytes: store::DEFAULT_QUOTA_BYTES,
            file_processing: Duration::ZERO,
            upload_chunk_granularity: store::CHUNK_GRANULARITY,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            interactions_bytes: DEFAULT_STORE_BYTES,
            interaction_retention: DEFAULT_RETENTION,
            interaction_background_latency: Duration::from_secs(1),
            batch_pace: BatchPace::Immediate,
            batch_workers: default_batch_workers(),
            batches_bytes: batch_store::DEFAULT_STORE_BYTES,
            recordings: None,
        }
    }
}

impl Config {
    /// Where answers' pictures come from under this configuration.
    pub(crate) fn pictures(&self) -> Pictures {
        Pictures::new(self.images.clone(), self.image_weight)
    }
}

/// One batch worker per core.
pub fn default_batch_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
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
    /// The mock's clock (the wall clock, moved forward by tests).
    pub clock: MockClock,
    /// The Files API's files and uploads under way.
    pub files: FileStore,
    /// The Interactions API's stored interactions.
    pub interactions: InteractionStore,
    /// Batch mode's jobs.
    pub batches: BatchStore,
    /// Small `generateContent` bodies already read, by their hash.
    pub requests: BodyMemo<ReadRequest>,
}

impl AppState {
    /// Fresh state for `config`.
    pub fn new(config: Config) -> Self {
        Self {
            cache: ResponseCache::new(config.cache_bytes),
            queue: ScenarioQueue::default(),
            journal: Arc::new(Journal::new(
                config.journal_entries,
                config.journal_bytes,
                Arc::new(Thumbnails::new(DEFAULT_THUMBNAIL_BYTES)),
            )),
            chaos: Chaos::new(config.chaos.clone()),
            clock: MockClock::default(),
            files: FileStore::new(
                Limits {
                    quota_bytes: config.files_quota_bytes,
                    memory_bytes: config.files_bytes,
                },
                config.data_dir.clone(),
            ),
            interactions: InteractionStore::new(
                config.interactions_bytes,
                config.interaction_retention,
            ),
            batches: BatchStore::new(
                config.batches_bytes,
                config.batch_workers,
                config.data_dir.as_ref(),
                std::time::SystemTime::now(),
            ),
            requests: BodyMemo::default(),
            config,
        }
    }

    /// Back to the state of a fresh start: queue, journal, cache, chaos sequence, files,
    /// interactions, batches, the clock and the replay sequences.
    pub fn reset(&self) {
        self.cache.clear();
        self.batches.clear();
        self.files.clear();
        self.interactions.clear();
        self.clock.reset();
        self.queue.clear();
        self.journal.clear();
        self.requests.clear();
        self.chaos.reset();
        if let Some(recordings) = &self.config.recordings {
            recordings.rewind();
        }
        crate::memory::give_back();
    }
}

/// The state as handlers hold it.
pub type SharedState = Arc<AppState>;
