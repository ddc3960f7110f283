//! `gemini-image-mock`: the offline Gemini server as a program.

use clap::Parser;

/// An offline Gemini image API: real images, real edits, Google's exact errors.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    serve: gemini_image_mock::cli::ServeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // No colour codes in a log written to a file.
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    gemini_image_mock::cli::serve(Args::parse().serve).await
}
