//! The spinner on stderr while a request is out, and the retry lines ("rate limited, retrying
//! in 47 s"). Hidden when stderr is not a terminal; the retry lines are printed anyway.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gemini_image::{Error, RetryEvent};
use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with the elapsed time. Clones show the same spinner.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
    /// Whether the spinner is showing: a line said while it is idle is printed plainly, for
    /// `ProgressBar::println` would draw the idle bar (a stray `⠁  (0s)`) under it.
    spinning: Arc<AtomicBool>,
    /// `--quiet`: no spinner, no bars, no notes; errors are the caller's to print.
    quiet: bool,
}

impl Progress {
    /// A spinner on stderr, hidden when stderr is not a terminal or `hidden` (`--json`); with
    /// `quiet` (`--quiet`) nothing at all is said on stderr.
    pub fn new(hidden: bool, quiet: bool) -> Self {
        let bar = if hidden || quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar
        };
        Progress {
            bar,
            spinning: Arc::default(),
            quiet,
        }
    }

    /// A bar of `total` bytes on stderr (hidden as the spinner is), for an upload or a download.
    pub fn bytes(&self, total: u64, message: impl Into<String>) -> ProgressBar {
        self.bar_of(
            total,
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            message.into(),
        )
    }

    /// A bar of things done out of a total (a batch's requests), hidden as the spinner is; its
    /// length is set as the total becomes known.
    pub fn items(&self, message: impl Into<String>) -> ProgressBar {
        let bar = self.bar_of(
            0,
            "{msg} [{bar:30}] {pos}/{len} ({elapsed})",
            message.into(),
        );
        // Between two polls nothing moves but the time.
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        bar
    }

    /// A bar of `len` drawn by `template`, or a hidden one when the spinner is hidden.
    fn bar_of(&self, len: u64, template: &str, message: String) -> ProgressBar {
        if self.bar.is_hidden() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        bar
    }

    /// Shows `message` and spins until [`Progress::done`].
    pub fn start(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
        self.bar.reset();
        self.spinning.store(true, Ordering::Relaxed);
        self.bar.enable_steady_tick(Duration::from_millis(100));
    }

    /// Stops and clears the spinner.
    pub fn done(&self) {
        self.spinning.store(false, Ordering::Relaxed);
        self.bar.disable_steady_tick();
        // Not reset here: a reset bar draws itself again, and the next output would be
        // written after it on its line. `start` resets it.
        self.bar.finish_and_clear();
    }

    /// A line on stderr, above the spinner when it shows.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        if self.bar.is_hidden() || !self.spinning.load(Ordering::Relaxed) {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// What the SDK's retry hook reports.
    pub fn retrying(&self, event: &RetryEvent<'_>) {
        let why = match event.error {
            Error::Api(api) if api.http_status == 429 => "rate limited".to_string(),
            Error::Api(api) if api.http_status == 503 => "the model is overloaded".to_string(),
            Error::Api(api) => format!("the server failed ({})", api.http_status),
            Error::Timeout(_) => "no answer in time".to_string(),
            Error::IdleTimeout(_) => "the answer stalled".to_string(),
            Error::Decode { .. } => "the answer could not be read".to_string(),
            Error::Incomplete { .. } => "the answer was cut short".to_string(),
            _ => "the connection failed".to_string(),
        };
        let seconds = event.wait.as_secs_f64();
        let wait = if seconds >= 1.0 {
            format!("{} s", seconds.round())
        } else {
            format!("{} ms", event.wait.as_millis())
        };
        self.say(&format!("{why}, retrying in {wait}"));
    }
}
