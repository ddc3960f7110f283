//! The batch jobs: in memory, every job's bytes (its inline requests while it runs, its inline
//! results) counted against `Config::batches_bytes`, at most Google's 100 unfinished batches,
//! and with `--data-dir` each job's record (and an unfinished inline job's requests) on disk
//! (`disk.rs`), reloaded at start, the unfinished jobs handed to the engine to go on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;
use gemini_image_types::types::{
    BatchState, GenerateContentResponse, InlinedRequest, InlinedResponse,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::disk::BatchDir;
use super::job::Job;
use crate::error::ApiError;
use crate::files::disk::DataDir;

/// The default budget of [`Config::batches_bytes`](crate::Config::batches_bytes): 1 GiB.
pub const DEFAULT_STORE_BYTES: usize = 1 << 30;
/// Google's limit on batches not finished at once (the rate-limits page).
pub const MAX_UNFINISHED: usize = 100;
/// What a job costs besides its requests and results (its record, its name, its counts).
pub const JOB_OVERHEAD: usize = 1024;

/// Where a batch's engine should go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// When the job started running (the origin of its pace), on the mock's clock.
    pub started: SystemTime,
    /// Lines released by the admin API.
    pub released: u64,
}

struct Inner {
    jobs: HashMap<String, Job>,
    bytes: usize,
    limit: usize,
    next_sequence: u64,
}

/// The store.
pub struct BatchStore {
    inner: Mutex<Inner>,
    disk: Option<BatchDir>,
    /// The jobs an earlier run left unfinished, until the engine takes them.
    unfinished: Mutex<Vec<String>>,
    workers: Arc<Semaphore>,
    workers_count: usize,
    /// The engines running, stopped with the server (`BatchStore::stop`).
    engines: Mutex<JoinSet<()>>,
}

impl BatchStore {
    /// A store of `limit` bytes whose lines run on `workers` workers at once; with `disk`, the
    /// jobs an earlier run kept. A job that had not finished is ready to go on
    /// ([`BatchStore::take_unfinished`]): Google's batches do not fail because a server
    /// restarted.
    ///
    /// Decision: it goes on from its first line without a result. An inline job's results are
    /// logged a line at a time (`disk.rs`; a record rewritten per line would cost the square
    /// of a batch's results), so it keeps its whole results and counts and goes on after
    /// them. A file job's results file being written is an upload under way, lost with the
    /// process: it starts its file over from line 0, its counts back to zero (read
    /// consistently from there, as a client polling a batch whose lines are re-run would see
    /// them). Lines released by the admin API stay released, and its pace keeps its origin
    /// (clamped to `now`: a clock moved forward before the restart is not moved again), so
    /// lines already due run at once.
    pub fn new(limit: usize, workers: usize, disk: Option<&DataDir>, now: SystemTime) -> Self {
        let disk = disk.and_then(|data| {
            BatchDir::open(data)
                .inspect_err(|error| tracing::error!(%error, "cannot keep batches on disk"))
                .ok()
        });
        let mut inner = Inner {
            jobs: HashMap::new(),
            bytes: 0,
            limit,
            next_sequence: 0,
        };
        let mut unfinished = Vec::new();
        for mut job in disk.as_ref().map(|d| d.load(limit)).unwrap_or_default() {
            if !job.is_done() {
                let kept = match (&disk, &job.input_file) {
                    (Some(disk), None) => disk.load_results(&job.id, limit),
                    _ => Vec::new(),
                };
                resume_after(&mut job, kept);
                job.started = job.started.map(|started| started.min(now));
                unfinished.push(job.id.clone());
            }
            inner.next_sequence = inner.next_sequence.max(job.sequence + 1);
            inner.bytes = inner.bytes.saturating_add(job.bytes);
            inner.jobs.insert(job.id.clone(), job);
        }
        Self {
            inner: Mutex::new(inner),
            disk,
            unfinished: Mutex::new(unfinished),
            workers: Arc::new(Semaphore::new(workers.max(1))),
            workers_count: workers.max(1),
            engines: Mutex::new(JoinSet::new()),
        }
    }

    /// The jobs an earlier run left unfinished, once (the engine starts them again).
    pub fn take_unfinished(&self) -> Vec<Job> {
        let ids = self
            .unfinished
            .lock()
            .map(|mut ids| std::mem::take(&mut *ids))
            .unwrap_or_default();
        let Ok(inner) = self.lock() else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| inner.jobs.get(id).cloned())
            .collect()
    }

    /// The inline requests kept for job `id` in the data directory.
    ///
    /// # Errors
    ///
    /// Why they cannot be had: no data directory, or they are missing or not valid.
    pub fn kept_requests(&self, id: &str) -> Result<Vec<InlinedRequest>, String> {
        match &self.disk {
            Some(disk) => disk.load_requests(id),
            None => Err("no data directory".to_string()),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, ApiError> {
        self.inner.lock().map_err(|_| ApiError::internal())
    }

    /// The workers every batch's lines share: a line takes one while the model renders it.
    pub fn workers(&self) -> Arc<Semaphore> {
        self.workers.clone()
    }

    /// Runs a job's engine until it ends or the server stops.
    pub fn run(&self, engine: impl Future<Output = ()> + Send + 'static) {
        if let Ok(mut engines) = self.engines.lock() {
            // The engines that have ended are let go of as new ones start.
            while engines.try_join_next().is_some() {}
            engines.spawn(engine);
        }
    }

    /// Stops every engine and waits until they have let go of the server's state (a line
    /// being rendered finishes first: its worker holds the state while it renders).
    pub async fn stop(&self) {
        let engines = self.engines.lock().map(|mut e| std::mem::take(&mut *e));
        if let Ok(mut engines) = engines {
            engines.shutdown().await;
        }
        // A permit is held by every line being rendered: all of them back means none is.
        let workers = u32::try_from(self.workers_count).unwrap_or(u32::MAX);
        let _ = self.workers.acquire_many(workers).await;
    }

    /// The bytes the jobs hold, and the budget.
    pub fn usage(&self) -> (usize, usize) {
        self.lock().map(|i| (i.bytes, i.limit)).unwrap_or_default()
    }

    /// Keeps a new job (its `bytes` already counted by the caller), with its inline `requests`
    /// on disk so that it goes on after a restart; its sequence is set here.
    ///
    /// # Errors
    ///
    /// 429 when the budget or the 100 unfinished batches would be passed.
    pub fn insert(
        &self,
        mut job: Job,
        requests: Option<&[InlinedRequest]>,
        now: SystemTime,
    ) -> Result<Job, ApiError> {
        let mut inner = self.lock()?;
        settle_all(&mut inner, now, self.disk.as_ref());
        let unfinished = inner.jobs.values().filter(|j| !j.is_done()).count();
        if unfinished >= MAX_UNFINISHED {
            return Err(ApiError::batch_storage_full(&format!(
                "at most {MAX_UNFINISHED} batches run at once"
            )));
        }
        if inner.bytes.saturating_add(job.bytes) > inner.limit {
            return Err(ApiError::batch_storage_full(&format!(
                "the mock keeps {} bytes of batches (--batches-mb)",
                inner.limit
            )));
        }
        job.sequence = inner.next_sequence;
        inner.next_sequence += 1;
        inner.bytes += job.bytes;
        inner.jobs.insert(job.id.clone(), job.clone());
        drop(inner);
        if let Some(disk) = &self.disk {
            // The requests before the record: a record names requests that are whole.
            if let Some(requests) = requests {
                disk.keep_requests(&job.id, requests);
            }
            disk.save(&job);
        }
        Ok(job)
    }

    /// A job as it is at `now`.
    pub fn get(&self, id: &str, now: SystemTime) -> Option<Job> {
        let mut inner = self.lock().ok()?;
        let job = inner.jobs.get_mut(id)?;
        if job.settle(now) {
            self.save(job);
        }
        Some(job.clone())
    }

    /// Every job, newest first, without their inline results (a list shows none).
    pub fn list(&self, now: SystemTime) -> Vec<Job> {
        let Ok(mut inner) = self.lock() else {
            return Vec::new();
        };
        settle_all(&mut inner, now, self.disk.as_ref());
        let mut jobs: Vec<Job> = inner
            .jobs
            .values()
            .map(|job| Job {
                inlined: Vec::new(),
                ..job.clone()
            })
            .collect();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.sequence));
        jobs
    }

    /// Cancels a job at once: its pending lines are never run, its results dropped.
    ///
    /// # Errors
    ///
    /// 404 for an unknown job, 400 for one that has finished (a cancelled one is cancelled
    /// again without complaint).
    pub fn cancel(&self, id: &str, now: SystemTime) -> Result<(), ApiError> {
        let mut inner = self.lock()?;
        let job = inner
            .jobs
            .get_mut(id)
            .ok_or_else(ApiError::batch_not_found)?;
        job.settle(now);
        match job.state {
            BatchState::BatchStateCancelled => return Ok(()),
            BatchState::BatchStatePending | BatchState::BatchStateRunning => {}
            state => {
                return Err(ApiError::batch_finished(
                    &format!("batches/{id}"),
                    &gemini_image_types::OpenEnum::from(state).to_string(),
                ));
            }
        }
        job.end(BatchState::BatchStateCancelled, now);
        let freed = std::mem::take(&mut job.inlined);
        let returned = refund(job, &freed);
        let job = job.clone();
        inner.bytes = inner.bytes.saturating_sub(returned);
        drop(inner);
        self.save(&job);
        Ok(())
    }

    /// Forgets a job (a running one stops); whether it existed.
    pub fn delete(&self, id: &str) -> bool {
        let Ok(mut inner) = self.lock() else {
            return false;
        };
        let Some(job) = inner.jobs.remove(id) else {
            return false;
        };
        inner.bytes = inner.bytes.saturating_sub(job.bytes);
        if let Some(disk) = &self.disk {
            disk.remove(id);
        }
        true
    }

    /// Releases `lines` more lines of a job whatever its pace (all of them with `None`);
    /// whether the job exists.
    pub fn advance(&self, id: &str, lines: Option<u64>) -> bool {
        let Ok(mut inner) = self.lock() else {
            return false;
        };
        let Some(job) = inner.jobs.get_mut(id) else {
            return false;
        };
        job.released = match lines {
            Some(lines) => job.released.saturating_add(lines),
            None => u64::MAX,
        };
        // Saved: released lines stay released after a restart.
        let job = job.clone();
        drop(inner);
        self.save(&job);
        true
    }

    /// Forgets every job (their engines stop at their next line).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.lock() {
            if let Some(disk) = &self.disk {
                for id in inner.jobs.keys() {
                    disk.remove(id);
                }
            }
            inner.jobs.clear();
            inner.bytes = 0;
        }
    }

    /// For the engine: where a job not finished is (`None` once it is finished or gone: the
    /// engine stops). The first call moves it from PENDING to RUNNING.
    pub fn progress(&self, id: &str, now: SystemTime) -> Option<Progress> {
        let mut inner = self.lock().ok()?;
        let job = inner.jobs.get_mut(id)?;
        if job.settle(now) {
            self.save(job);
        }
        if job.is_done() {
            return None;
        }
        if job.state == BatchState::BatchStatePending {
            job.state = BatchState::BatchStateRunning;
            job.updated = now;
            job.started = Some(now);
        }
        Some(Progress {
            started: job.started.unwrap_or(now),
            released: job.released,
        })
    }

    /// For the engine: a line's outcome, counted; for inline input its result kept, against
    /// the budget (a result that does not fit is kept as that line's error). Whether the job
    /// goes on.
    pub fn record(
        &self,
        id: &str,
        now: SystemTime,
        ok: bool,
        inlined: Option<InlinedResponse>,
        logged: Bytes,
    ) -> bool {
        let Ok(mut inner) = self.lock() else {
            return false;
        };
        let room = inner.limit.saturating_sub(inner.bytes);
        let Some(job) = inner.jobs.get_mut(id).filter(|job| !job.is_done()) else {
            return false;
        };
        let mut ok = ok;
        let mut charged = 0;
        let mut logged = logged;
        if let Some(mut result) = inlined {
            let size = result_bytes(&result);
            if size > room {
                ok = false;
                result.response = None;
                result.error = Some(
                    ApiError::batch_storage_full(&format!(
                        "a result of {size} bytes does not fit in the mock's batch budget \
                         (--batches-mb)"
                    ))
                    .to_status(),
                );
                if !logged.is_empty() {
                    logged = log_line(&result);
                }
            } else {
                charged = size;
            }
            job.inlined.push(result);
        }
        if ok {
            job.succeeded += 1;
        } else {
            job.failed += 1;
        }
        job.updated = now;
        job.bytes += charged;
        inner.bytes += charged;
        drop(inner);
        if let Some(disk) = &self.disk {
            disk.append_result(id, &logged);
        }
        true
    }

    /// Whether inline results are logged on disk as they come (`--data-dir`): the engine
    /// then encodes each as its log line ([`log_line`]).
    pub fn logs_results(&self) -> bool {
        self.disk.is_some()
    }

    /// For the engine: ends a job with `change` (state, output, error) and gives back the
    /// bytes its requests held; the job is saved. Nothing happens to a job finished or gone
    /// meanwhile (cancelled, expired, deleted).
    pub fn finish(&self, id: &str, now: SystemTime, change: impl FnOnce(&mut Job)) {
        let Ok(mut inner) = self.lock() else {
            return;
        };
        let Some(job) = inner.jobs.get_mut(id) else {
            return;
        };
        let request_bytes = std::mem::take(&mut job.request_bytes);
        job.bytes = job.bytes.saturating_sub(request_bytes);
        let done_before = job.is_done();
        if !done_before {
            change(job);
            job.updated = now;
        }
        let job = job.clone();
        inner.bytes = inner.bytes.saturating_sub(request_bytes);
        drop(inner);
        if !done_before {
            self.save(&job);
        }
    }

    fn save(&self, job: &Job) {
        if let Some(disk) = &self.disk {
            disk.save(job);
        }
    }
}

/// Applies expiry to every job.
fn settle_all(inner: &mut Inner, now: SystemTime, disk: Option<&BatchDir>) {
    for job in inner.jobs.values_mut() {
        if job.settle(now)
            && let Some(disk) = disk
        {
            disk.save(job);
        }
    }
}

/// Gives back the bytes of dropped results; what was given back.
fn refund(job: &mut Job, dropped: &[InlinedResponse]) -> usize {
    let bytes: usize = dropped
        .iter()
        .map(result_bytes)
        .sum::<usize>()
        .min(job.bytes);
    job.bytes -= bytes;
    bytes
}

/// An unfinished job as it goes on after a restart: with the inline results `kept` (whole,
/// in order; none for file input, whose results file starts over), its counts and bytes
/// read from them.
fn resume_after(job: &mut Job, kept: Vec<InlinedResponse>) {
    let total = usize::try_from(job.total).unwrap_or(usize::MAX);
    let mut kept = kept;
    kept.truncate(total);
    let failed = kept.iter().filter(|r| r.response.is_none()).count();
    job.failed = u64::try_from(failed).unwrap_or(u64::MAX);
    job.succeeded = u64::try_from(kept.len() - failed).unwrap_or(u64::MAX);
    job.bytes = JOB_OVERHEAD + job.request_bytes + kept.iter().map(result_bytes).sum::<usize>();
    job.inlined = kept;
}

/// What an inline result costs in the budget.
fn result_bytes(result: &InlinedResponse) -> usize {
    result.response.as_ref().map_or(0, response_bytes) + 64
}

/// An inline result as a line of its job's results log, `\n` included.
pub fn log_line(result: &InlinedResponse) -> Bytes {
    let mut line = serde_json::to_vec(result).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// What a response costs in memory, near enough: its media and text bytes and an overhead per
/// part (not a serialization of megabytes of images).
pub fn response_bytes(response: &GenerateContentResponse) -> usize {
    let parts = response
        .candidates
        .iter()
        .filter_map(|c| c.content.as_ref())
        .flat_map(|content| content.parts.iter());
    512 + parts
        .map(|part| {
            128 + part.text.as_ref().map_or(0, String::len)
                + part
                    .inline_data
                    .as_ref()
                    .and_then(|blob| blob.data.as_ref())
                    .map_or(0, |data| data.len())
                + part.thought_signature.as_ref().map_or(0, |s| s.len())
        })
        .sum::<usize>()
}
