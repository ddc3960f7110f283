//! Failure scenarios: the answers apps rarely see, produced on demand.
//!
//! A scenario is asked for by name, with a value where it takes one (`slow=250ms`,
//! `rate_limit=3s`), in a request header, a prompt directive, the admin queue or chaos.

pub mod pick;
pub mod plan;
pub mod queue;
pub mod shape;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::ApiError;

/// One failure to produce.
///
/// ```
/// use gemini_image_mock::Scenario;
/// use std::time::Duration;
///
/// let slow: Scenario = "slow=250ms".parse().unwrap();
/// assert_eq!(slow, Scenario::Slow(Duration::from_millis(250)));
/// assert_eq!(slow.to_string(), "slow=250ms");
/// assert!("rate_limit=soon".parse::<Scenario>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// 429 per-minute quota, with Help, QuotaFailure and RetryInfo (`rate_limit=47s`).
    RateLimit(Duration),
    /// 429 per-day quota (with a RetryInfo that must not be trusted).
    DailyQuota(Duration),
    /// 503 UNAVAILABLE.
    Overloaded,
    /// 500 INTERNAL.
    Internal,
    /// 504 DEADLINE_EXCEEDED.
    Deadline,
    /// The image was filtered: `IMAGE_SAFETY` with Google's finishMessage, no content.
    ImageSafety,
    /// `IMAGE_PROHIBITED_CONTENT`.
    ImageProhibitedContent,
    /// `IMAGE_OTHER`.
    ImageOther,
    /// `IMAGE_RECITATION`.
    ImageRecitation,
    /// `NO_IMAGE`: the model answered in text where an image was expected.
    NoImage,
    /// `SAFETY`, with the safety rating that blocked it.
    Safety,
    /// `RECITATION`.
    Recitation,
    /// `MAX_TOKENS`: the text stops short and no image comes.
    MaxTokens,
    /// `promptFeedback.blockReason` and no candidates (`prompt_blocked=SAFETY`; default
    /// `PROHIBITED_CONTENT`).
    PromptBlocked(String),
    /// A text answer with `STOP` where an image was asked for.
    TextOnly,
    /// A raw JSON error object in the middle of a 200 stream.
    StreamError,
    /// The connection closes in the middle of an event.
    StreamTruncated,
    /// The connection closes before any byte of the answer.
    ConnectionReset,
    /// This long before the first byte and between streamed chunks (`slow=250ms`).
    Slow(Duration),
    /// Imagen: one image fewer, and a prediction carrying `raiFilteredReason`.
    RaiFiltered,
    /// An upload chunk is answered without `x-goog-upload-status` and not kept, so that the
    /// SDK's retry of the same chunk succeeds.
    UploadStatusMissing,
    /// The connection closes in the middle of an upload chunk, and nothing of it is kept: the
    /// client must ask for the offset (`X-Goog-Upload-Command: query`) and resume.
    UploadCut,
    /// A batch fails as a whole when it starts: `BATCH_STATE_FAILED` with a top-level `error`.
    BatchFailed,
    /// This percentage of a batch's lines fail (`batch_line_errors=25`, default 50), spread
    /// evenly, each with its own `error`; the batch still SUCCEEDS, as Google's do.
    BatchLineErrors(u8),
    /// A batch reads SUCCEEDED this long (on the mock's clock) before its output is set
    /// (`batch_output_late=2s`, default 1s): real, and it breaks naive clients.
    BatchOutputLate(Duration),
}

/// Every scenario name, in the catalogue's order.
pub const NAMES: &[&str] = &[
    "rate_limit",
    "daily_quota",
    "overloaded",
    "internal",
    "deadline",
    "image_safety",
    "image_prohibited_content",
    "image_other",
    "image_recitation",
    "no_image",
    "safety",
    "recitation",
    "max_tokens",
    "prompt_blocked",
    "text_only",
    "stream_error",
    "stream_truncated",
    "connection_reset",
    "slow",
    "rai_filtered",
    "upload_status_missing",
    "upload_cut",
    "batch_failed",
    "batch_line_errors",
    "batch_output_late",
];

/// The delay in Google's own captured 429: `retryDelay: "47s"`, "Please retry in 47.884324799s."
const DEFAULT_RETRY: Duration = Duration::from_nanos(47_884_324_799);
const DEFAULT_SLOW: Duration = Duration::from_secs(1);
const DEFAULT_OUTPUT_LATE: Duration = Duration::from_secs(1);
const DEFAULT_LINE_ERRORS: u8 = 50;
const DEFAULT_BLOCK_REASON: &str = "PROHIBITED_CONTENT";
const BLOCK_REASONS: &[&str] = &[
    "SAFETY",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "IMAGE_SAFETY",
];

impl Scenario {
    /// The snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RateLimit(_) => "rate_limit",
            Self::DailyQuota(_) => "daily_quota",
            Self::Overloaded => "overloaded",
            Self::Internal => "internal",
            Self::Deadline => "deadline",
            Self::ImageSafety => "image_safety",
            Self::ImageProhibitedContent => "image_prohibited_content",
            Self::ImageOther => "image_other",
            Self::ImageRecitation => "image_recitation",
            Self::NoImage => "no_image",
            Self::Safety => "safety",
            Self::Recitation => "recitation",
            Self::MaxTokens => "max_tokens",
            Self::PromptBlocked(_) => "prompt_blocked",
            Self::TextOnly => "text_only",
            Self::StreamError => "stream_error",
            Self::StreamTruncated => "stream_truncated",
            Self::ConnectionReset => "connection_reset",
            Self::Slow(_) => "slow",
            Self::RaiFiltered => "rai_filtered",
            Self::UploadStatusMissing => "upload_status_missing",
            Self::UploadCut => "upload_cut",
            Self::BatchFailed => "batch_failed",
            Self::BatchLineErrors(_) => "batch_line_errors",
            Self::BatchOutputLate(_) => "batch_output_late",
        }
    }

    /// Reads a comma-separated list, as the header and directives take it.
    ///
    /// ```
    /// let list = gemini_image_mock::Scenario::parse_list("overloaded, slow=2s").unwrap();
    /// assert_eq!(list.len(), 2);
    /// ```
    ///
    /// # Errors
    ///
    /// [`ScenarioError`] naming the first entry that is no scenario.
    pub fn parse_list(text: &str) -> Result<Vec<Scenario>, ScenarioError> {
        parse_list(text)
    }

    /// Whether this scenario changes the answer's content (rather than how or whether it is
    /// sent); `shape` applies these, and they take part in cache keys.
    pub(crate) fn shapes_the_answer(&self) -> bool {
        matches!(
            self,
            Self::ImageSafety
                | Self::ImageProhibitedContent
                | Self::ImageOther
                | Self::ImageRecitation
                | Self::NoImage
                | Self::Safety
                | Self::Recitation
                | Self::MaxTokens
                | Self::PromptBlocked(_)
                | Self::TextOnly
                | Self::RaiFiltered
        )
    }

    /// Whether this scenario is for upload chunks (and only they take it from the queue).
    pub(crate) fn is_for_uploads(&self) -> bool {
        matches!(self, Self::UploadStatusMissing | Self::UploadCut)
    }

    /// The error this scenario answers with instead of a 200, if it is an error scenario.
    pub fn error(&self, model: &str) -> Option<ApiError> {
        match self {
            Self::RateLimit(delay) => Some(ApiError::rate_limit(model, *delay)),
            Self::DailyQuota(delay) => Some(ApiError::daily_quota(model, *delay)),
            Self::Overloaded => Some(ApiError::overloaded()),
            Self::Internal => Some(ApiError::internal()),
            Self::Deadline => Some(ApiError::deadline()),
            _ => None,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Self::RateLimit(delay)
            | Self::DailyQuota(delay)
            | Self::Slow(delay)
            | Self::BatchOutputLate(delay) => write!(f, "={}", format_duration(*delay)),
            Self::BatchLineErrors(percent) => write!(f, "={percent}"),
            Self::PromptBlocked(reason) => write!(f, "={reason}"),
            _ => Ok(()),
        }
    }
}

/// Why a scenario could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

impl FromStr for Scenario {
    type Err = ScenarioError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (text, None),
        };
        let duration = |default: Duration| -> Result<Duration, ScenarioError> {
            value.map_or(Ok(default), |v| {
                parse_duration(v).ok_or_else(|| {
                    ScenarioError(format!(
                        "{name}={v}: expected a duration such as 250ms, 3s or 1.5s"
                    ))
                })
            })
        };
        let scenario = match name {
            "rate_limit" => Self::RateLimit(duration(DEFAULT_RETRY)?),
            "daily_quota" => Self::DailyQuota(duration(DEFAULT_RETRY)?),
            "slow" => Self::Slow(duration(DEFAULT_SLOW)?),
            "batch_output_late" => Self::BatchOutputLate(duration(DEFAULT_OUTPUT_LATE)?),
            "batch_line_errors" => {
                let percent = value.map_or(Some(DEFAULT_LINE_ERRORS), |v| {
                    v.trim_end_matches('%')
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= 100)
                });
                Self::BatchLineErrors(percent.ok_or_else(|| {
                    ScenarioError(format!(
                        "{name}={}: expected a percentage from 0 to 100",
                        value.unwrap_or_default()
                    ))
                })?)
            }
            "prompt_blocked" => {
                let reason = value.unwrap_or(DEFAULT_BLOCK_REASON).to_ascii_uppercase();
                if !BLOCK_REASONS.contains(&reason.as_str()) {
                    return Err(ScenarioError(format!(
                        "prompt_blocked={reason}: expected one of {}",
                        BLOCK_REASONS.join(", ")
                    )));
                }
                Self::PromptBlocked(reason)
            }
            _ => {
                let plain = match name {
                    "overloaded" => Self::Overloaded,
                    "internal" => Self::Internal,
                    "deadline" => Self::Deadline,
                    "image_safety" => Self::ImageSafety,
                    "image_prohibited_content" => Self::ImageProhibitedContent,
                    "image_other" => Self::ImageOther,
                    "image_recitation" => Self::ImageRecitation,
                    "no_image" => Self::NoImage,
                    "safety" => Self::Safety,
                    "recitation" => Self::Recitation,
                    "max_tokens" => Self::MaxTokens,
                    "text_only" => Self::TextOnly,
                    "stream_error" => Self::StreamError,
                    "stream_truncated" => Self::StreamTruncated,
                    "connection_reset" => Self::ConnectionReset,
                    "rai_filtered" => Self::RaiFiltered,
                    "upload_status_missing" => Self::UploadStatusMissing,
                    "upload_cut" => Self::UploadCut,
                    "batch_failed" => Self::BatchFailed,
                    _ => {
                        return Err(ScenarioError(format!(
                            "unknown scenario \"{name}\"; known: {}",
                            NAMES.join(", ")
                        )));
                    }
                };
                if let Some(value) = value {
                    return Err(ScenarioError(format!(
                        "{name} takes no value (got {value})"
                    )));
                }
                plain
            }
        };
        Ok(scenario)
    }
}

/// Reads a comma-separated list (`overloaded, slow=2s`).
pub fn parse_list(text: &str) -> Result<Vec<Scenario>, ScenarioError> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// `250ms`, `3s`, `1.5s`, `2m`, `49h`, `55d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" | "" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86400.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// The shortest of `250ms`, `3s`, `47.884324799s`.
pub fn format_duration(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else if duration.as_nanos().is_multiple_of(1_000_000) && duration.as_secs() == 0 {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_and_prints_back() {
        for name in NAMES {
            let scenario: Scenario = name.parse().unwrap();
            assert_eq!(scenario.name(), *name);
            let again: Scenario = scenario.to_string().parse().unwrap();
            assert_eq!(again, scenario);
        }
    }

    #[test]
    fn values_and_mistakes() {
        assert_eq!(
            parse_list(" rate_limit=3s ,slow=250ms").unwrap(),
            [
                Scenario::RateLimit(Duration::from_secs(3)),
                Scenario::Slow(Duration::from_millis(250))
            ]
        );
        assert_eq!(
            "prompt_blocked=safety".parse::<Scenario>().unwrap(),
            Scenario::PromptBlocked("SAFETY".into())
        );
        let unknown = "overload".parse::<Scenario>().unwrap_err().to_string();
        assert!(
            unknown.contains("unknown scenario \"overload\""),
            "{unknown}"
        );
        assert!("overloaded=1s".parse::<Scenario>().is_err());
        assert!("slow=fast".parse::<Scenario>().is_err());
        assert!("prompt_blocked=MAYBE".parse::<Scenario>().is_err());
        assert_eq!(format_duration(DEFAULT_RETRY), "47.884324799s");
    }
}
