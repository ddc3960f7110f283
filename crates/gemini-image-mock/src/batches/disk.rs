//! `--data-dir`: a JSON record per batch in `batches/{id}.json`, and while an inline batch
//! has not finished its requests in `batches/{id}.requests.json` (so that it goes on after a
//! restart), both written through a temporary name and a rename, so a file is whole or absent,
//! and its results so far in `batches/{id}.results.jsonl`, a line appended as each is answered
//! (a line cut by a crash is dropped at load); reloaded at start. A file batch's input and results files are ordinary files of the Files
//! API's directory.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use gemini_image_types::types::{InlinedRequest, InlinedResponse};

use super::ids::is_batch_id;
use super::job::Job;
use crate::body::MAX_BODY_BYTES;
use crate::files::disk::DataDir;

/// The largest file of kept requests: they came in one create body of at most
/// [`MAX_BODY_BYTES`] (Google's 20 MB inline limit); written again by serde they may grow a
/// little (camelCase names, escapes), never twice over.
pub const MAX_KEPT_REQUESTS_BYTES: usize = 2 * MAX_BODY_BYTES;

/// The batches' directory inside a data directory.
pub struct BatchDir {
    root: PathBuf,
}

impl BatchDir {
    /// `batches/` in `data`, created if needed.
    pub fn open(data: &DataDir) -> io::Result<Self> {
        let root = data.path().join("batches");
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// Writes `job`'s record (an error is logged: the job goes on in memory).
    pub fn save(&self, job: &Job) {
        if !is_batch_id(&job.id) {
            return;
        }
        let written = serde_json::to_vec(job)
            .map_err(io::Error::other)
            .and_then(|text| write_whole(&self.root.join(format!("{}.json", job.id)), &text));
        if let Err(error) = written {
            tracing::error!(%error, batch = job.id, "cannot save a batch in the data directory");
        }
        if job.is_done() {
            // A finished job never runs again: its requests and results log are let go of
            // (its results, if any, are in its record).
            self.remove_kept(&job.id);
        }
    }

    /// Keeps the inline requests of job `id` until it ends (an error is logged: the job goes
    /// on in memory, and after a restart it is FAILED, its requests missing).
    pub fn keep_requests(&self, id: &str, requests: &[InlinedRequest]) {
        if !is_batch_id(id) {
            return;
        }
        let written = serde_json::to_vec(requests)
            .map_err(io::Error::other)
            .and_then(|text| {
                if text.len() > MAX_KEPT_REQUESTS_BYTES {
                    return Err(io::Error::other(format!(
                        "{} bytes of requests, past {MAX_KEPT_REQUESTS_BYTES}",
                        text.len()
                    )));
                }
                write_whole(&self.requests_path(id), &text)
            });
        if let Err(error) = written {
            tracing::error!(%error, batch = id, "cannot keep a batch's requests in the data directory");
        }
    }

    /// The inline requests kept for job `id`; why not when they are missing, too large or not
    /// requests.
    pub fn load_requests(&self, id: &str) -> Result<Vec<InlinedRequest>, String> {
        if !is_batch_id(id) {
            return Err("not a batch id".to_string());
        }
        let text = read_bounded(&self.requests_path(id), MAX_KEPT_REQUESTS_BYTES)
            .map_err(|error| format!("its kept requests cannot be read ({error})"))?;
        serde_json::from_slice(&text)
            .map_err(|error| format!("its kept requests are not valid ({error})"))
    }

    /// Removes `id`'s record and kept requests.
    pub fn remove(&self, id: &str) {
        if is_batch_id(id) {
            let _ = fs::remove_file(self.root.join(format!("{id}.json")));
            self.remove_kept(id);
        }
    }

    /// Appends one inline result of job `id`, a JSON line, to its results log (an error is
    /// logged: after a restart the job goes on from the last whole line).
    pub fn append_result(&self, id: &str, line: &[u8]) {
        if !is_batch_id(id) || line.is_empty() {
            return;
        }
        let appended = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.results_path(id))
            .and_then(|mut file| file.write_all(line));
        if let Err(error) = appended {
            tracing::error!(%error, batch = id, "cannot log a batch's result in the data directory");
        }
    }

    /// The whole results at the start of job `id`'s log, at most `limit` bytes of it; the
    /// log is cut after them, so that the next line appended follows a whole one.
    pub fn load_results(&self, id: &str, limit: usize) -> Vec<InlinedResponse> {
        let path = self.results_path(id);
        let Ok(text) = read_bounded(&path, limit) else {
            let _ = fs::remove_file(&path);
            return Vec::new();
        };
        let mut results = Vec::new();
        let mut whole = 0;
        for line in text.split_inclusive(|b| *b == b'\n') {
            let parsed = line
                .strip_suffix(b"\n")
                .and_then(|line| serde_json::from_slice::<InlinedResponse>(line).ok());
            let Some(result) = parsed else { break };
            results.push(result);
            whole += line.len();
        }
        if whole < text.len() {
            let cut = fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|file| file.set_len(u64::try_from(whole).unwrap_or(u64::MAX)));
            if let Err(error) = cut {
                tracing::error!(%error, batch = id, "cannot cut a batch's results log");
                let _ = fs::remove_file(&path);
                return Vec::new();
            }
        }
        results
    }

    fn remove_kept(&self, id: &str) {
        if is_batch_id(id) {
            let _ = fs::remove_file(self.requests_path(id));
            let _ = fs::remove_file(self.results_path(id));
        }
    }

    fn requests_path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.requests.json"))
    }

    fn results_path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.results.jsonl"))
    }

    /// Every record whole and no larger than `limit` bytes; the others are skipped (and
    /// logged). Kept requests and results logs no unfinished job names, and temporary files,
    /// are deleted.
    pub fn load(&self, limit: usize) -> Vec<Job> {
        let jobs = self.read_records(limit);
        let Ok(entries) = fs::read_dir(&self.root) else {
            return jobs;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kept_for = name
                .strip_suffix(".requests.json")
                .or_else(|| name.strip_suffix(".results.jsonl"));
            let stray = name.ends_with(".tmp")
                || kept_for.is_some_and(|id| !jobs.iter().any(|j| j.id == id && !j.is_done()));
            if stray {
                let _ = fs::remove_file(entry.path());
            }
        }
        jobs
    }

    fn read_records(&self, limit: usize) -> Vec<Job> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                let id = path.file_name()?.to_str()?.strip_suffix(".json")?;
                if !is_batch_id(id) {
                    return None;
                }
                match read_bounded(&path, limit)
                    .map_err(|e| e.to_string())
                    .and_then(|text| serde_json::from_slice::<Job>(&text).map_err(|e| e.to_string()))
                {
                    Ok(job) => Some(job),
                    Err(error) => {
                        tracing::error!(%error, path = %path.display(), "a batch record was not reloaded");
                        None
                    }
                }
            })
            .collect()
    }
}

/// Writes `text` at `path` through a temporary name and a rename: the file is whole or absent.
fn write_whole(path: &Path, text: &[u8]) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    fs::write(&temporary, text)?;
    fs::rename(&temporary, path)
}

/// The bytes of `path`, refused past `limit`.
fn read_bounded(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let mut text = Vec::new();
    fs::File::open(path)?
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut text)?;
    if text.len() > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(text)
}
