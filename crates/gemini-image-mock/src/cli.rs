//! The server as a program: its command-line options and the loop that serves until Ctrl-C or
//! SIGTERM. The `gemini-image-mock` binary and the `gemini-image mock` command share them.

use std::process::ExitCode;

use tokio::net::TcpListener;

pub use crate::record::command::{RecordingsCommand, run as recordings};

/// The options of `gemini-image-mock` (and of `gemini-image mock`).
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GEMINI_MOCK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Accept only this API key (repeatable). Without it any non-empty key is accepted.
    /// `GEMINI_MOCK_API_KEYS` (comma-separated) keeps keys out of the process list.
    #[arg(
        long = "api-key",
        value_name = "KEY",
        env = "GEMINI_MOCK_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// Accept only this OAuth bearer token on Vertex AI's routes (repeatable). Without it any
    /// non-empty token is accepted. `GEMINI_MOCK_BEARER_TOKENS` (comma-separated) keeps tokens
    /// out of the process list.
    #[arg(
        long = "bearer",
        value_name = "TOKEN",
        env = "GEMINI_MOCK_BEARER_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub bearer_tokens: Vec<String>,
    /// Serve the image files in this directory (PNG, JPEG, WebP, GIF) instead of drawn
    /// pictures, one chosen deterministically per request.
    #[arg(long, value_name = "DIR", env = "GEMINI_MOCK_IMAGES")]
    pub images: Option<std::path::PathBuf>,
    /// Draw light pictures (flat colours and the prompt, a fraction of the bytes and time)
    /// instead of pictures as heavy as Google's.
    #[arg(long, env = "GEMINI_MOCK_LIGHT_IMAGES")]
    pub light_images: bool,
    /// Megabytes of encoded answers kept for repeated requests (0 turns the cache off).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub cache_mb: usize,
    /// Inject a fault into a share of requests: SCENARIO@RATE, such as overloaded@5% or
    /// rate_limit=3s@2% (repeatable; a request gets at most one).
    #[arg(long = "fault", value_name = "SCENARIO@RATE")]
    pub faults: Vec<crate::chaos::Fault>,
    /// Latency for every request: fixed:100ms, uniform:50ms..200ms or lognormal:100ms,0.5.
    #[arg(long, value_name = "DISTRIBUTION")]
    pub latency: Option<crate::chaos::Latency>,
    /// Seed for --fault and --latency: the same seed gives the same sequence of outcomes.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// strict refuses what Google refuses; warn serves it and notes it in the journal; off
    /// serves it silently.
    #[arg(long, value_name = "MODE", default_value = "strict")]
    pub validation: crate::state::Validation,
    /// How many requests the journal at /__mock/requests keeps.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub journal: usize,
    /// Megabytes of requests the journal keeps, dropping the oldest first (bodies over 1 MiB,
    /// once their images are described, are kept as their size and hash).
    #[arg(long, value_name = "MB", default_value_t = 64)]
    pub journal_mb: usize,
    /// Also serve the models Google has shut down (gemini-2.5-flash-image, Imagen, the
    /// previews …), as they behaved. Without it they answer 404, as Google answers today.
    #[arg(long, env = "GEMINI_MOCK_LEGACY_MODELS")]
    pub legacy_models: bool,
    /// Megabytes of files (and uploads under way) the Files API keeps in memory.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    pub files_mb: u64,
    /// Keep the Files API's files and the batch jobs in this directory instead of in memory:
    /// they survive a restart (a batch not finished goes on), and a large upload costs no
    /// memory. One mock at a time uses a directory.
    #[arg(long, value_name = "DIR", env = "GEMINI_MOCK_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// How long an uploaded file stays PROCESSING before it is ACTIVE (on the mock's clock),
    /// such as 2s, for testing polling loops.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub file_processing: std::time::Duration,
    /// How long a client may take to send a request's headers, or leave a keep-alive
    /// connection idle, before it is closed (0s: for ever).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    pub header_timeout: std::time::Duration,
    /// How long a request body may go without a byte arriving before the request is answered
    /// 408 or the upload chunk dropped (0s: for ever).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    pub body_timeout: std::time::Duration,
    /// How many connections are served at once; more wait to be accepted (0: no cap).
    #[arg(long, value_name = "N", default_value_t = crate::connections::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Megabytes of stored interactions (the Interactions API's text and images) kept in
    /// memory; a turn past it gets a 429.
    #[arg(long, value_name = "MB", default_value_t = 512)]
    pub interactions_mb: usize,
    /// How long a stored interaction is kept (on the mock's clock): 55d, the paid tier's; 1d is
    /// the free tier's.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "55d")]
    pub interaction_retention: std::time::Duration,
    /// How long a `background: true` interaction stays in_progress (on the mock's clock).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s")]
    pub interaction_background: std::time::Duration,
    /// How fast batch lines are answered: immediate, N/s (lines per second), a delay per
    /// line such as 250ms (both on the mock's clock), or manual (only when
    /// `POST /__mock/batches/{id}/advance` releases them).
    #[arg(
        long,
        value_name = "PACE",
        env = "GEMINI_MOCK_BATCH_PACE",
        default_value = "immediate"
    )]
    pub batch_pace: crate::batches::pace::BatchPace,
    /// How many batch lines are rendered at once, all batches together (default: the cores).
    #[arg(long, value_name = "N")]
    pub batch_workers: Option<usize>,
    /// How many megabytes batches hold (inline requests while they run, inline results).
    #[arg(long, value_name = "MB", default_value_t = 1024)]
    pub batches_mb: usize,
    /// Record and replay.
    #[command(flatten)]
    pub recordings: RecordArgs,
}

/// Record and replay: `--record DIR --upstream URL`, `--replay DIR [--record-on-miss
/// --upstream URL]`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RecordArgs {
    /// Answer only from the recordings in DIR (no drawn model); a request none answers gets
    /// a 400 naming the nearest recording and what differs.
    #[arg(long, value_name = "DIR", conflicts_with = "record")]
    pub replay: Option<std::path::PathBuf>,
    /// Forward every request to --upstream with the caller's own key and record each exchange
    /// in DIR (one JSON file each, images beside it in blobs/, keys redacted).
    #[arg(long, value_name = "DIR", requires = "upstream")]
    pub record: Option<std::path::PathBuf>,
    /// With --replay: forward what no recording answers to --upstream and record it.
    #[arg(long, requires_all = ["replay", "upstream"])]
    pub record_on_miss: bool,
    /// The server recordings are made from (Google's: `https://generativelanguage.googleapis.com`).
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Replayed streams: 0 sends the events at once (the default), 1 with their recorded
    /// timing, 0.5 twice as fast.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub replay_pace: f64,
    /// Tell /v1/ and /v1beta/ requests apart when matching (by default the version is
    /// ignored).
    #[arg(long)]
    pub match_api_version: bool,
    /// When a request's recordings are used up, answer a miss instead of repeating the last.
    #[arg(long)]
    pub no_repeat_last: bool,
    /// Megabytes one recording may hold (its JSON and images); a larger exchange is refused.
    #[arg(long, value_name = "MB", default_value_t = 64)]
    pub recording_mb: usize,
    /// Megabytes the whole directory may hold (recordings and images); a larger one is refused
    /// at start, and a recording that would pass it is not written.
    #[arg(long, value_name = "MB", default_value_t = 4096)]
    pub recordings_total_mb: u64,
}

impl RecordArgs {
    /// The options these flags ask for, if any.
    pub fn options(&self) -> Option<crate::RecordingOptions> {
        let options = match (&self.replay, &self.record, &self.upstream) {
            (Some(dir), _, Some(upstream)) if self.record_on_miss => {
                crate::RecordingOptions::replay_or_record(dir, upstream)
            }
            (Some(dir), _, _) => crate::RecordingOptions::replay(dir),
            (None, Some(dir), Some(upstream)) => crate::RecordingOptions::record(dir, upstream),
            _ => return None,
        };
        Some(
            options
                .replay_pace(self.replay_pace)
                .match_api_version(self.match_api_version)
                .repeat_last(!self.no_repeat_last)
                .max_exchange_bytes(self.recording_mb.saturating_mul(1024 * 1024))
                .max_total_bytes(self.recordings_total_mb.saturating_mul(1024 * 1024)),
        )
    }

    /// The recordings these flags ask for, opened.
    ///
    /// # Errors
    ///
    /// As [`crate::Recordings::open`].
    pub fn open(&self) -> std::io::Result<Option<crate::Recordings>> {
        self.options().map(crate::Recordings::open).transpose()
    }
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::scenarios::parse_duration(text)
        .ok_or_else(|| format!("{text}: expected a duration such as 250ms, 2s, 5m, 1h or 55d"))
}

/// Serves with `args` until Ctrl-C or SIGTERM; failures to start are printed.
pub async fn serve(args: ServeArgs) -> ExitCode {
    let images = match args
        .images
        .as_deref()
        .map(crate::model::canned::CannedImages::from_dir)
    {
        None => None,
        Some(Ok(images)) => Some(images),
        Some(Err(error)) => {
            eprintln!("gemini-image-mock: --images: {error}");
            return ExitCode::FAILURE;
        }
    };
    let data_dir = match args.data_dir.as_deref().map(crate::DataDir::open) {
        None => None,
        Some(Ok(dir)) => Some(dir),
        Some(Err(error)) => {
            eprintln!("gemini-image-mock: --data-dir: {error}");
            return ExitCode::FAILURE;
        }
    };
    let recordings = match args.recordings.open() {
        Ok(recordings) => recordings,
        Err(error) => {
            eprintln!("gemini-image-mock: recordings: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(&args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("gemini-image-mock: cannot listen on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let url = match listener.local_addr() {
        Ok(address) => format!("http://{address}"),
        Err(_) => format!("http://{}", args.addr),
    };
    println!(
        "gemini-image-mock listening on {url} — point clients at it with GOOGLE_GEMINI_BASE_URL={url} \
         (Python: http_options={{'base_url': '{url}'}}, JS: httpOptions: {{baseUrl: '{url}'}})"
    );
    let config = crate::state::Config {
        api_keys: args.api_keys,
        bearer_tokens: args.bearer_tokens,
        images,
        image_weight: if args.light_images {
            crate::ImageWeight::Light
        } else {
            crate::ImageWeight::Real
        },
        cache_bytes: args.cache_mb.saturating_mul(1024 * 1024),
        chaos: crate::chaos::ChaosConfig {
            faults: args.faults,
            latency: args.latency,
            seed: args.seed,
        },
        validation: args.validation,
        journal_entries: args.journal,
        journal_bytes: args.journal_mb.saturating_mul(1024 * 1024),
        legacy_models: args.legacy_models,
        files_bytes: args.files_mb.saturating_mul(1024 * 1024),
        data_dir,
        file_processing: args.file_processing,
        header_read_timeout: args.header_timeout,
        body_idle_timeout: args.body_timeout,
        max_connections: args.max_connections,
        interactions_bytes: args.interactions_mb.saturating_mul(1024 * 1024),
        interaction_retention: args.interaction_retention,
        interaction_background_latency: args.interaction_background,
        batch_pace: args.batch_pace,
        batch_workers: args
            .batch_workers
            .unwrap_or_else(crate::state::default_batch_workers),
        batches_bytes: args.batches_mb.saturating_mul(1024 * 1024),
        recordings,
        ..crate::state::Config::default()
    };
    let limits = crate::connections::ConnectionLimits::new(
        config.header_read_timeout,
        config.max_connections,
    );
    let app = crate::server::router(config);
    crate::connections::serve(listener, app, limits, shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("gemini-image-mock shutting down");
}
