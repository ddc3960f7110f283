//! An offline Gemini image API for tests and CI: real, deterministic images from
//! `generateContent`, edits that follow their instruction, and Google's exact errors.
//!
//! The Interactions API (`/{version}/interactions`: create, streamed or in the background, get,
//! delete, cancel) answers over the same simulated model, in its own wire format and error shape.
//!
//! It serves the models Google serves today: a model past its shutdown date answers Google's 404
//! and is not listed, unless [`Config::legacy_models`] asks for the retired models too.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = gemini_image_mock::MockServer::start().await?;
//! let url = format!("{}/v1beta/models/gemini-3.1-flash-image:generateContent", server.uri());
//! let response = reqwest::Client::new()
//!     .post(url)
//!     .header("x-goog-api-key", "any-key")
//!     .body(r#"{"contents": [{"parts": [{"text": "a red bicycle"}]}]}"#)
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! let body: gemini_image_types::types::GenerateContentResponse = response.json().await?;
//! let parts = &body.candidates[0].content.as_ref().unwrap().parts;
//! let image = parts.iter().find_map(|p| p.inline_data.as_ref()).unwrap();
//! assert_eq!(image.mime_type.as_deref(), Some("image/jpeg"));
//! # Ok(())
//! # }
//! ```

#![warn(
    missing_docs,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc
)]

mod answered;
mod backend;
mod batches;
mod body;
mod cache;
mod chaos;
pub mod cli;
mod clock;
mod connections;
mod dashboard;
mod delivery;
mod described;
mod error;
mod files;
mod gate;
mod interactions;
mod journal;
mod memo;
mod memory;
mod model;
mod record;
mod routes;
mod scenarios;
mod server;
mod spec;
mod state;
mod thumbnails;
mod trace;
mod validate;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use answered::Answered;
pub use backend::Backend;
pub use batches::pace::BatchPace;
pub use body::MAX_BODY_BYTES;
pub use chaos::{ChaosConfig, Fault, Latency};
pub use error::ApiError;
pub use files::disk::DataDir;
pub use journal::{JournalEntry, JournalFilter};
pub use model::canned::{CannedImage, CannedImages};
pub use model::catalogue;
pub use model::pictures::Drawing;
pub use model::render::Format as PictureFormat;
pub use model::weight::ImageWeight;
pub use record::interchange::{Converted, Interchange};
pub use record::{
    DEFAULT_MAX_EXCHANGE_BYTES, DEFAULT_MAX_TOTAL_BYTES, RecordMode, RecordingOptions, Recordings,
};
pub use scenarios::queue::QueuedScenario;
pub use scenarios::{Scenario, ScenarioError};
pub use server::router;
use state::{AppState, SharedState};
pub use state::{Config, Validation};

/// A running mock server. Dropping it shuts the server down.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use gemini_image_mock::{MockServer, QueuedScenario, Scenario};
///
/// let server = MockServer::start().await?;
/// server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(1));
/// let url = format!("{}/v1beta/models/gemini-3.5-flash:generateContent", server.uri());
/// let send = || {
///     reqwest::Client::new()
///         .post(&url)
///         .header("x-goog-api-key", "any-key")
///         .body(r#"{"contents": [{"parts": [{"text": "hello"}]}]}"#)
///         .send()
/// };
/// assert_eq!(send().await?.status(), 503);
/// assert_eq!(send().await?.status(), 200);
///
/// let requests = server.received_requests();
/// assert_eq!(requests.len(), 2);
/// assert_eq!(requests[0].scenarios, ["overloaded"]);
/// assert_eq!(requests[1].headers["x-goog-api-key"], "<redacted>");
/// # Ok(())
/// # }
/// ```
pub struct MockServer {
    address: SocketAddr,
    state: SharedState,
    shutdown: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock that accepts any non-empty API key, on an ephemeral loopback port.
    ///
    /// # Errors
    ///
    /// The I/O error of binding a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Config::default()).await
    }

    /// Starts a mock with `config` on an ephemeral loopback port.
    ///
    /// # Errors
    ///
    /// The I/O error of binding a loopback port.
    pub async fn start_with(config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Ok(Self::serve(listener, config))
    }

    /// Starts a mock that answers only from the recordings in `dir` (made by
    /// [`MockServer::record`] or `--record`), on an ephemeral loopback port. A request no
    /// recording answers gets a 400 naming the nearest recording and what differs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join("gemini-mock-doc-replay");
    /// let server = gemini_image_mock::MockServer::replay(&dir).await?;
    /// let url = format!("{}/v1beta/models/gemini-3.1-flash-image:generateContent", server.uri());
    /// let response = reqwest::Client::new()
    ///     .post(url)
    ///     .header("x-goog-api-key", "any-key")
    ///     .body(r#"{"contents": [{"parts": [{"text": "never recorded"}]}]}"#)
    ///     .send()
    ///     .await?;
    /// assert_eq!(response.status(), 400);
    /// assert!(response.text().await?.contains("no recording answers"));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A recording that cannot be read (named), or the I/O error of binding a port.
    pub async fn replay(dir: impl Into<std::path::PathBuf>) -> std::io::Result<Self> {
        Self::with_recordings(RecordingOptions::replay(dir)).await
    }

    /// Starts a recording reverse proxy on an ephemeral loopback port: every request is
    /// forwarded to `upstream` (such as `https://generativelanguage.googleapis.com`) with the
    /// caller's own key, answered as the upstream answered, and recorded in `dir`, the key
    /// redacted.
    ///
    /// # Errors
    ///
    /// As [`MockServer::replay`].
    pub async fn record(
        dir: impl Into<std::path::PathBuf>,
        upstream: impl Into<String>,
    ) -> std::io::Result<Self> {
        Self::with_recordings(RecordingOptions::record(dir, upstream)).await
    }

    /// Starts a mock with recordings as `options` say (replay, record, or both; pacing,
    /// matching).
    ///
    /// # Errors
    ///
    /// As [`MockServer::replay`].
    pub async fn with_recordings(options: RecordingOptions) -> std::io::Result<Self> {
        Self::start_with(Config {
            recordings: Some(Recordings::open(options)?),
            ..Config::default()
        })
        .await
    }

    /// Serves on an already bound listener.
    pub fn serve(listener: TcpListener, config: Config) -> Self {
        let address = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let limits =
            connections::ConnectionLimits::new(config.header_read_timeout, config.max_connections);
        let state = Arc::new(AppState::new(config));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = server::router_with_state(state.clone());
        let served = tokio::spawn(connections::serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            state,
            shutdown: Some(shutdown),
            served: Some(served),
        }
    }

    /// Stops serving and waits until the server has let go of its state — its connections
    /// finished, its [`DataDir`] free for a new server (dropping the handle stops it too, but
    /// without waiting).
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = served.await;
        }
        self.state.batches.stop().await;
    }

    /// The base URL to give a client, for example `http://127.0.0.1:40213`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every request received so far (the admin API under `/__mock/` excepted), oldest first,
    /// keys redacted and image data replaced by its size and hash.
    pub fn received_requests(&self) -> Vec<JournalEntry> {
        self.state.journal.list(&JournalFilter::default())
    }

    /// The requests that match `filter`.
    pub fn received_requests_matching(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        self.state.journal.list(filter)
    }

    /// The bytes the journal's entries are accounted for, never more than
    /// [`Config::journal_bytes`].
    pub fn journal_bytes(&self) -> usize {
        self.state.journal.bytes()
    }

    /// Queues scenarios for the next matching requests.
    pub fn enqueue(&self, scenario: impl Into<QueuedScenario>) {
        self.state.queue.push(scenario.into());
    }

    /// Forgets the journal, the queue, the cache and the files, restarts the chaos sequence
    /// and puts the clock back.
    pub fn reset(&self) {
        self.state.reset();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
