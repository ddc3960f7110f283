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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    gemini_image_mock::cli::serve(Args::parse().serve).await
}
