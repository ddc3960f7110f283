//! Where the chat's lines come from: a line editor with history and completion on a terminal,
//! or plain lines when stdin is a pipe or a file (a script: no editor, no prompt).
//!
//! The editor is rustyline: it is small, well kept, reads a line synchronously (the chat waits
//! for the line anyway; the turn in flight is not read meanwhile), and has a bounded history
//! file and a completion hook built in. reedline would bring crossterm and a larger API for
//! features (menus, multi-line buffers) a one-line prompt does not use.

use std::io::{BufRead, IsTerminal, StdinLock};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};

use super::complete::Completion;

/// Entries kept in the history file (the oldest go first).
pub const HISTORY_ENTRIES: usize = 1000;

/// The variable naming the history file (tests point it at a scratch file).
pub const HISTORY_VARIABLE: &str = "GEMINI_IMAGE_HISTORY";

/// What reading a line gave.
pub enum Input {
    Line(String),
    /// Ctrl-C at the prompt: the line was cleared.
    Interrupted,
    /// Ctrl-D or the end of the input.
    End,
}

/// The source of lines.
pub enum Lines {
    Editor {
        editor: Box<Editor<Completion, FileHistory>>,
        /// Where the history is kept, when there is a place for it.
        history: Option<PathBuf>,
    },
    Piped(std::io::Lines<StdinLock<'static>>),
}

impl Lines {
    /// The editor when stdin and stderr are terminals, else stdin's lines. A history file that
    /// cannot be read is reported once and the chat goes on without the old lines.
    pub fn open(say: impl Fn(&str)) -> Lines {
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return Lines::Piped(std::io::stdin().lock().lines());
        }
        match editor() {
            Ok(mut editor) => {
                let history = history_path();
                if let Some(path) = &history
                    && let Err(error) = editor.load_history(path)
                    && !is_not_found(&error)
                {
                    say(&format!(
                        "cannot read the history {}: {error}",
                        path.display()
                    ));
                }
                Lines::Editor {
                    editor: Box::new(editor),
                    history,
                }
            }
            Err(error) => {
                say(&format!("no line editing ({error}): reading plain lines"));
                Lines::Piped(std::io::stdin().lock().lines())
            }
        }
    }

    /// Whether a person is typing (prompts and greetings are for them only).
    pub fn is_interactive(&self) -> bool {
        matches!(self, Lines::Editor { .. })
    }

    /// The next line, trimmed; a line typed at the editor joins the history file at once, so a
    /// session that ends badly keeps it.
    pub fn next(&mut self, say: impl Fn(&str)) -> std::io::Result<Input> {
        match self {
            Lines::Piped(lines) => Ok(match lines.next().transpose()? {
                Some(line) => Input::Line(line.trim().to_string()),
                None => Input::End,
            }),
            Lines::Editor { editor, history } => {
                // The read blocks this worker thread; the runtime moves its other tasks (the
                // built-in mock) elsewhere meanwhile.
                match tokio::task::block_in_place(|| editor.readline("> ")) {
                    Ok(line) => {
                        let line = line.trim().to_string();
                        if !line.is_empty() && editor.add_history_entry(&line).unwrap_or(false) {
                            remember(editor, history.as_deref(), say);
                        }
                        Ok(Input::Line(line))
                    }
                    Err(ReadlineError::Interrupted) => Ok(Input::Interrupted),
                    Err(ReadlineError::Eof) => Ok(Input::End),
                    Err(ReadlineError::Io(error)) => Err(error),
                    Err(error) => Err(std::io::Error::other(error)),
                }
            }
        }
    }
}

/// An editor with a bounded history and the chat's completion.
fn editor() -> rustyline::Result<Editor<Completion, FileHistory>> {
    let config = Config::builder()
        .max_history_size(HISTORY_ENTRIES)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(Completion::default()));
    Ok(editor)
}

/// Appends the new line to the history file (which rustyline keeps to
/// [`HISTORY_ENTRIES`]); a failure is said and the chat goes on.
fn remember(
    editor: &mut Editor<Completion, FileHistory>,
    path: Option<&std::path::Path>,
    say: impl Fn(&str),
) {
    let Some(path) = path else { return };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(error) = editor.append_history(path) {
        say(&format!(
            "cannot write the history {}: {error}",
            path.display()
        ));
    }
}

/// `$GEMINI_IMAGE_HISTORY`, else `chat_history` in the user's data directory
/// (`$XDG_DATA_HOME/gemini-image` or `~/.local/share/gemini-image` on Linux).
pub fn history_path() -> Option<PathBuf> {
    match std::env::var_os(HISTORY_VARIABLE).filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::data_dir().map(|dir| dir.join("gemini-image").join("chat_history")),
    }
}

fn is_not_found(error: &ReadlineError) -> bool {
    matches!(error, ReadlineError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
}
