//! `gemini-image-mock`: the offline Gemini server as a program.

use clap::Parser;

/// An offline Gemini image API: real images, real edits, Google's exact errors.
#[derive(Parser, Debug)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: gemini_image_mock::cli::ServeArgs,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Import recordings from google-genai or google/test-server, or export them to either.
    #[command(subcommand)]
    Recordings(gemini_image_mock::cli::RecordingsCommand),
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
    let args = Args::parse();
    match args.command {
        Some(Command::Recordings(command)) => gemini_image_mock::cli::recordings(command),
        None => gemini_image_mock::cli::serve(args.serve).await,
    }
}
