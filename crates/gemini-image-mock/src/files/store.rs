//! Files and the uploads under way, bounded: every byte held — a file's, a pending upload's, a
//! chunk still arriving — counts against the project's quota, every byte held in memory against
//! the memory bound, a file is at most 2 GB, the number of files and of pending uploads is
//! capped (the oldest pending upload is dropped for a new one), and a file is gone 48 hours
//! after its upload on the mock's clock.
//!
//! Without a data directory a file's bytes are the chunks as they arrived (`Bytes` segments):
//! an upload of gigabytes is never copied into one buffer. With one ([`DataDir`]), each chunk
//! is written to disk as it arrives and only a piece of it is in memory. Chunks are taken by
//! `chunk`'s writer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::disk::DataDir;
use super::names;
use crate::error::{ApiError, PlainTextError};

/// Google's limit on one file: 2 GB.
pub const MAX_FILE_BYTES: u64 = 2_147_483_648;
/// Google's storage quota per project: 20 GB.
pub const DEFAULT_QUOTA_BYTES: u64 = 21_474_836_480;
/// How much of the mock's memory files may take by default: 2 GiB.
pub const DEFAULT_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// How long a file lives.
pub const FILE_LIFETIME: Duration = Duration::from_secs(48 * 3600);
/// Google's chunk granularity: every chunk but the last is a multiple of it.
pub const CHUNK_GRANULARITY: u64 = 8 * 1024 * 1024;
/// How many uploads may be under way; a new one drops the oldest (an abandoned upload would
/// otherwise hold its bytes forever). Our choice.
const MAX_PENDING_UPLOADS: usize = 64;
/// How many files the store keeps (Google documents no limit; ours keeps a flood of empty
/// files from growing the map without end).
pub(super) const MAX_FILES: usize = 10_000;
/// The largest file a model call reads as one buffer; a larger one is represented by its
/// SHA-256 (the mock opens only images, and no image is that large).
const MAX_CONTIGUOUS_BYTES: u64 = 64 * 1024 * 1024;

/// Where a file comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// Uploaded by a client: it cannot be downloaded.
    #[default]
    Uploaded,
    /// Made by the API (batch results): it can be downloaded.
    Generated,
}

/// Where a file's bytes are.
#[derive(Debug)]
pub(super) enum Content {
    /// In memory, as the segments they arrived in (joined once a model call reads them).
    Memory(Mutex<Vec<Bytes>>),
    /// In the data directory.
    Disk(PathBuf),
}

/// A file's bytes as a download serves them.
#[derive(Debug)]
pub enum FileBody {
    /// In memory (clones of `Bytes` share it).
    Segments(Vec<Bytes>),
    /// A file on disk, to be streamed.
    Path(PathBuf),
}

/// A file in the store.
#[derive(Debug)]
pub struct StoredFile {
    /// The id, without `files/`.
    pub id: String,
    /// The display name given at upload.
    pub display_name: Option<String>,
    /// The MIME type given at upload.
    pub mime_type: String,
    /// The size in bytes.
    pub size: u64,
    /// When it was created, on the mock's clock.
    pub created: SystemTime,
    /// The lowercase hex SHA-256 of the bytes.
    pub sha256_hex: String,
    /// Uploaded or generated.
    pub source: Source,
    /// Increasing with creation: the list's order and its page tokens.
    pub sequence: u64,
    pub(super) content: Content,
}

impl StoredFile {
    /// When the file is deleted.
    pub fn expires(&self) -> SystemTime {
        self.created + FILE_LIFETIME
    }

    fn in_memory(&self) -> bool {
        matches!(self.content, Content::Memory(_))
    }

    /// The bytes, for a download.
    pub fn body(&self) -> FileBody {
        match &self.content {
            Content::Memory(segments) => {
                FileBody::Segments(segments.lock().map(|c| c.clone()).unwrap_or_default())
            }
            Content::Disk(path) => FileBody::Path(path.clone()),
        }
    }

    /// The bytes as one buffer; in memory, joined at the first ask and kept joined (the store's
    /// byte count does not change). `None` for a file over 64 MiB, which is not joined, or one
    /// whose bytes on disk cannot be read.
    ///
    /// A file on disk is read here, synchronously: a model call that reads it then decodes the
    /// image on the same thread anyway, and 64 MiB from the page cache take milliseconds.
    pub fn contiguous(&self) -> Option<Bytes> {
        if self.size > MAX_CONTIGUOUS_BYTES {
            return None;
        }
        let segments = match &self.content {
            Content::Disk(path) => return std::fs::read(path).ok().map(Bytes::from),
            Content::Memory(segments) => segments,
        };
        let mut content = segments.lock().ok()?;
        match content.len() {
            0 => Some(Bytes::new()),
            1 => content.first().cloned(),
            _ => {
                let mut joined = BytesMut::with_capacity(usize::try_from(self.size).ok()?);
                for segment in content.iter() {
                    joined.extend_from_slice(segment);
                }
                let joined = joined.freeze();
                *content = vec![joined.clone()];
                Some(joined)
            }
        }
    }
}

/// What a client asked for when it started an upload.
#[derive(Clone, Debug, Default)]
pub struct NewUpload {
    /// A custom id, already checked.
    pub file_id: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// The MIME type.
    pub mime_type: String,
    /// The size announced, if any.
    pub announced: Option<u64>,
    /// Uploaded by a client, or made by the API (the admin API's generated files).
    pub source: Source,
}

/// What a chunk did.
#[derive(Debug)]
pub enum Appended {
    /// The upload goes on.
    Active,
    /// The upload is finished: the file.
    Final(Arc<StoredFile>),
}

/// Why a chunk was refused.
#[derive(Debug)]
pub enum ChunkError {
    /// A Google-shaped JSON error.
    Api(ApiError),
    /// The upload server's plain-text error.
    Plain(PlainTextError),
}

impl From<ApiError> for ChunkError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl ChunkError {
    /// The error in Google's JSON shape, for a writer that is not the upload protocol (the
    /// admin API's generated files, a batch's results file): a plain-text refusal becomes a
    /// 400 with its message.
    pub fn into_api_error(self) -> ApiError {
        match self {
            Self::Api(error) => error,
            Self::Plain(error) => ApiError::invalid_argument(error.message),
        }
    }
}

impl From<PlainTextError> for ChunkError {
    fn from(error: PlainTextError) -> Self {
        Self::Plain(error)
    }
}

pub(super) struct Upload {
    pub(super) request: NewUpload,
    pub(super) received: u64,
    /// The bytes received, without a data directory.
    pub(super) segments: Vec<Bytes>,
    pub(super) hasher: Sha256,
    sequence: u64,
    /// Alive while a chunk is under way (see `chunk`): the upload is busy.
    pub(super) claim: Weak<()>,
}

/// The store's bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The project's quota (Google: 20 GB).
    pub quota_bytes: u64,
    /// The memory files may take.
    pub memory_bytes: u64,
}

pub(super) struct Inner {
    limits: Limits,
    pub(super) disk: Option<DataDir>,
    pub(super) files: HashMap<String, Arc<StoredFile>>,
    pub(super) uploads: HashMap<String, Upload>,
    /// Every byte held: files, pending uploads and chunks being received (the quota's count).
    pub(super) bytes: u64,
    /// The bytes of those held in memory (the memory bound's count).
    pub(super) memory: u64,
    next_sequence: u64,
}

impl Inner {
    pub(super) fn room(&self, stored: u64, in_memory: u64) -> Result<(), ApiError> {
        if self.bytes.saturating_add(stored) > self.limits.quota_bytes {
            return Err(ApiError::file_storage_full(&format!(
                "the project's {} bytes are used",
                self.limits.quota_bytes
            )));
        }
        if self.memory.saturating_add(in_memory) > self.limits.memory_bytes {
            return Err(ApiError::file_storage_full(&format!(
                "gemini-image-mock keeps at most {} bytes of files in memory",
                self.limits.memory_bytes
            )));
        }
        Ok(())
    }

    /// Gives back the bytes of something no longer held.
    pub(super) fn forget(&mut self, size: u64, in_memory: bool) {
        self.bytes = self.bytes.saturating_sub(size);
        if in_memory {
            self.memory = self.memory.saturating_sub(size);
        }
    }

    pub(super) fn next(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// A new id no file has.
    pub(super) fn unused_id(&self) -> String {
        loop {
            let id = names::new_file_id();
            if !self.files.contains_key(&id) {
                return id;
            }
        }
    }

    fn remove_file(&mut self, id: &str) -> bool {
        let Some(file) = self.files.remove(id) else {
            return false;
        };
        self.forget(file.size, file.in_memory());
        if let Some(disk) = &self.disk
            && !file.in_memory()
        {
            disk.remove_file(id);
        }
        true
    }

    fn remove_upload(&mut self, upload_id: &str) -> bool {
        let Some(upload) = self.uploads.remove(upload_id) else {
            return false;
        };
        let in_memory = self.disk.is_none();
        self.forget(upload.received, in_memory);
        if let Some(disk) = &self.disk {
            disk.remove_upload(upload_id);
        }
        true
    }

    /// Drops the files that have expired.
    pub(super) fn sweep(&mut self, now: SystemTime) {
        let expired: Vec<String> = self
            .files
            .values()
            .filter(|f| f.expires() <= now)
            .map(|f| f.id.clone())
            .collect();
        for id in expired {
            self.remove_file(&id);
        }
    }
}

pub(super) type Shared = Arc<Mutex<Inner>>;

pub(super) fn lock(inner: &Shared) -> Result<MutexGuard<'_, Inner>, ApiError> {
    inner.lock().map_err(|_| ApiError::internal())
}

/// The store.
pub struct FileStore {
    inner: Shared,
}

impl FileStore {
    /// A store with these bounds: in memory, or in `disk` with the files an earlier run kept
    /// there (they count against the quota, not the memory).
    pub fn new(limits: Limits, disk: Option<DataDir>) -> Self {
        let mut inner = Inner {
            limits,
            disk,
            files: HashMap::new(),
            uploads: HashMap::new(),
            bytes: 0,
            memory: 0,
            next_sequence: 0,
        };
        let kept = inner.disk.as_ref().map(DataDir::load).unwrap_or_default();
        for record in kept {
            let Some(disk) = &inner.disk else { break };
            let content = Content::Disk(disk.file_path(&record.id));
            inner.bytes = inner.bytes.saturating_add(record.size);
            let sequence = inner.next();
            let file = StoredFile {
                id: record.id.clone(),
                display_name: record.display_name,
                mime_type: record.mime_type,
                size: record.size,
                created: record.created,
                sha256_hex: record.sha256_hex,
                source: if record.generated {
                    Source::Generated
                } else {
                    Source::Uploaded
                },
                sequence,
                content,
            };
            inner.files.insert(record.id, Arc::new(file));
        }
        Self {
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    pub(super) fn lock(&self) -> Result<MutexGuard<'_, Inner>, ApiError> {
        lock(&self.inner)
    }

    pub(super) fn shared(&self) -> Shared {
        self.inner.clone()
    }

    /// Starts an upload; its id is the upload URL's `upload_id`.
    ///
    /// # Errors
    ///
    /// 400 for a file announced over 2 GB, 409 for a custom id taken, 429 when the announced
    /// size does not fit the store.
    pub fn start(&self, upload: NewUpload, now: SystemTime) -> Result<String, ApiError> {
        if let Some(size) = upload.announced
            && size > MAX_FILE_BYTES
        {
            return Err(ApiError::file_too_large(size, MAX_FILE_BYTES));
        }
        let mut inner = self.lock()?;
        inner.sweep(now);
        if let Some(id) = &upload.file_id
            && inner.files.contains_key(id)
        {
            return Err(ApiError::file_exists(id));
        }
        let announced = upload.announced.unwrap_or(0);
        let in_memory = if inner.disk.is_some() { 0 } else { announced };
        inner.room(announced, in_memory)?;
        if inner.uploads.len() >= MAX_PENDING_UPLOADS
            && let Some(oldest) = inner
                .uploads
                .iter()
                .min_by_key(|(_, u)| u.sequence)
                .map(|(id, _)| id.clone())
        {
            inner.remove_upload(&oldest);
        }
        let id = names::new_upload_id();
        let sequence = inner.next();
        inner.uploads.insert(
            id.clone(),
            Upload {
                request: upload,
                received: 0,
                segments: Vec::new(),
                hasher: Sha256::new(),
                sequence,
                claim: Weak::new(),
            },
        );
        Ok(id)
    }

    /// The bytes an upload has received, or `None` for an unknown upload.
    pub fn received(&self, upload_id: &str) -> Option<u64> {
        let inner = self.inner.lock().ok()?;
        inner.uploads.get(upload_id).map(|u| u.received)
    }

    /// Forgets an upload and its bytes (`X-Goog-Upload-Command: cancel`); whether it existed.
    pub fn cancel(&self, upload_id: &str) -> bool {
        self.inner
            .lock()
            .is_ok_and(|mut inner| inner.remove_upload(upload_id))
    }

    /// The file `id`, unless it does not exist or has expired.
    pub fn get(&self, id: &str, now: SystemTime) -> Option<Arc<StoredFile>> {
        let mut inner = self.inner.lock().ok()?;
        inner.sweep(now);
        inner.files.get(id).cloned()
    }

    /// Every file, newest first.
    pub fn list(&self, now: SystemTime) -> Vec<Arc<StoredFile>> {
        let Ok(mut inner) = self.inner.lock() else {
            return Vec::new();
        };
        inner.sweep(now);
        let mut files: Vec<_> = inner.files.values().cloned().collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.sequence));
        files
    }

    /// Deletes the file `id`; whether it existed.
    pub fn delete(&self, id: &str, now: SystemTime) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        inner.sweep(now);
        inner.remove_file(id)
    }

    /// How many uploads are under way, how many bytes the store holds, and how many of them
    /// are in memory.
    pub fn usage(&self) -> Usage {
        self.inner
            .lock()
            .map(|inner| Usage {
                uploads: inner.uploads.len(),
                bytes: inner.bytes,
                memory_bytes: inner.memory,
            })
            .unwrap_or_default()
    }

    /// Forgets every file and upload (and deletes them from the data directory).
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            let files: Vec<String> = inner.files.keys().cloned().collect();
            for id in files {
                inner.remove_file(&id);
            }
            let uploads: Vec<String> = inner.uploads.keys().cloned().collect();
            for id in uploads {
                inner.remove_upload(&id);
            }
        }
    }
}

/// What the store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Uploads under way.
    pub uploads: usize,
    /// Bytes held, on disk or in memory.
    pub bytes: u64,
    /// Bytes held in memory.
    pub memory_bytes: u64,
}

/// Lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(memory_bytes: u64) -> FileStore {
        FileStore::new(
            Limits {
                quota_bytes: DEFAULT_QUOTA_BYTES,
                memory_bytes,
            },
            None,
        )
    }

    fn upload(announced: Option<u64>) -> NewUpload {
        NewUpload {
            mime_type: "text/plain".into(),
            announced,
            ..NewUpload::default()
        }
    }

    /// Sends `bytes` as one chunk at `offset`, in two network pieces.
    async fn chunk(
        store: &FileStore,
        id: &str,
        offset: u64,
        bytes: &'static [u8],
        finalize: bool,
        now: SystemTime,
    ) -> Result<Appended, ChunkError> {
        let mut writer = store.begin_chunk(id, offset)?;
        let (a, b) = bytes.split_at(bytes.len() / 2);
        writer.push(Bytes::from_static(a)).await?;
        writer.push(Bytes::from_static(b)).await?;
        writer.finish(finalize, now).await
    }

    fn usage(uploads: usize, bytes: u64, memory_bytes: u64) -> Usage {
        Usage {
            uploads,
            bytes,
            memory_bytes,
        }
    }

    #[tokio::test]
    async fn an_upload_becomes_a_file_with_its_hash_and_its_bytes_counted() {
        let store = store(1000);
        let now = SystemTime::now();
        let id = store.start(upload(Some(5)), now).unwrap();
        assert!(matches!(
            chunk(&store, &id, 0, b"he", false, now).await,
            Ok(Appended::Active)
        ));
        let Ok(Appended::Final(file)) = chunk(&store, &id, 2, b"llo", true, now).await else {
            panic!("not final");
        };
        assert_eq!(file.sha256_hex, hex(&Sha256::digest(b"hello")));
        assert_eq!(file.contiguous().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.usage(), usage(0, 5, 5));
        assert!(store.delete(&file.id, now));
        assert_eq!(store.usage(), usage(0, 0, 0));
    }

    #[tokio::test]
    async fn bounds_hold_and_refused_chunks_give_their_bytes_back() {
        let store = store(4);
        let now = SystemTime::now();
        assert_eq!(store.start(upload(Some(5)), now).unwrap_err().code, 429);
        let id = store.start(upload(None), now).unwrap();
        let mut writer = store.begin_chunk(&id, 0).unwrap();
        writer.push(Bytes::from_static(b"abc")).await.unwrap();
        // A second chunk while one is under way cannot be at the right offset.
        assert!(matches!(
            store.begin_chunk(&id, 0),
            Err(ChunkError::Plain(_))
        ));
        assert!(matches!(
            writer.push(Bytes::from_static(b"de")).await,
            Err(ChunkError::Api(ApiError { code: 429, .. }))
        ));
        drop(writer);
        assert_eq!(store.usage(), usage(1, 0, 0));
        assert!(matches!(
            chunk(&store, &id, 1, b"abc", false, now).await,
            Err(ChunkError::Plain(_))
        ));
        assert_eq!(store.usage(), usage(1, 0, 0));
    }

    #[tokio::test]
    async fn files_expire_after_48_hours_and_the_oldest_pending_upload_gives_way() {
        let store = store(1000);
        let now = SystemTime::now();
        let id = store.start(upload(None), now).unwrap();
        let Ok(Appended::Final(file)) = chunk(&store, &id, 0, b"x", true, now).await else {
            panic!("not final");
        };
        assert!(
            store
                .get(&file.id, now + FILE_LIFETIME - Duration::from_secs(1))
                .is_some()
        );
        assert!(store.get(&file.id, now + FILE_LIFETIME).is_none());
        assert_eq!(store.usage(), usage(0, 0, 0));
        let first = store.start(upload(None), now).unwrap();
        for _ in 0..MAX_PENDING_UPLOADS {
            store.start(upload(None), now).unwrap();
        }
        assert_eq!(store.received(&first), None);
        assert_eq!(store.usage().uploads, MAX_PENDING_UPLOADS);
    }

    #[tokio::test]
    async fn with_a_data_directory_files_leave_memory_and_survive_a_restart() {
        let root = std::env::temp_dir().join(format!("gemini-mock-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let limits = Limits {
            quota_bytes: 100,
            memory_bytes: 4,
        };
        let now = SystemTime::now();
        let store = FileStore::new(limits, Some(DataDir::open(&root).unwrap()));
        let id = store
            .start(
                NewUpload {
                    display_name: Some("kept".into()),
                    source: Source::Generated,
                    ..upload(Some(6))
                },
                now,
            )
            .unwrap();
        for (offset, bytes) in [(0, &b"abc"[..]), (3, b"def")] {
            chunk(&store, &id, offset, bytes, offset == 3, now)
                .await
                .unwrap();
            // Each chunk leaves memory once written: the next one fits the 4-byte bound.
            assert_eq!(store.usage().memory_bytes, 0);
        }
        assert_eq!(store.usage(), usage(0, 6, 0));
        let file = store.list(now).pop().unwrap();
        drop(store);
        let store = FileStore::new(limits, Some(DataDir::open(&root).unwrap()));
        let again = store.get(&file.id, now).unwrap();
        assert_eq!(again.contiguous().as_deref(), Some(&b"abcdef"[..]));
        assert_eq!(again.sha256_hex, hex(&Sha256::digest(b"abcdef")));
        assert_eq!(again.display_name.as_deref(), Some("kept"));
        assert_eq!(again.source, Source::Generated);
        assert!(matches!(again.body(), FileBody::Path(_)));
        assert_eq!(store.usage(), usage(0, 6, 0));
        // Expiry deletes the bytes on disk too.
        assert!(store.get(&file.id, now + FILE_LIFETIME).is_none());
        assert!(!root.join("files").join(&file.id).exists());
        drop(store);
        std::fs::remove_dir_all(root).unwrap();
    }
}
