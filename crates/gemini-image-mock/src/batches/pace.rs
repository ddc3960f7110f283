//! How fast a batch's lines are answered (`--batch-pace`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::scenarios::{format_duration, parse_duration};

/// How fast the mock answers a batch's lines. Every line still goes through the model; the
/// pace only says when each may start, counted on the mock's clock from when the batch
/// started, so that `POST /__mock/clock` moves a slow batch on too.
///
/// ```
/// use gemini_image_mock::BatchPace;
/// use std::time::Duration;
///
/// assert_eq!("immediate".parse::<BatchPace>().unwrap(), BatchPace::Immediate);
/// assert_eq!("4/s".parse::<BatchPace>().unwrap(), BatchPace::PerLine(Duration::from_millis(250)));
/// assert_eq!("250ms".parse::<BatchPace>().unwrap().to_string(), "250ms");
/// assert_eq!("manual".parse::<BatchPace>().unwrap(), BatchPace::Manual);
/// assert!("soon".parse::<BatchPace>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BatchPace {
    /// As fast as the worker pool renders (unit tests; the default).
    #[default]
    Immediate,
    /// Line `i` (from 0) may start `(i + 1) ×` this after the batch started: a simulated
    /// delay per line (`250ms`), or a rate (`4/s` is `250ms`).
    PerLine(Duration),
    /// Lines run only when `POST /__mock/batches/{id}/advance` releases them: a test sees
    /// every state and count it wants.
    Manual,
}

impl FromStr for BatchPace {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let wrong = || {
            format!(
                "{text}: expected immediate, manual, N/s (lines per second) or a delay per line such as 250ms"
            )
        };
        match text {
            "immediate" => Ok(Self::Immediate),
            "manual" => Ok(Self::Manual),
            _ => {
                if let Some(rate) = text.strip_suffix("/s") {
                    let rate: f64 = rate.trim().parse().map_err(|_| wrong())?;
                    if !(rate.is_finite() && rate > 0.0) {
                        return Err(wrong());
                    }
                    return Duration::try_from_secs_f64(1.0 / rate)
                        .map(Self::PerLine)
                        .map_err(|_| wrong());
                }
                parse_duration(text).map(Self::PerLine).ok_or_else(wrong)
            }
        }
    }
}

impl fmt::Display for BatchPace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Immediate => f.write_str("immediate"),
            Self::Manual => f.write_str("manual"),
            Self::PerLine(delay) => f.write_str(&format_duration(*delay)),
        }
    }
}
