//! `--data-dir`: a JSON record per batch in `batches/{id}.json` (written through a temporary
//! name and a rename, so a record is whole or absent), reloaded at start. Its results file is
//! an ordinary file of the Files API's directory.

use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;

use super::ids::is_batch_id;
use super::job::Job;
use crate::files::disk::DataDir;

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
        let path = self.root.join(format!("{}.json", job.id));
        let temporary = self.root.join(format!("{}.json.tmp", job.id));
        let written = serde_json::to_vec(job)
            .map_err(io::Error::other)
            .and_then(|text| fs::write(&temporary, text))
            .and_then(|()| fs::rename(&temporary, &path));
        if let Err(error) = written {
            tracing::error!(%error, batch = job.id, "cannot save a batch in the data directory");
        }
    }

    /// Removes `id`'s record.
    pub fn remove(&self, id: &str) {
        if is_batch_id(id) {
            let _ = fs::remove_file(self.root.join(format!("{id}.json")));
        }
    }

    /// Every record whole and no larger than `limit` bytes; the others are skipped (and
    /// logged).
    pub fn load(&self, limit: usize) -> Vec<Job> {
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
                let mut text = Vec::new();
                let read = fs::File::open(&path).and_then(|file| {
                    file.take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
                        .read_to_end(&mut text)
                });
                match read.map_err(|e| e.to_string()).and_then(|n| {
                    if n > limit {
                        return Err("larger than the batch budget".to_string());
                    }
                    serde_json::from_slice::<Job>(&text).map_err(|e| e.to_string())
                }) {
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
