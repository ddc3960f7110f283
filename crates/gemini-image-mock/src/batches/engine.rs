//! The job engine: one task per batch takes its lines in order, as its pace allows, and
//! hands each to the worker pool every batch shares (`Config::batch_workers` permits); a
//! worker renders the line on a blocking thread through the model path of
//! `generateContent` (`answer`). Results come back in input order — at most two lines per
//! worker are in flight, so the order costs no unbounded buffer — and are counted as they
//! finish: inline results into the job, file results streamed into the results file
//! `files/batch-{id}` of the Files API. A job cancelled, expired or deleted stops at once: its
//! pending lines are never run and the results of lines in flight are dropped.

use std::time::{Duration, SystemTime};

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use gemini_image_types::types::{BatchResultLine, BatchState, InlinedResponse};

use super::answer::{Answered, answer};
use super::ids::results_file_id;
use super::job::{Job, JobScenarios};
use super::lines::Lines;
use super::pace::BatchPace;
use super::store::{self, Progress};
use crate::error::ApiError;
use crate::files::chunk::ChunkWriter;
use crate::files::store::{Appended, ChunkError, NewUpload, Source};
use crate::model::catalogue::{self, Model};
use crate::state::SharedState;
use crate::wire;

/// How often a job waiting for its pace (or the admin API) looks again.
const TICK: Duration = Duration::from_millis(20);
/// Results are written into the results file a piece of this size at a time.
const WRITE_PIECE: usize = 1024 * 1024;
/// Decision (unconfirmed): the results file's MIME type.
const RESULTS_MIME_TYPE: &str = "application/jsonl";

/// A batch to run.
pub struct Run {
    /// The job's id.
    pub id: String,
    /// The model every line is answered by.
    pub model: &'static Model,
    /// The requests.
    pub lines: Lines,
    /// The first line without a result (0 but for a job that goes on after a restart).
    pub first: usize,
    /// The batch-level scenarios.
    pub scenarios: JobScenarios,
    /// Whether the results go to a results file (file input) rather than inline.
    pub to_file: bool,
}

/// Starts running `run` in the background.
pub fn spawn(state: &SharedState, run: Run) {
    state.batches.run(run.go(state.clone()));
}

/// Starts again, from their first line without a result, the jobs an earlier run left
/// unfinished (`--data-dir`; see `BatchStore::new`). One whose requests cannot be had again —
/// its kept requests missing or not valid, its input file deleted — is FAILED with the reason:
/// the only batches a restart fails are those it cannot run.
pub fn resume(state: &SharedState) {
    for job in state.batches.take_unfinished() {
        match Run::again(state, &job) {
            Ok(run) => spawn(state, run),
            Err(why) => {
                tracing::warn!(batch = job.id, why, "an unfinished batch cannot go on");
                let now = state.clock.now();
                state.batches.finish(&job.id, now, |job| {
                    job.end(BatchState::BatchStateFailed, now);
                    job.error = Some(ApiError::batch_not_resumed(&why).to_status());
                });
            }
        }
    }
}

/// A line's result, encoded by its worker.
struct Done {
    ok: bool,
    /// Inline input: the result.
    inlined: Option<InlinedResponse>,
    /// File input: the results line; inline input with `--data-dir`: its results-log line
    /// (`store::log_line`). `\n` included.
    line: Bytes,
}

impl Run {
    /// `job` to run again after a restart; why not when its requests cannot be had.
    fn again(state: &SharedState, job: &Job) -> Result<Self, String> {
        let model = job
            .model
            .strip_prefix("models/")
            .and_then(catalogue::find)
            .ok_or_else(|| format!("its model {} is not served", job.model))?;
        let lines = match &job.input_file {
            Some(file) => Lines::of_input_file(state, file).map_err(|error| {
                format!("its input file {file} cannot be read ({})", error.message)
            })?,
            None => Lines::Inline(state.batches.kept_requests(&job.id)?),
        };
        let first = job.inlined.len();
        if u64::try_from(lines.len()).ok() != Some(job.total) {
            return Err(format!(
                "{} requests were found instead of its {}",
                lines.len(),
                job.total
            ));
        }
        Ok(Self {
            id: job.id.clone(),
            model,
            lines,
            first,
            scenarios: job.scenarios,
            to_file: job.input_file.is_some(),
        })
    }

    async fn go(mut self, state: SharedState) {
        let id = self.id.clone();
        let ended = self.run(&state).await;
        let now = state.clock.now();
        let late = self.scenarios.output_late.unwrap_or_default();
        state.batches.finish(&id, now, |job| match ended {
            Ok(Some(responses_file)) => {
                job.end(BatchState::BatchStateSucceeded, now);
                job.responses_file = responses_file;
                job.output_at = Some(now + late);
            }
            Ok(None) => {}
            Err(error) => {
                job.end(BatchState::BatchStateFailed, now);
                job.inlined = Vec::new();
                job.error = Some(error.to_status());
            }
        });
    }

    /// Runs the lines: `Ok(Some(file))` when they all ran (with the results file of file
    /// input), `Ok(None)` when the job stopped (cancelled, expired, deleted), `Err` when the
    /// batch failed as a whole.
    async fn run(&mut self, state: &SharedState) -> Result<Option<Option<String>>, ApiError> {
        let Some(mut progress) = state.batches.progress(&self.id, state.clock.now()) else {
            return Ok(None);
        };
        if self.scenarios.fail {
            return Err(ApiError::batch_failed());
        }
        let mut file = match self.to_file {
            true => Some(ResultsFile::start(state, &self.id)?),
            false => None,
        };
        let total = self.lines.len();
        let window = state.config.batch_workers.max(1) * 2;
        let mut next = self.first;
        let mut in_flight = FuturesOrdered::new();
        loop {
            let now = state.clock.now();
            while next < total
                && in_flight.len() < window
                && due(state.config.batch_pace, &progress, next, now)
            {
                in_flight.push_back(self.line(state, next));
                next += 1;
            }
            let waiting = next < total && in_flight.len() < window;
            let done = match (in_flight.is_empty(), waiting) {
                (true, false) => break,
                (true, true) => {
                    tokio::time::sleep(TICK).await;
                    None
                }
                (false, true) => tokio::select! {
                    done = in_flight.next() => done,
                    () = tokio::time::sleep(TICK) => None,
                },
                (false, false) => in_flight.next().await,
            };
            if let Some(done) = done {
                let (logged, to_file) = match file {
                    Some(_) => (Bytes::new(), done.line),
                    None => (done.line, Bytes::new()),
                };
                if !state
                    .batches
                    .record(&self.id, state.clock.now(), done.ok, done.inlined, logged)
                {
                    return Ok(abandon(state, file));
                }
                if let Some(file) = file.as_mut() {
                    file.push(to_file).await?;
                }
            }
            match state.batches.progress(&self.id, state.clock.now()) {
                Some(now) => progress = now,
                None => return Ok(abandon(state, file)),
            }
        }
        match file {
            Some(file) => Ok(Some(Some(file.finish(state).await?))),
            None => Ok(Some(None)),
        }
    }

    /// Line `index` on a worker: waits for a permit, then answers and encodes it on a
    /// blocking thread.
    fn line(&mut self, state: &SharedState, index: usize) -> impl Future<Output = Done> + use<> {
        let work = self.lines.take(index);
        let fails = self
            .scenarios
            .line_fails(u64::try_from(index).unwrap_or(u64::MAX));
        let workers = state.batches.workers();
        let logged = state.batches.logs_results();
        // Weak: a render left running when the server stops does not keep its state alive.
        let state = Arc::downgrade(state);
        let model = self.model;
        let to_file = self.to_file;
        async move {
            let permit = workers.acquire_owned().await;
            let done = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let state = state.upgrade()?;
                Some(encode(answer(&state, model, work, fails), to_file, logged))
            })
            .await
            .ok()
            .flatten();
            done.unwrap_or_else(|| {
                encode(
                    Answered {
                        metadata: Default::default(),
                        outcome: Err(ApiError::internal()),
                    },
                    to_file,
                    logged,
                )
            })
        }
    }
}

/// Whether line `index` may start at `now`.
fn due(pace: BatchPace, progress: &Progress, index: usize, now: SystemTime) -> bool {
    let index = u64::try_from(index).unwrap_or(u64::MAX);
    if index < progress.released {
        return true;
    }
    match pace {
        BatchPace::Immediate => true,
        BatchPace::Manual => false,
        BatchPace::PerLine(delay) => {
            let lines = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
            now >= progress.started + delay.saturating_mul(lines)
        }
    }
}

/// A line's result as it is kept: inline (and its results-log line when `logged`), or a
/// compact results line with `response` (or `error`) before `key`, as Google writes them.
fn encode(answered: Answered, to_file: bool, logged: bool) -> Done {
    let ok = answered.outcome.is_ok();
    let key = answered.key().map(str::to_string);
    let (response, error) = match answered.outcome {
        Ok(response) => (Some(response), None),
        Err(error) => (None, Some(error.to_status())),
    };
    if !to_file {
        let inlined = InlinedResponse {
            response,
            error,
            metadata: answered.metadata,
        };
        let line = match logged {
            true => store::log_line(&inlined),
            false => Bytes::new(),
        };
        return Done {
            ok,
            inlined: Some(inlined),
            line,
        };
    }
    let line = BatchResultLine {
        response,
        error,
        key,
    };
    let mut text =
        serde_json::to_vec(&wire::in_wire_order("BatchResultLine", &line)).unwrap_or_default();
    text.push(b'\n');
    Done {
        ok,
        inlined: None,
        line: Bytes::from(text),
    }
}

/// Drops the results file of a job that stopped.
fn abandon(state: &SharedState, file: Option<ResultsFile>) -> Option<Option<String>> {
    if let Some(file) = file {
        state.files.cancel(&file.upload_id);
    }
    None
}

/// The results file being written: an upload of a generated file, one chunk fed a piece at
/// a time (on disk with `--data-dir`).
struct ResultsFile {
    upload_id: String,
    writer: ChunkWriter,
    buffer: BytesMut,
}

impl ResultsFile {
    fn start(state: &SharedState, batch_id: &str) -> Result<Self, ApiError> {
        let upload = NewUpload {
            file_id: Some(results_file_id(batch_id)),
            mime_type: RESULTS_MIME_TYPE.to_string(),
            source: Source::Generated,
            ..NewUpload::default()
        };
        let upload_id = state.files.start(upload, state.clock.now())?;
        let writer = state
            .files
            .begin_chunk(&upload_id, 0)
            .map_err(ChunkError::into_api_error)?;
        Ok(Self {
            upload_id,
            writer,
            buffer: BytesMut::new(),
        })
    }

    async fn push(&mut self, line: Bytes) -> Result<(), ApiError> {
        self.buffer.extend_from_slice(&line);
        if self.buffer.len() >= WRITE_PIECE {
            let piece = self.buffer.split().freeze();
            self.writer
                .push(piece)
                .await
                .map_err(ChunkError::into_api_error)?;
        }
        Ok(())
    }

    /// The whole file, as `files/batch-{id}`.
    async fn finish(mut self, state: &SharedState) -> Result<String, ApiError> {
        if !self.buffer.is_empty() {
            let piece = self.buffer.split().freeze();
            self.writer
                .push(piece)
                .await
                .map_err(ChunkError::into_api_error)?;
        }
        match self.writer.finish(true, state.clock.now()).await {
            Ok(Appended::Final(file)) => Ok(format!("files/{}", file.id)),
            Ok(Appended::Active) => Err(ApiError::internal()),
            Err(error) => {
                state.files.cancel(&self.upload_id);
                Err(error.into_api_error())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fall_due_as_the_pace_says() {
        let start = SystemTime::UNIX_EPOCH;
        let progress = Progress {
            started: start,
            released: 1,
        };
        let second = Duration::from_secs(1);
        assert!(due(BatchPace::Manual, &progress, 0, start));
        assert!(!due(BatchPace::Manual, &progress, 1, start + second * 100));
        assert!(due(BatchPace::Immediate, &progress, 99, start));
        let pace = BatchPace::PerLine(second);
        assert!(!due(pace, &progress, 1, start + second));
        assert!(due(pace, &progress, 1, start + second * 2));
    }
}
