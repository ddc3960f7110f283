//! `--data-dir DIR`: the Files API's bytes on disk, so that files survive a restart and a
//! gigabyte upload costs the mock no gigabyte of memory.
//!
//! The layout, one directory each:
//!
//! * `files/{id}` — a file's bytes, and `files/{id}.json` — its [`Record`] (written after the
//!   bytes, through a temporary name and a rename: a record names only bytes that are whole);
//! * `uploads/{upload id}` — the bytes of an upload under way, renamed into `files/` when it is
//!   finalized. Uploads under way do not survive a restart (our choice: their hashing state is
//!   not kept; a client that resumes one gets a 404 and starts again, as after an expired
//!   upload at Google);
//! * `lock` — held by the one mock that uses the directory.
//!
//! Ids in paths are the store's own (`[a-z0-9-]` for files, `[A-Za-z0-9_-]` for uploads),
//! checked before any path is made.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A directory the mock keeps files in, locked for its use. Open it with [`DataDir::open`] and
/// put it in [`Config::data_dir`](crate::Config::data_dir):
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("gemini-mock-doc-{}", std::process::id()));
/// let data_dir = gemini_image_mock::DataDir::open(&dir)?;
/// let config = gemini_image_mock::Config {
///     data_dir: Some(data_dir),
///     ..gemini_image_mock::Config::default()
/// };
/// assert!(config.data_dir.is_some());
/// // A second mock cannot use it at the same time.
/// assert!(gemini_image_mock::DataDir::open(&dir).is_err());
/// # drop(config);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
    /// Held while any clone of the configuration lives; the OS lock goes with the handle.
    _lock: Arc<File>,
}

/// What is kept of a file besides its bytes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    pub id: String,
    pub display_name: Option<String>,
    pub mime_type: String,
    pub size: u64,
    pub created: SystemTime,
    pub sha256_hex: String,
    pub generated: bool,
}

/// A record is a few hundred bytes; a larger `.json` is not ours.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

impl DataDir {
    /// Opens (creating it if needed) and locks `path`; uploads left under way by an earlier run
    /// are deleted.
    ///
    /// # Errors
    ///
    /// The I/O error of creating the directories, or one saying that another mock holds it.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let root = path.as_ref().to_path_buf();
        fs::create_dir_all(root.join("files"))?;
        fs::create_dir_all(root.join("uploads"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join("lock"))?;
        lock.try_lock().map_err(|error| match error {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is in use by another gemini-image-mock", root.display()),
            ),
            fs::TryLockError::Error(error) => error,
        })?;
        for entry in fs::read_dir(root.join("uploads"))?.flatten() {
            let _ = fs::remove_file(entry.path());
        }
        Ok(Self {
            root,
            _lock: Arc::new(lock),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    pub(crate) fn upload_path(&self, upload_id: &str) -> PathBuf {
        self.root.join("uploads").join(safe(upload_id))
    }

    pub(crate) fn file_path(&self, id: &str) -> PathBuf {
        self.root.join("files").join(safe(id))
    }

    fn record_path(&self, id: &str) -> PathBuf {
        self.root.join("files").join(format!("{}.json", safe(id)))
    }

    /// Writes pieces of a chunk at `at` in the upload's bytes (past the bytes received, what a
    /// refused chunk left is overwritten, and cut at [`DataDir::keep`]).
    pub(crate) fn write_at(&self, upload_id: &str, at: u64, pieces: &[Bytes]) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.upload_path(upload_id))?;
        file.seek(SeekFrom::Start(at))?;
        for piece in pieces {
            file.write_all(piece)?;
        }
        Ok(())
    }

    /// Makes a finished upload a file: its bytes move to `files/`, then its record is written.
    pub(crate) fn keep(&self, upload_id: &str, record: &Record) -> io::Result<()> {
        let bytes = self.file_path(&record.id);
        let upload = self.upload_path(upload_id);
        if upload.exists() {
            // Bytes a refused chunk wrote past the end are not the file's.
            OpenOptions::new()
                .write(true)
                .open(&upload)?
                .set_len(record.size)?;
            fs::rename(upload, &bytes)?;
        } else {
            // An empty upload wrote no chunk.
            File::create(&bytes)?;
        }
        let text = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
        let temporary = self
            .root
            .join("files")
            .join(format!(".{}.json.new", safe(&record.id)));
        fs::write(&temporary, text)?;
        fs::rename(temporary, self.record_path(&record.id))
    }

    /// Deletes a file's bytes and record.
    pub(crate) fn remove_file(&self, id: &str) {
        let _ = fs::remove_file(self.record_path(id));
        let _ = fs::remove_file(self.file_path(id));
    }

    /// Deletes an upload's bytes.
    pub(crate) fn remove_upload(&self, upload_id: &str) {
        let _ = fs::remove_file(self.upload_path(upload_id));
    }

    /// The files an earlier run kept, oldest first. A record that cannot be read, or whose bytes
    /// are missing or of another size, is deleted with its bytes (it is not a whole file), and
    /// so are bytes without a record.
    pub(crate) fn load(&self) -> Vec<Record> {
        let Ok(entries) = fs::read_dir(self.root.join("files")) else {
            return Vec::new();
        };
        let names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        let mut records = Vec::new();
        for name in &names {
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            match self.read_record(id) {
                Some(record) => records.push(record),
                None => {
                    tracing::warn!(file = id, dir = %self.root.display(), "a kept file is not whole: deleted");
                    self.remove_file(id);
                }
            }
        }
        for name in &names {
            let stray = name.starts_with('.')
                || (!name.ends_with(".json") && !records.iter().any(|r| &r.id == name));
            if stray {
                let _ = fs::remove_file(self.root.join("files").join(name));
            }
        }
        records.sort_by_key(|r| r.created);
        records
    }

    fn read_record(&self, id: &str) -> Option<Record> {
        if safe(id) != id {
            return None;
        }
        let path = self.record_path(id);
        if fs::metadata(&path).ok()?.len() > MAX_RECORD_BYTES {
            return None;
        }
        let record: Record = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
        let size = fs::metadata(self.file_path(id)).ok()?.len();
        (record.id == id && record.size == size).then_some(record)
    }
}

/// `id` if it is safe as one path component; an empty name otherwise (which names no file).
fn safe(id: &str) -> &str {
    let ok = !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { id } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gemini-mock-disk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn record(id: &str, size: u64) -> Record {
        Record {
            id: id.into(),
            display_name: None,
            mime_type: "text/plain".into(),
            size,
            created: SystemTime::now(),
            sha256_hex: String::new(),
            generated: false,
        }
    }

    #[test]
    fn a_kept_upload_loads_again_and_broken_leftovers_are_cleared() {
        let root = scratch("load");
        let dir = DataDir::open(&root).unwrap();
        dir.write_at("up1", 0, &[Bytes::from_static(b"hello world")])
            .unwrap();
        // A chunk written again at an earlier offset, and the rest cut when the file is kept.
        dir.write_at("up1", 5, &[Bytes::from_static(b"!")]).unwrap();
        dir.keep("up1", &record("abc", 6)).unwrap();
        assert_eq!(fs::read(dir.file_path("abc")).unwrap(), b"hello!");
        dir.write_at("left", 0, &[Bytes::from_static(b"x")])
            .unwrap();
        fs::write(root.join("files/orphan"), b"x").unwrap();
        fs::write(root.join("files/short.json"), b"{").unwrap();
        fs::write(root.join("files/short"), b"x").unwrap();
        drop(dir);
        let dir = DataDir::open(&root).unwrap();
        let records = dir.load();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].id, "abc");
        let mut left: Vec<_> = fs::read_dir(root.join("files"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["abc", "abc.json"]);
        assert_eq!(fs::read_dir(root.join("uploads")).unwrap().count(), 0);
        drop(dir);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn ids_that_are_not_one_path_component_name_nothing() {
        for id in ["../x", "a/b", ".hidden", "", "a b"] {
            assert_eq!(safe(id), "");
        }
        assert_eq!(safe("files-1_A"), "files-1_A");
    }
}
