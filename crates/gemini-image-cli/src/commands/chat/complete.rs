//! Tab completion at the chat prompt: the slash commands, and file paths after `/attach` and
//! `/save`.

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::slash::COMMANDS;

/// The prompt's helper: completion only (no hints, colours or multi-line input).
#[derive(Default)]
pub struct Completion {
    files: FilenameCompleter,
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        if before.starts_with("/attach ") || before.starts_with("/save ") {
            return self.files.complete(line, pos, ctx);
        }
        if before.starts_with('/') && !before.contains(char::is_whitespace) {
            let names = COMMANDS
                .iter()
                .filter(|(name, _)| name.starts_with(before))
                .map(|(name, _)| Pair {
                    display: (*name).to_string(),
                    replacement: format!("{name} "),
                })
                .collect();
            return Ok((0, names));
        }
        Ok((pos, Vec::new()))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}
