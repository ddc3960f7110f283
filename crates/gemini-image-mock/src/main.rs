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
    tune_glibc();
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

/// Two settings of glibc's malloc, measured under `cargo xtask soak` (a 256 MB cache, 64
/// clients, 1K–4K renders; glibc's defaults peaked at 900 MB and kept 500 MB after a reset):
/// an arena per core, as many as renders run at once (its default, eight per core, kept what
/// renders freed in each); and every buffer of 256 KiB or more mapped on its own, so that
/// freeing a picture or an evicted answer gives its pages back at once rather than leaving a
/// hole in a heap (glibc's default threshold moves up to 32 MiB as large buffers are freed).
/// Set before any thread starts.
fn tune_glibc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // SAFETY: `mallopt` only sets parameters of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX));
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        }
    }
}
