//! How a run ends: the exit codes, and failures said plainly with what to do about them.

use std::process::ExitCode;

use gemini_image::Error;

/// Exit codes: distinct for usage errors (2, clap's), API errors and blocked results.
pub mod code {
    /// A local problem: a file that cannot be read or written, the mock failed to start.
    pub const LOCAL: u8 = 1;
    /// The API answered with an error, or could not be reached.
    pub const API: u8 = 3;
    /// The model answered, but without an image: filtered, blocked, or text only.
    pub const BLOCKED: u8 = 4;
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// A local problem, said as it is.
    Local(String),
    /// An API or transport error.
    Api(Error),
    /// No image: what the model said instead (already printed).
    Blocked(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Config(message) => Failure::Local(message),
            other => Failure::Api(other),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Local(error.to_string())
    }
}

impl Failure {
    /// The exit code.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Local(_) => code::LOCAL,
            Failure::Api(_) => code::API,
            Failure::Blocked(_) => code::BLOCKED,
        }
    }

    /// Prints the failure on stderr and gives the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Failure::Local(message) => eprintln!("gemini: {message}"),
            Failure::Api(error) => {
                eprintln!("gemini: {error}");
                if let Some(hint) = hint(error) {
                    eprintln!("  {hint}");
                }
            }
            Failure::Blocked(message) => eprintln!("gemini: {message}"),
        }
        ExitCode::from(self.code())
    }
}

/// What to do about an error.
pub fn hint(error: &Error) -> Option<String> {
    let Error::Api(api) = error else {
        return match error {
            Error::Transport(_) => {
                Some("check the network, or the server given with --base-url".into())
            }
            Error::Timeout(_) => Some("the server did not answer in time; try again".into()),
            _ => None,
        };
    };
    Some(match (api.http_status, api.reason().as_deref()) {
        (_, Some("API_KEY_INVALID")) => {
            "check GEMINI_API_KEY (keys: https://aistudio.google.com/apikey), or unset it to use \
             the built-in mock"
                .into()
        }
        (403, _) => "the key may not use this model or this API; check the key's project".into(),
        (404, _) => "run `gemini-image models` to see the models there are".into(),
        (429, _) if api.is_daily_quota() => {
            "the daily quota is used up: it resets at midnight Pacific time, or enable billing"
                .into()
        }
        (429, _) => match api.retry_delay() {
            Some(delay) => format!(
                "rate limited: try again in {} s, or ask less often",
                delay.as_secs_f64().ceil()
            ),
            None => "rate limited: try again later, or ask less often".into(),
        },
        (400, _) => "the request was refused as invalid: check the options".into(),
        (status, _) if status >= 500 => "Google's side failed; try again in a while".into(),
        _ => return None,
    })
}
