//! Where a batch is ([`JobState`]) and how far it got ([`BatchCounts`]), as numbers and names a
//! program can use: the wire says `BATCH_STATE_*` and int64 strings with zero counts left out.

use std::fmt;
use std::str::FromStr;

use crate::OpenEnum;
use crate::types::{BatchState, BatchStats};

/// The state of a batch. It reads both spellings: the wire's `BATCH_STATE_SUCCEEDED` and the
/// `JOB_STATE_SUCCEEDED` that Google's SDKs (and their users' code, and some of Google's docs)
/// show; a state added later is kept as [`JobState::Other`] with its text.
///
/// The generated field (`GenerateContentBatch::state`) stays an `OpenEnum<BatchState>`, exactly
/// what the wire said; this type is read from it ([`From`]) rather than from a deserializer of
/// its own, so that what the server sent is never rewritten.
///
/// ```
/// use gemini_image::JobState;
///
/// let wire: JobState = "BATCH_STATE_SUCCEEDED".parse().unwrap();
/// let sdk: JobState = "JOB_STATE_SUCCEEDED".parse().unwrap();
/// assert_eq!(wire, JobState::Succeeded);
/// assert_eq!(sdk, JobState::Succeeded);
/// assert!(sdk.is_terminal());
/// assert_eq!(wire.to_string(), "BATCH_STATE_SUCCEEDED");
///
/// let newer: JobState = "BATCH_STATE_PAUSED".parse().unwrap();
/// assert_eq!(newer, JobState::Other("BATCH_STATE_PAUSED".into()));
/// assert!(!newer.is_terminal());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum JobState {
    /// No state given (`BATCH_STATE_UNSPECIFIED`, or no `state` field at all).
    #[default]
    Unspecified,
    /// Created, waiting to run.
    Pending,
    /// Running.
    Running,
    /// Finished. Single requests may still have failed: see [`BatchCounts::failed`].
    Succeeded,
    /// The whole batch failed; the Operation's `error` says why
    /// ([`BatchExt::failure`](crate::BatchExt::failure)).
    Failed,
    /// Cancelled ([`Batches::cancel`](crate::Batches::cancel)).
    Cancelled,
    /// Pending or running for more than 48 hours: no results.
    Expired,
    /// A state this crate does not know, as the server wrote it.
    Other(String),
}

impl JobState {
    /// Whether the batch has stopped for good: succeeded, failed, cancelled or expired.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled | JobState::Expired
        )
    }

    /// The wire name (`BATCH_STATE_*`), or the unknown state's text.
    pub fn as_str(&self) -> &str {
        match self {
            JobState::Unspecified => "BATCH_STATE_UNSPECIFIED",
            JobState::Pending => "BATCH_STATE_PENDING",
            JobState::Running => "BATCH_STATE_RUNNING",
            JobState::Succeeded => "BATCH_STATE_SUCCEEDED",
            JobState::Failed => "BATCH_STATE_FAILED",
            JobState::Cancelled => "BATCH_STATE_CANCELLED",
            JobState::Expired => "BATCH_STATE_EXPIRED",
            JobState::Other(text) => text,
        }
    }
}

impl FromStr for JobState {
    type Err = std::convert::Infallible;

    /// Never fails: `BATCH_STATE_X` and `JOB_STATE_X` are the same state; anything else is
    /// [`JobState::Other`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name = text
            .strip_prefix("BATCH_STATE_")
            .or_else(|| text.strip_prefix("JOB_STATE_"));
        Ok(match name {
            Some("UNSPECIFIED") => JobState::Unspecified,
            Some("PENDING") => JobState::Pending,
            Some("RUNNING") => JobState::Running,
            Some("SUCCEEDED") => JobState::Succeeded,
            Some("FAILED") => JobState::Failed,
            Some("CANCELLED") => JobState::Cancelled,
            Some("EXPIRED") => JobState::Expired,
            _ => JobState::Other(text.to_owned()),
        })
    }
}

impl From<&OpenEnum<BatchState>> for JobState {
    fn from(state: &OpenEnum<BatchState>) -> Self {
        match state {
            OpenEnum::Known(known) => match known {
                BatchState::BatchStateUnspecified => JobState::Unspecified,
                BatchState::BatchStatePending => JobState::Pending,
                BatchState::BatchStateRunning => JobState::Running,
                BatchState::BatchStateSucceeded => JobState::Succeeded,
                BatchState::BatchStateFailed => JobState::Failed,
                BatchState::BatchStateCancelled => JobState::Cancelled,
                BatchState::BatchStateExpired => JobState::Expired,
            },
            // `JOB_STATE_*` (a server or a recording that speaks the SDKs' names) lands here.
            OpenEnum::Unknown(text) => text.parse().unwrap_or_default(),
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A batch's counts of requests, as numbers (the wire's `batchStats` are int64 strings, and a
/// zero count is left out: absent is 0).
///
/// ```
/// use gemini_image::BatchCounts;
/// use gemini_image::types::BatchStats;
///
/// let stats: BatchStats = serde_json::from_str(r#"{"requestCount": "4", "successfulRequestCount": "3", "failedRequestCount": "1"}"#)?;
/// let counts = BatchCounts::from(&stats);
/// assert_eq!(counts, BatchCounts { requests: 4, succeeded: 3, failed: 1, pending: 0 });
/// assert_eq!(counts.done(), 4);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BatchCounts {
    /// All requests of the batch.
    pub requests: u64,
    /// Requests answered.
    pub succeeded: u64,
    /// Requests that failed (each has its error in the results).
    pub failed: u64,
    /// Requests not done yet.
    pub pending: u64,
}

impl BatchCounts {
    /// Requests finished, answered or failed.
    pub fn done(&self) -> u64 {
        self.succeeded.saturating_add(self.failed)
    }
}

impl From<&BatchStats> for BatchCounts {
    /// A count that is not a number (the server's mistake) reads as 0, as an absent one does:
    /// progress is for showing, and must not fail a poll.
    fn from(stats: &BatchStats) -> Self {
        let count = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0)
        };
        BatchCounts {
            requests: count(&stats.request_count),
            succeeded: count(&stats.successful_request_count),
            failed: count(&stats.failed_request_count),
            pending: count(&stats.pending_request_count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings_from_the_wire_field() {
        for (wire, state) in [
            ("BATCH_STATE_PENDING", JobState::Pending),
            ("JOB_STATE_PENDING", JobState::Pending),
            ("BATCH_STATE_RUNNING", JobState::Running),
            ("JOB_STATE_RUNNING", JobState::Running),
            ("JOB_STATE_SUCCEEDED", JobState::Succeeded),
            ("JOB_STATE_FAILED", JobState::Failed),
            ("JOB_STATE_CANCELLED", JobState::Cancelled),
            ("BATCH_STATE_EXPIRED", JobState::Expired),
            ("JOB_STATE_EXPIRED", JobState::Expired),
            ("JOB_STATE_UNSPECIFIED", JobState::Unspecified),
        ] {
            let field: OpenEnum<BatchState> = serde_json::from_str(&format!("{wire:?}")).unwrap();
            assert_eq!(JobState::from(&field), state, "{wire}");
        }
        let odd: OpenEnum<BatchState> = serde_json::from_str("\"JOB_STATE_QUEUED\"").unwrap();
        assert_eq!(
            JobState::from(&odd),
            JobState::Other("JOB_STATE_QUEUED".into())
        );
        assert_eq!(JobState::Other("X".into()).as_str(), "X");
    }

    #[test]
    fn counts_left_out_or_unreadable_are_zero() {
        let stats = BatchStats {
            request_count: Some("12".into()),
            pending_request_count: Some("lots".into()),
            ..BatchStats::default()
        };
        let counts = BatchCounts::from(&stats);
        assert_eq!(counts.requests, 12);
        assert_eq!(counts.pending, 0);
        assert_eq!(counts.done(), 0);
    }
}
