//! `gemini`: make and edit images with Gemini from the command line — with the offline mock
//! built in, so that the first image needs no key.

mod args;
mod backend;
mod commands;
mod failure;
mod output;
mod preview;
mod progress;
mod size_check;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::args::{Cli, Command};
use crate::backend::Backend;
use crate::commands::Context;
use crate::failure::Failure;
use crate::progress::Progress;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&args::command().get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match cli.command {
        Command::Completions { shell } => return commands::help::completions(shell),
        Command::Manpage => return commands::help::manpage(),
        _ => {}
    }
    if let Command::Mock(serve) = cli.command {
        tracing_subscriber::fmt()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .init();
        return gemini_image_mock::cli::serve(*serve).await;
    }
    // Logs only when asked for (`RUST_LOG=gemini_image=debug`), on stderr: stdout is the
    // command's answer.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let progress = Progress::new(cli.json, cli.quiet);
    let backend = match Backend::connect(&cli.backend, &progress).await {
        Ok(backend) => backend,
        Err(message) => return Failure::Local(message).report(),
    };
    let context = Context {
        backend,
        progress,
        json: cli.json,
        show: cli.show && !cli.no_show,
        no_show: cli.no_show,
    };
    let result = match cli.command {
        Command::Image(args) => commands::image::run(&context, args).await,
        Command::Edit(args) => commands::edit::run(&context, args).await,
        Command::Chat(args) => commands::chat::run(&context, args).await,
        Command::Imagen(args) => commands::imagen::run(&context, args).await,
        Command::Models => commands::models::run(&context).await,
        Command::Tokens(args) => commands::tokens::run(&context, args).await,
        Command::Files(command) => commands::files::run(&context, command).await,
        Command::Batch(command) => commands::batch::run(&context, command).await,
        Command::Mock(_) | Command::Completions { .. } | Command::Manpage => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
