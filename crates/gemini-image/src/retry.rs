//! [`RetryPolicy`]: when and how long to wait before trying a failed call again. The one place
//! that maps an error to a retry decision.

use std::time::Duration;

use crate::error::Error;

/// A retry about to happen, as [`ClientBuilder::on_retry`](crate::ClientBuilder::on_retry) hooks
/// see it.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryEvent<'a> {
    /// The attempt that failed (1 for the first request).
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// Why the attempt failed.
    pub error: &'a Error,
}

/// Exponential backoff with jitter that honours Google's RetryInfo, on by default.
///
/// Retries 429 per-minute quota, 500, 502, 503, 504, connection failures, timeouts, and an
/// answer that broke off or stalled before anything of it was handed out (a unary body, a
/// stream before its first chunk: [`Error::is_retryable`]); never 400, 401, 403, 404 or a
/// per-day quota. A wait Google asks for (RetryInfo `retryDelay`, since Gemini
/// sends no `Retry-After` header) is used as it is; otherwise the wait doubles from
/// `initial_backoff` up to `max_backoff`, each drawn at random from its upper half.
///
/// ```
/// use gemini_image::RetryPolicy;
/// use std::time::Duration;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(6)
///     .budget(Duration::from_secs(120));
/// let never = RetryPolicy::none();
/// assert_eq!(never.attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            budget: Duration::from_secs(90),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first wait without RetryInfo; it doubles after each attempt.
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest wait without RetryInfo.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The most time a call may spend, waits included: a retry whose wait would go past it is
    /// not made.
    #[must_use]
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long to wait before attempt `attempt + 1` after `error`, `elapsed` into the call;
    /// `None` to give up.
    pub fn wait(&self, error: &Error, attempt: u32, elapsed: Duration) -> Option<Duration> {
        if !error.is_retryable() {
            return None;
        }
        self.backoff(error, attempt, elapsed)
    }

    /// The wait before attempt `attempt + 1`, whatever the kind of `error`: attempts and budget
    /// only.
    pub(crate) fn backoff(
        &self,
        error: &Error,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = error.retry_after().unwrap_or_else(|| {
            let doubled = self
                .initial_backoff
                .saturating_mul(1 << attempt.saturating_sub(1).min(20));
            let ceiling = doubled.min(self.max_backoff);
            // The upper half at random, so that many clients do not retry in step.
            ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)
        });
        (elapsed + wait <= self.budget).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, body: &str) -> Error {
        Error::Api(ApiError::from_body(status, body.as_bytes()))
    }

    #[test]
    fn decisions() {
        let policy = RetryPolicy::default();
        let second = Duration::from_secs(1);
        let with_delay = api(
            429,
            r#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}}"#,
        );
        assert_eq!(
            policy.wait(&with_delay, 1, second),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            policy.wait(&with_delay, 4, second),
            None,
            "attempts used up"
        );
        assert_eq!(
            policy.wait(&with_delay, 1, Duration::from_secs(85)),
            None,
            "over budget"
        );
        for status in [500, 502, 503, 504] {
            let wait = policy.wait(&api(status, "{}"), 1, second).unwrap();
            assert!(wait >= Duration::from_millis(250) && wait <= Duration::from_millis(500));
        }
        let third = policy.wait(&api(503, "{}"), 3, second).unwrap();
        assert!(third >= Duration::from_secs(1) && third <= Duration::from_secs(2));
        for status in [400, 401, 403, 404] {
            assert_eq!(policy.wait(&api(status, "{}"), 1, second), None);
        }
        let daily = api(
            429,
            r#"{"error": {"code": 429, "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}}"#,
        );
        assert_eq!(policy.wait(&daily, 1, second), None);
        assert_eq!(RetryPolicy::none().wait(&api(503, "{}"), 1, second), None);
    }
}
