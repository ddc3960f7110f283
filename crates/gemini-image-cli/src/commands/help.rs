//! `completions SHELL` and `manpage`: what shells and `man` read, generated from the command
//! line's own definition (`args::command`), so that they never drift from it.

use std::io::Write;
use std::process::ExitCode;

use crate::args;

/// The completion script for `shell`, on stdout.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = args::command();
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// The manual page (roff): the options, the subcommands with their summaries, the environment
/// and the exit codes; on stdout.
pub fn manpage() -> ExitCode {
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(args::command())
        .render(&mut page)
        .and_then(|()| std::io::stdout().write_all(&page));
    match rendered {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gemini-image: cannot write the manual page: {error}");
            ExitCode::from(1)
        }
    }
}
