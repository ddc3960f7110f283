//! [`BatchExt`]: a batch's Operation read as a program wants it — its state in either spelling,
//! its counts as numbers, its failure as an [`ApiError`], where its results are.
//!
//! The wire wraps the batch in a `google.longrunning.Operation`: the batch is `metadata`, its
//! output is in `metadata.output` and again in `response` when done, and a failed batch's reason
//! is the Operation's top-level `error` — which Google's SDKs never read. All of it is read here.

use crate::batch_state::{BatchCounts, JobState};
use crate::error::ApiError;
use crate::types::{BatchOperation, GenerateContentBatchOutput, InlinedResponse};

/// Conveniences on a batch's Operation ([`Batches::get`](crate::Batches::get) and the others
/// return it as the wire has it).
///
/// ```
/// use gemini_image::{BatchExt, JobState};
/// use gemini_image::types::BatchOperation;
///
/// let failed: BatchOperation = serde_json::from_str(r#"{
///   "name": "batches/abc",
///   "metadata": {"state": "BATCH_STATE_FAILED", "batchStats": {"requestCount": "2", "failedRequestCount": "2"}},
///   "done": true,
///   "error": {"code": 3, "message": "The input file is not valid JSONL."}
/// }"#)?;
/// assert_eq!(failed.state(), JobState::Failed);
/// assert!(failed.is_finished());
/// assert_eq!(failed.stats().failed, 2);
/// let error = failed.failure().unwrap();
/// assert_eq!((error.http_status, error.message.as_str()), (400, "The input file is not valid JSONL."));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait BatchExt {
    /// `batches/{id}` (the Operation's name, else its batch's).
    fn batch_name(&self) -> Option<&str>;
    /// Where the batch is (`BATCH_STATE_*` or `JOB_STATE_*` on the wire; none given:
    /// [`JobState::Unspecified`]).
    fn state(&self) -> JobState;
    /// Its counts of requests (all zero when the server gave none).
    fn stats(&self) -> BatchCounts;
    /// Why it failed: the Operation's `error`, as an [`ApiError`] whose `http_status` is the
    /// status its gRPC code stands for.
    fn failure(&self) -> Option<ApiError>;
    /// Whether it has stopped: a terminal state, or `done`.
    fn is_finished(&self) -> bool;
    /// Its output (`metadata.output`, else the Operation's `response`), once there is one.
    fn output(&self) -> Option<&GenerateContentBatchOutput>;
    /// The results file (`files/batch-{id}`), for a batch whose input was a file — possibly
    /// set a moment after the state reads `SUCCEEDED`.
    fn responses_file(&self) -> Option<&str>;
    /// The results inline, for a batch whose input was inline (one per request, in order).
    fn inlined_responses(&self) -> Option<&[InlinedResponse]>;
}

impl BatchExt for BatchOperation {
    fn batch_name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| self.metadata.as_ref()?.name.as_deref())
    }

    fn state(&self) -> JobState {
        self.metadata
            .as_ref()
            .and_then(|m| m.state.as_ref())
            .map(JobState::from)
            .unwrap_or_default()
    }

    fn stats(&self) -> BatchCounts {
        self.metadata
            .as_ref()
            .and_then(|m| m.batch_stats.as_ref())
            .map(BatchCounts::from)
            .unwrap_or_default()
    }

    fn failure(&self) -> Option<ApiError> {
        self.error.clone().map(ApiError::from_rpc_status)
    }

    fn is_finished(&self) -> bool {
        self.done == Some(true) || self.state().is_terminal()
    }

    fn output(&self) -> Option<&GenerateContentBatchOutput> {
        let has_results = |o: &&GenerateContentBatchOutput| {
            o.responses_file.is_some() || o.inlined_responses.is_some()
        };
        self.metadata
            .as_ref()
            .and_then(|m| m.output.as_ref())
            .filter(has_results)
            .or_else(|| self.response.as_ref().filter(has_results))
    }

    fn responses_file(&self) -> Option<&str> {
        self.output()?
            .responses_file
            .as_deref()
            .filter(|f| !f.is_empty())
    }

    fn inlined_responses(&self) -> Option<&[InlinedResponse]> {
        self.output()?
            .inlined_responses
            .as_ref()
            .map(|r| r.inlined_responses.as_slice())
    }
}

/// Whether the batch's results can be read now: it has stopped, and unless it ended without
/// results (failed, cancelled, expired) its output is named. A batch that reads `SUCCEEDED`
/// before its results file is set (Google does that) is not ready yet.
pub(crate) fn results_ready(batch: &BatchOperation) -> bool {
    batch.is_finished() && (batch.state() != JobState::Succeeded || batch.output().is_some())
}
