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
    /// Some requests of a batch failed, each said already; the others' images are saved.
    Partial(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Config(message) | Error::Auth(message) => Failure::Local(message),
            error @ (Error::Io { .. } | Error::RequestTooLarge { .. }) => {
                Failure::Local(error.to_string())
            }
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
            Failure::Partial(_) => code::API,
        }
    }

    /// Prints the failure on stderr and gives the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Failure::Local(message) => eprintln!("gemini-image: {message}"),
            Failure::Api(error) => {
                eprintln!("gemini-image: {error}");
                // The causes below the top error ("connection refused" …), each once.
                let mut said = error.to_string();
                let mut cause = std::error::Error::source(error);
                while let Some(inner) = cause {
                    let text = inner.to_string();
                    if !said.contains(&text) {
                        eprintln!("  because: {text}");
                        said.push_str(&text);
                    }
                    cause = inner.source();
                }
                if let Some(hint) = hint(error) {
                    eprintln!("  {hint}");
                }
            }
            Failure::Blocked(message) | Failure::Partial(message) => {
                eprintln!("gemini-image: {message}")
            }
        }
        ExitCode::from(self.code())
    }
}

/// For Google's 404 of a model (`models/X is not found for API version …`): when X is one the
/// project's table knows as shut down, when it went and what to use instead.
fn retired_model(message: &str) -> Option<String> {
    let id = message.strip_prefix("models/")?.split(' ').next()?;
    let info = gemini_image::models::find(id)?;
    if info.lifecycle() != gemini_image::models::Lifecycle::Retired {
        return None;
    }
    let shutdown = info.shutdown.unwrap_or("an announced date");
    Some(match info.replacement {
        Some(replacement) => format!(
            "{id} was shut down by Google on {shutdown}: use {replacement} (-m {replacement})"
        ),
        None => format!("{id} was shut down by Google on {shutdown}: run `gemini-image models`"),
    })
}

/// What to do about an error.
pub fn hint(error: &Error) -> Option<String> {
    let Error::Api(api) = error else {
        return match error {
            Error::Transport(_) => {
                Some("check the network, or the server given with --base-url".into())
            }
            Error::Timeout(_) => Some("the server did not answer in time; try again".into()),
            Error::IdleTimeout(_) => Some(
                "the answer stopped arriving part way (a proxy or the network); try again".into(),
            ),
            Error::Incomplete { .. } => Some(
                "the answer was cut short on the way (a proxy or the network); try again".into(),
            ),
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
        (404, _) => retired_model(&api.message)
            .unwrap_or_else(|| "run `gemini-image models` to see the models there are".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn googles_404_for_a_retired_model_says_what_to_use_instead() {
        let not_found = |model: &str| {
            Error::Api(gemini_image::ApiError::from_body(
                404,
                format!(
                    r#"{{"error": {{"code": 404, "status": "NOT_FOUND", "message": "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."}}}}"#
                )
                .as_bytes(),
            ))
        };
        assert_eq!(
            hint(&not_found("gemini-2.5-flash-image")).as_deref(),
            Some(
                "gemini-2.5-flash-image was shut down by Google on 2026-10-02: use \
                 gemini-3.1-flash-image (-m gemini-3.1-flash-image)"
            )
        );
        assert_eq!(
            hint(&not_found("gemini-9-ultra")).as_deref(),
            Some("run `gemini-image models` to see the models there are")
        );
    }
}
