//! `gemini-mock`: the offline Gemini server as a program.

use clap::Parser;
use tokio::net::TcpListener;

/// An offline Gemini image API: real images, real edits, Google's exact errors.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "GEMINI_MOCK_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Accept only this API key (repeatable). Without it any non-empty key is accepted.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,
    /// Serve the image files in this directory (PNG, JPEG, WebP, GIF) instead of drawn
    /// pictures, one chosen deterministically per request.
    #[arg(long, value_name = "DIR", env = "GEMINI_MOCK_IMAGES")]
    images: Option<std::path::PathBuf>,
    /// Megabytes of encoded answers kept for repeated requests (0 turns the cache off).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    cache_mb: usize,
    /// Inject a fault into a share of requests: SCENARIO@RATE, such as overloaded@5% or
    /// rate_limit=3s@2% (repeatable; a request gets at most one).
    #[arg(long = "fault", value_name = "SCENARIO@RATE")]
    faults: Vec<gemini_mock::Fault>,
    /// Latency for every request: fixed:100ms, uniform:50ms..200ms or lognormal:100ms,0.5.
    #[arg(long, value_name = "DISTRIBUTION")]
    latency: Option<gemini_mock::Latency>,
    /// Seed for --fault and --latency: the same seed gives the same sequence of outcomes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// strict refuses what Google refuses; warn serves it and notes it in the journal; off
    /// serves it silently.
    #[arg(long, value_name = "MODE", default_value = "strict")]
    validation: gemini_mock::Validation,
    /// How many requests the journal at /__mock/requests keeps.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    journal: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let images = match args
        .images
        .as_deref()
        .map(gemini_mock::CannedImages::from_dir)
    {
        None => None,
        Some(Ok(images)) => Some(images),
        Some(Err(error)) => {
            eprintln!("gemini-mock: --images: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(&args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("gemini-mock: cannot listen on {}: {error}", args.addr);
            return std::process::ExitCode::FAILURE;
        }
    };
    let url = match listener.local_addr() {
        Ok(address) => format!("http://{address}"),
        Err(_) => format!("http://{}", args.addr),
    };
    println!(
        "gemini-mock listening on {url} — point clients at it with GOOGLE_GEMINI_BASE_URL={url} \
         (Python: http_options={{'base_url': '{url}'}}, JS: httpOptions: {{baseUrl: '{url}'}})"
    );
    let config = gemini_mock::Config {
        api_keys: args.api_keys,
        images,
        cache_bytes: args.cache_mb.saturating_mul(1024 * 1024),
        chaos: gemini_mock::ChaosConfig {
            faults: args.faults,
            latency: args.latency,
            seed: args.seed,
        },
        validation: args.validation,
        journal_entries: args.journal,
    };
    let app = gemini_mock::router(config);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gemini-mock: {error}");
            std::process::ExitCode::FAILURE
        }
    }
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
    tracing::info!("gemini-mock shutting down");
}
