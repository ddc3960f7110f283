//! One batch job as the store keeps it — its state, counts and results — and the
//! `google.longrunning.Operation` it is shown as.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use gemini_image_types::types::{
    BatchInputConfig, BatchOperation, BatchState, BatchStats, GenerateContentBatch,
    GenerateContentBatchOutput, InlinedResponse, InlinedResponses, Status,
};
use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;

/// The `@type` of an Operation's metadata (`v1main`, whatever version was called).
pub const BATCH_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch";
/// The `@type` of an Operation's `response`.
pub const OUTPUT_TYPE: &str =
    "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput";
/// A batch pending or running this long is `BATCH_STATE_EXPIRED` (Google's docs: 48 hours).
pub const EXPIRY: Duration = Duration::from_secs(48 * 3600);

/// The batch-level scenarios a job was created with (`x-mock-scenario`, the queue, or a
/// `[mock:…]` directive in its display name).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobScenarios {
    /// `batch_failed`: the whole batch fails when it starts (FAILED, a top-level `error`).
    pub fail: bool,
    /// `batch_line_errors=25`: this percentage of the lines fail, spread evenly.
    pub line_error_percent: u8,
    /// `batch_output_late=2s`: SUCCEEDED is shown this long before the output is.
    pub output_late: Option<Duration>,
}

impl JobScenarios {
    /// Whether line `index` (from 0) is one of the share that fails: the lines where the
    /// running count of failures, `(i + 1) × p / 100` rounded down, goes up.
    pub fn line_fails(&self, index: u64) -> bool {
        let p = u64::from(self.line_error_percent.min(100));
        (index + 1) * p / 100 > index * p / 100
    }
}

/// A batch job.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The id, without `batches/`.
    pub id: String,
    /// Increasing with creation: the list's order and its page tokens.
    pub sequence: u64,
    /// `models/{id}`.
    pub model: String,
    /// The display name given at create.
    pub display_name: Option<String>,
    /// `files/{id}` for file input; `None` for inline input.
    pub input_file: Option<String>,
    /// When it was created, on the mock's clock.
    pub created: SystemTime,
    /// When it last changed.
    pub updated: SystemTime,
    /// When it started running (the origin of its pace).
    pub started: Option<SystemTime>,
    /// When it reached a final state.
    pub ended: Option<SystemTime>,
    /// Where it is.
    pub state: BatchState,
    /// Requests in the batch.
    pub total: u64,
    /// Requests answered.
    pub succeeded: u64,
    /// Requests that failed.
    pub failed: u64,
    /// The results of inline input, in input order.
    pub inlined: Vec<InlinedResponse>,
    /// The results file of file input, once it is whole (`files/batch-{id}`).
    pub responses_file: Option<String>,
    /// Why a FAILED batch failed.
    pub error: Option<Status>,
    /// When the output of a SUCCEEDED batch shows (later than `ended` under
    /// `batch_output_late`).
    pub output_at: Option<SystemTime>,
    /// The batch-level scenarios.
    pub scenarios: JobScenarios,
    /// Lines released by `POST /__mock/batches/{id}/advance`, whatever the pace.
    pub released: u64,
    /// The bytes counted against the store's budget.
    pub bytes: usize,
    /// Of those, the bytes its inline requests hold until it ends (0 for file input).
    #[serde(default)]
    pub request_bytes: usize,
}

impl Job {
    /// Whether the job has reached a final state.
    pub fn is_done(&self) -> bool {
        !matches!(
            self.state,
            BatchState::BatchStatePending | BatchState::BatchStateRunning
        )
    }

    /// Applies what time alone changes: a job pending or running for 48 hours expires (its
    /// results are dropped: "no results to retrieve"). Whether it changed.
    pub fn settle(&mut self, now: SystemTime) -> bool {
        if !self.is_done() && now >= self.created + EXPIRY {
            self.end(BatchState::BatchStateExpired, now);
            self.inlined = Vec::new();
            return true;
        }
        false
    }

    /// Moves to a final state at `now`.
    pub fn end(&mut self, state: BatchState, now: SystemTime) {
        self.state = state;
        self.ended = Some(now);
        self.updated = now;
    }

    /// The counts, int64 as strings and a zero count left out, as Google writes them.
    fn stats(&self) -> BatchStats {
        let count = |n: u64| (n > 0).then(|| n.to_string());
        let pending = self.total.saturating_sub(self.succeeded + self.failed);
        BatchStats {
            request_count: count(self.total),
            successful_request_count: count(self.succeeded),
            failed_request_count: count(self.failed),
            pending_request_count: count(pending),
        }
    }

    /// The output, once a SUCCEEDED batch shows it; inline results only when `inline`.
    fn output(&self, now: SystemTime, inline: bool) -> Option<GenerateContentBatchOutput> {
        if self.state != BatchState::BatchStateSucceeded || self.output_at.is_none_or(|at| now < at)
        {
            return None;
        }
        let inlined_responses = (self.input_file.is_none() && inline).then(|| InlinedResponses {
            inlined_responses: self.inlined.clone(),
        });
        Some(GenerateContentBatchOutput {
            type_: None,
            responses_file: self.responses_file.clone(),
            inlined_responses,
        })
    }

    /// The job as the Operation Google shows: `done` absent until it is done, `response`
    /// repeating the output, `error` for a failed batch. `inline` leaves inline results out
    /// (a list's pages carry none).
    pub fn operation(&self, now: SystemTime, inline: bool) -> BatchOperation {
        let name = format!("batches/{}", self.id);
        let output = self.output(now, inline);
        let response = output.clone().map(|output| GenerateContentBatchOutput {
            type_: Some(OUTPUT_TYPE.to_string()),
            ..output
        });
        // Decision (unconfirmed): the inline requests are not echoed in `inputConfig` — 20 MB
        // on every poll — only a file input's name is, as in Google's captured answers.
        let input_config = self.input_file.as_ref().map(|file| BatchInputConfig {
            file_name: Some(file.clone()),
            requests: None,
        });
        BatchOperation {
            name: Some(name.clone()),
            metadata: Some(GenerateContentBatch {
                type_: Some(BATCH_TYPE.to_string()),
                model: Some(self.model.clone()),
                display_name: self.display_name.clone(),
                input_config,
                output,
                create_time: Some(rfc3339(self.created, 9)),
                end_time: self.ended.map(|at| rfc3339(at, 9)),
                update_time: Some(rfc3339(self.updated, 9)),
                batch_stats: Some(self.stats()),
                state: Some(self.state.into()),
                name: Some(name),
                priority: None,
            }),
            done: self.is_done().then_some(true),
            response,
            error: self.error.clone(),
        }
    }
}

/// The metadata a line's result echoes (its `key`).
pub fn key_metadata(key: Option<&str>) -> HashMap<String, String> {
    key.map(|key| HashMap::from([("key".to_string(), key.to_string())]))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_lines_fails_evenly() {
        let quarter = JobScenarios {
            line_error_percent: 25,
            ..JobScenarios::default()
        };
        let failing: Vec<u64> = (0..8).filter(|i| quarter.line_fails(*i)).collect();
        assert_eq!(failing, [3, 7]);
        let all = JobScenarios {
            line_error_percent: 100,
            ..JobScenarios::default()
        };
        assert!((0..10).all(|i| all.line_fails(i)));
        assert!(!(0..10).any(|i| JobScenarios::default().line_fails(i)));
    }
}
