//! `gemini-image chat`: one line per turn; each turn's image is saved. The history (with the
//! model's images and thought signatures) is kept by [`gemini_image::Chat`] — or, with
//! `--api interactions`, by the server, [`gemini_image::InteractionChat`] keeping only the last
//! interaction's id.
//!
//! On a terminal it is a shell: line editing, a history kept across sessions, Tab completion,
//! slash commands answered locally, Ctrl-C cancelling the turn in flight. From a pipe it reads
//! plain lines (a script), the slash commands working the same.

mod complete;
mod conversation;
mod input;
mod session;
mod slash;

use crate::args::ChatArgs;
use crate::commands::Context;
use crate::failure::Failure;

use self::input::{Input, Lines};
use self::session::{Next, Session};

pub async fn run(context: &Context, args: ChatArgs) -> Result<(), Failure> {
    let say = |line: &str| context.progress.say(line);
    let mut session = Session::new(context, args);
    let mut lines = Lines::open(say);
    let interactive = lines.is_interactive();
    if interactive {
        say(&session.greeting());
    }
    loop {
        let line = match lines.next(say)? {
            Input::Line(line) => line,
            Input::Interrupted => continue,
            Input::End => break,
        };
        if line.is_empty() {
            continue;
        }
        if let Some(command) = slash::parse(&line) {
            match session.command(command)? {
                Next::Continue => continue,
                Next::Quit => break,
            }
        }
        let parts = session.parts(&line);
        // Ctrl-C cancels a turn only when a person is there to go on chatting; a script keeps
        // the usual meaning of Ctrl-C (the command ends).
        match session.send(parts, interrupted(interactive)).await {
            Some(sent) => session.answer(sent)?,
            None => say("cancelled"),
        }
    }
    match session.last_failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// Resolves on Ctrl-C when `interactive` (the handler, once installed, stays: at the prompt
/// the editor reads Ctrl-C as a key anyway); never otherwise, nor when no handler can be
/// installed.
async fn interrupted(interactive: bool) {
    if interactive && tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending().await
}
