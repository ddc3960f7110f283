//! `gemini-image chat` driven through a pseudo-terminal as a person drives it, against the mock
//! built into it (no key in the environment): the line editor, the history file, the slash
//! commands answered locally, Ctrl-C cancelling a turn; and `--show` drawing images there.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::session::PtySession;

/// Generous: a debug build on a shared machine; an `exp_string` returns as soon as it matches.
const TIMEOUT_MS: u64 = 30_000;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gemini-image-shell-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `gemini-image` in `dir` on a plain terminal (no graphics protocol: nothing asks it a
/// question it would not answer), reaching the built-in mock only.
fn gemini(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gemini-image"));
    command
        .current_dir(dir)
        .env("GEMINI_IMAGE_HISTORY", dir.join("history"))
        .env("TERM", "xterm")
        .env_remove("TERM_PROGRAM")
        .env_remove("KITTY_WINDOW_ID")
        .env_remove("GEMINI_API_KEY")
        .env_remove("GOOGLE_API_KEY")
        .env_remove("GOOGLE_GEMINI_BASE_URL")
        .env_remove("GOOGLE_GENAI_USE_VERTEXAI")
        .env_remove("GEMINI_IMAGE_MODEL")
        .env_remove("RUST_LOG");
    command
}

/// `gemini-image chat` on a terminal in `dir`, its history in `dir/history`.
fn chat(dir: &Path, extra: &[&str]) -> PtySession {
    let mut command = gemini(dir);
    command.arg("chat").args(extra);
    let mut session = rexpect::session::spawn_command(command, Some(TIMEOUT_MS)).unwrap();
    session.exp_string("/help lists the commands").unwrap();
    session
}

/// Types `line` and Enter.
fn type_line(session: &mut PtySession, line: &str) {
    session.send_line(line).unwrap();
}

/// Sends keys (rexpect's `send` buffers them until a flush).
fn keys(session: &mut PtySession, keys: &str) {
    session.send(keys).unwrap();
    session.flush().unwrap();
}

/// The Up arrow.
const UP: &str = "\x1b[A";

/// The line editor's fresh prompt, drawn once it has put the terminal in raw mode.
const PROMPT: &str = "\x1b[K> ";

/// Ctrl-D at an empty prompt: the chat ends, successfully.
///
/// Waits for the prompt first: a Ctrl-D typed while the terminal is still in cooked mode (between
/// two lines) is turned by the kernel's line discipline into an end-of-line the editor then reads
/// as a NUL byte in raw mode, and the chat would wait forever.
fn leave(mut session: PtySession) {
    session.exp_string(PROMPT).unwrap();
    session.send_control('d').unwrap();
    session.exp_eof().unwrap();
}

#[test]
fn a_turn_saves_its_image_and_up_recalls_it() {
    let dir = scratch("turn");
    let mut session = chat(&dir, &[]);
    type_line(&mut session, "a red bicycle");
    session.exp_string("wrote chat-1.").unwrap();
    // Up, then Enter: the same prompt again, a second turn.
    keys(&mut session, UP);
    session.exp_string("a red bicycle").unwrap();
    keys(&mut session, "\r");
    session.exp_string("wrote chat-2.").unwrap();
    leave(session);
    assert!(
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| { e.file_name().to_string_lossy().starts_with("chat-2.") })
    );
}

#[test]
fn slash_commands_are_answered_locally() {
    let dir = scratch("slash");
    let mut session = chat(&dir, &[]);
    type_line(&mut session, "/help");
    session.exp_string("/undo").unwrap();
    session.exp_string("/aspect").unwrap();
    type_line(&mut session, "/frobnicate");
    // (rexpect reads the terminal as Latin-1: expected text stays ASCII.)
    session.exp_string("unknown command /frobnicate ").unwrap();
    session.exp_string(" /help lists them").unwrap();
    type_line(&mut session, "/undo");
    session.exp_string("nothing to undo").unwrap();
    type_line(&mut session, "/size 9K");
    session.exp_string("/size 9K: use one of").unwrap();
    type_line(&mut session, "/aspect 16:9");
    session.exp_string("aspect ratio: 16:9").unwrap();
    // The first request of the session is the first prompt: it gets the first number, and the
    // aspect ratio asked for.
    type_line(&mut session, "a wide harbour");
    session.exp_string("wrote chat-1.").unwrap();
    session.exp_string("(1376").unwrap();
    type_line(&mut session, "/undo");
    session.exp_string("dropped the last turn").unwrap();
    type_line(&mut session, "/save again");
    session.exp_string("wrote again.").unwrap();
    leave(session);
    assert!(
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| { e.file_name().to_string_lossy().starts_with("again.") })
    );
    let history = std::fs::read_to_string(dir.join("history")).unwrap();
    assert!(history.contains("/frobnicate") && history.contains("a wide harbour"));
}

#[test]
fn history_is_kept_across_sessions() {
    let dir = scratch("history");
    let mut first = chat(&dir, &[]);
    type_line(&mut first, "/help");
    first.exp_string("/quit").unwrap();
    type_line(&mut first, "/quit");
    first.exp_eof().unwrap();

    let mut second = chat(&dir, &[]);
    keys(&mut second, UP);
    second.exp_string("/quit").unwrap();
    keys(&mut second, UP);
    second.exp_string("/help").unwrap();
    // Ctrl-C at the prompt clears the line and the chat goes on.
    second.send_control('c').unwrap();
    // (Typed before the editor reads again, a line could be lost: wait for the fresh prompt.)
    second.exp_string(PROMPT).unwrap();
    type_line(&mut second, "/undo");
    second.exp_string("nothing to undo").unwrap();
    leave(second);
}

#[test]
fn ctrl_c_cancels_the_turn_in_flight_and_the_chat_goes_on() {
    let dir = scratch("cancel");
    let mut session = chat(&dir, &[]);
    type_line(&mut session, "a slow snail [mock:slow=60s]");
    session.exp_string("is answering").unwrap();
    session.send_control('c').unwrap();
    session.exp_string("cancelled").unwrap();
    type_line(&mut session, "a quick hare");
    session.exp_string("wrote chat-1.").unwrap();
    leave(session);
}

#[test]
fn show_draws_each_image_on_the_terminal() {
    let dir = scratch("show");
    let mut command = gemini(&dir);
    command.args(["--show", "image", "a fox", "-o", "fox"]);
    let mut session = rexpect::session::spawn_command(command, Some(TIMEOUT_MS)).unwrap();
    session.exp_string("wrote fox.").unwrap();
    // Half blocks (a plain terminal): colour escapes, a row of them per line.
    let drawn = session.exp_eof().unwrap();
    assert!(drawn.contains("\x1b[38;2;"), "no colour escapes: {drawn:?}");
    assert!(
        drawn.lines().count() >= 10,
        "{} lines",
        drawn.lines().count()
    );
}

#[test]
fn tab_completes_commands_and_paths_with_spaces() {
    let dir = scratch("complete");
    image::RgbImage::from_pixel(8, 8, image::Rgb([200, 30, 30]))
        .save(dir.join("my photo.png"))
        .unwrap();
    let mut session = chat(&dir, &[]);
    // `/he` and Tab: the command, completed and run.
    keys(&mut session, "/he\t");
    session.exp_string("/help").unwrap();
    keys(&mut session, "\r");
    session.exp_string("/attach").unwrap();
    // A path with a space, completed (escaped) and attached as the file it names.
    keys(&mut session, "/attach my\t");
    session.exp_string("photo.png").unwrap();
    keys(&mut session, "\r");
    session.exp_string("attached").unwrap();
    leave(session);
}
