//! Record once against Google, replay for ever: the mock as a recording reverse proxy and as a
//! replayer of what it recorded, one job a module — `exchange` (the file format), `blobs`
//! (base64 payloads as files named by hash), `redact` (secrets out, and the check that none is
//! left), `normalise` (a request as Google's parser reads it), `diff` (the nearest recording
//! and what differs), `tape` (a directory's recordings and their order), `replay` (a recording
//! as a response, with its SSE pacing), `proxy` (forwarding and capturing), `serve` (the
//! handler that picks between them), `upload_url` (a resumable upload's URL pointed back at
//! this mock), `admin` (`GET /__mock/recordings`); `interchange` (import and export) through
//! `foreign` (the neutral form of an exchange, and the interaction shape both foreign files
//! share), one module per foreign format, keeping what differs: `genai_replay` (google-genai's
//! replay files) and `test_server` (google/test-server's recordings);
//! `command` (`gemini-image-mock recordings import|export`).

// Without the `record` feature only replay is reachable; the writing half (capture, blobs
// out, the redaction check, writing a recording) is kept, for its tests and one code base.
#![cfg_attr(not(feature = "record"), allow(dead_code))]

pub(crate) mod admin;
mod blobs;
pub(crate) mod command;
mod diff;
mod exchange;
mod foreign;
mod genai_replay;
pub(crate) mod interchange;
mod normalise;
#[cfg(feature = "record")]
mod proxy;
mod redact;
mod replay;
pub(crate) mod serve;
mod sse;
mod tape;
mod test_server;
mod upload_url;

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a mock with recordings answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordMode {
    /// Only from the recordings; a request none answers gets a 400 naming the nearest one.
    Replay,
    /// Every request forwarded to the upstream and its exchange recorded (`--record`).
    Record {
        /// The upstream's base URL, such as `https://generativelanguage.googleapis.com`.
        upstream: String,
    },
    /// From the recordings, and a request none answers forwarded and recorded
    /// (`--replay DIR --record-on-miss`).
    ReplayOrRecord {
        /// The upstream's base URL.
        upstream: String,
    },
}

/// What a recording or replaying mock is started with. [`Recordings::open`] loads it.
///
/// ```
/// use gemini_image_mock::RecordingOptions;
///
/// let options = RecordingOptions::replay("tests/recordings")
///     .repeat_last(false)
///     .replay_pace(1.0);
/// assert_eq!(options.dir.to_str(), Some("tests/recordings"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordingOptions {
    /// The directory of recordings (created when missing).
    pub dir: PathBuf,
    /// Replay, record or both.
    pub mode: RecordMode,
    /// Whether the API version counts when matching (`/v1/…` vs `/v1beta/…`; default: no).
    pub match_api_version: bool,
    /// Whether the last recording of a request answers again once its sequence is used up
    /// (default: yes); otherwise a request past its recordings is a miss.
    pub repeat_last: bool,
    /// How an SSE answer is paced: 0 sends its events at once (the default), 1 with their
    /// recorded timing, 0.5 twice as fast.
    pub replay_pace: f64,
    /// The bound of one recording (its JSON and blobs): a larger exchange is not recorded, and
    /// a larger file is not loaded. Default 64 MiB.
    pub max_exchange_bytes: usize,
    /// The bound of the whole directory (every recording and blob): a larger one is refused
    /// at start, naming the directory and the bound, and a recording that would take it past
    /// the bound is not written (its caller gets a `FAILED_PRECONDITION` saying so and what to
    /// do; the recordings before it stay). Default 4 GiB.
    pub max_total_bytes: u64,
}

/// The default of [`RecordingOptions::max_exchange_bytes`]: Google's 20 MB request and a
/// few answer images, with room.
pub const DEFAULT_MAX_EXCHANGE_BYTES: usize = 64 << 20;

/// The default of [`RecordingOptions::max_total_bytes`]: a suite's worth of 4K images.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 4 << 30;

impl RecordingOptions {
    /// Answer only from the recordings in `dir`.
    pub fn replay(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir.into(), RecordMode::Replay)
    }

    /// Forward every request to `upstream` and record it in `dir`.
    pub fn record(dir: impl Into<PathBuf>, upstream: impl Into<String>) -> Self {
        Self::new(
            dir.into(),
            RecordMode::Record {
                upstream: upstream.into(),
            },
        )
    }

    /// Answer from the recordings in `dir`, and forward to `upstream` and record what none
    /// answers.
    pub fn replay_or_record(dir: impl Into<PathBuf>, upstream: impl Into<String>) -> Self {
        Self::new(
            dir.into(),
            RecordMode::ReplayOrRecord {
                upstream: upstream.into(),
            },
        )
    }

    /// The upstream of a mode that records.
    fn upstream(&self) -> Option<&str> {
        match &self.mode {
            RecordMode::Replay => None,
            RecordMode::Record { upstream } | RecordMode::ReplayOrRecord { upstream } => {
                Some(upstream)
            }
        }
    }

    fn new(dir: PathBuf, mode: RecordMode) -> Self {
        Self {
            dir,
            mode,
            match_api_version: false,
            repeat_last: true,
            replay_pace: 0.0,
            max_exchange_bytes: DEFAULT_MAX_EXCHANGE_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
        }
    }

    /// Sets [`RecordingOptions::match_api_version`].
    #[must_use]
    pub fn match_api_version(mut self, yes: bool) -> Self {
        self.match_api_version = yes;
        self
    }

    /// Sets [`RecordingOptions::repeat_last`].
    #[must_use]
    pub fn repeat_last(mut self, yes: bool) -> Self {
        self.repeat_last = yes;
        self
    }

    /// Sets [`RecordingOptions::replay_pace`] (negative or not a number: at once).
    #[must_use]
    pub fn replay_pace(mut self, pace: f64) -> Self {
        self.replay_pace = pace;
        self
    }

    /// Sets [`RecordingOptions::max_exchange_bytes`].
    #[must_use]
    pub fn max_exchange_bytes(mut self, bytes: usize) -> Self {
        self.max_exchange_bytes = bytes;
        self
    }

    /// Sets [`RecordingOptions::max_total_bytes`].
    #[must_use]
    pub fn max_total_bytes(mut self, bytes: u64) -> Self {
        self.max_total_bytes = bytes;
        self
    }
}

/// A directory of recordings, loaded, for [`Config::recordings`](crate::Config::recordings).
/// Clones share it (and where each sequence of identical requests is).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use gemini_image_mock::{Config, RecordingOptions, Recordings};
///
/// let dir = std::env::temp_dir().join("gemini-mock-doc-recordings");
/// let recordings = Recordings::open(RecordingOptions::replay(&dir))?;
/// assert_eq!(recordings.len(), 0);
/// let config = Config { recordings: Some(recordings), ..Config::default() };
/// # let _ = config;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Recordings {
    inner: Arc<Inner>,
}

struct Inner {
    options: RecordingOptions,
    tape: tape::Tape,
    #[cfg(feature = "record")]
    client: Option<reqwest::Client>,
}

impl std::fmt::Debug for Recordings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recordings")
            .field("options", &self.inner.options)
            .field("loaded", &self.inner.tape.len())
            .finish()
    }
}

impl Recordings {
    /// Loads the recordings of `options.dir` (creating it when missing).
    ///
    /// # Errors
    ///
    /// A directory that cannot be read, a recording that is not valid (named in the
    /// message), or a mode that records when the crate was built without its `record`
    /// feature.
    pub fn open(options: RecordingOptions) -> std::io::Result<Self> {
        let rules = normalise::MatchRules {
            api_version: options.match_api_version,
        };
        let bounds = tape::Bounds {
            exchange: options.max_exchange_bytes,
            total: options.max_total_bytes,
        };
        let tape = tape::Tape::open(&options.dir, rules, options.repeat_last, bounds)?;
        if let Some(upstream) = options.upstream()
            && !(upstream.starts_with("http://") || upstream.starts_with("https://"))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("--upstream {upstream}: expected an http:// or https:// URL"),
            ));
        }
        #[cfg(feature = "record")]
        let client = match options.mode {
            RecordMode::Replay => None,
            RecordMode::Record { .. } | RecordMode::ReplayOrRecord { .. } => Some(proxy::client()?),
        };
        #[cfg(not(feature = "record"))]
        if options.mode != RecordMode::Replay {
            return Err(std::io::Error::other(
                "recording needs gemini-image-mock's `record` feature",
            ));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                tape,
                #[cfg(feature = "record")]
                client,
            }),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.inner.tape.dir()
    }

    /// How many recordings are loaded (and recorded since).
    pub fn len(&self) -> usize {
        self.inner.tape.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The options it was opened with.
    pub fn options(&self) -> &RecordingOptions {
        &self.inner.options
    }

    /// Every sequence of identical requests back to its first recording (`POST
    /// /__mock/reset` does it too).
    pub fn rewind(&self) {
        self.inner.tape.rewind();
    }
}
