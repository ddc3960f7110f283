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
    fewer_arenas();
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

/// Caps glibc's arenas at one per core, as many as renders run at once: glibc's default, eight
/// per core, kept what 4K renders freed in each (measured under `cargo xtask soak`: a peak of
/// 900 MB with a 256 MB cache, 670 MB with two arenas). Set before any thread starts.
fn fewer_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // SAFETY: `mallopt` only sets a parameter of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX));
        }
    }
}
