//! Files and the uploads under way, in memory and bounded: every byte held — a file's, a
//! pending upload's, a chunk still arriving — counts against the store's bound, a file is at
//! most 2 GB, the number of files and of pending uploads is capped (the oldest pending upload
//! is dropped for a new one), and a file is gone 48 hours after its upload on the mock's clock.
//!
//! A file's bytes are the chunks as they arrived (`Bytes` segments): an upload of gigabytes is
//! never copied into one buffer. A model call that reads a file joins the segments once
//! ([`StoredFile::contiguous`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

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
const MAX_FILES: usize = 10_000;
/// The largest file a model call reads as one buffer; a larger one is represented by its
/// SHA-256 (the mock opens only images, and no image is that large).
const MAX_CONTIGUOUS_BYTES: u64 = 64 * 1024 * 1024;

/// Where a file comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Uploaded by a client: it cannot be downloaded.
    Uploaded,
    /// Made by the API (batch results): it can be downloaded.
    Generated,
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
    content: Mutex<Vec<Bytes>>,
}

impl StoredFile {
    /// When the file is deleted.
    pub fn expires(&self) -> SystemTime {
        self.created + FILE_LIFETIME
    }

    /// The bytes, as the segments they arrived in (clones of `Bytes` share the memory).
    pub fn segments(&self) -> Vec<Bytes> {
        self.content.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The bytes as one buffer, joined at the first ask and kept joined (the store's byte count
    /// does not change). `None` for a file over 64 MiB, which is not joined.
    pub fn contiguous(&self) -> Option<Bytes> {
        let Ok(mut content) = self.content.lock() else {
            return None;
        };
        match content.len() {
            0 => Some(Bytes::new()),
            1 => content.first().cloned(),
            _ if self.size > MAX_CONTIGUOUS_BYTES => None,
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

impl From<PlainTextError> for ChunkError {
    fn from(error: PlainTextError) -> Self {
        Self::Plain(error)
    }
}

struct Upload {
    request: NewUpload,
    received: u64,
    segments: Vec<Bytes>,
    hasher: Sha256,
    sequence: u64,
    /// A chunk is being hashed outside the lock.
    busy: bool,
}

/// The store's bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The project's quota (Google: 20 GB).
    pub quota_bytes: u64,
    /// The memory files may take.
    pub memory_bytes: u64,
}

#[derive(Default)]
struct Inner {
    files: HashMap<String, Arc<StoredFile>>,
    uploads: HashMap<String, Upload>,
    /// Every byte held: files, pending uploads and chunks being received.
    bytes: u64,
    next_sequence: u64,
}

/// The store.
pub struct FileStore {
    limits: Limits,
    inner: Mutex<Inner>,
}

/// Bytes of a chunk being received, counted in the store until the chunk is kept or dropped.
pub struct Reservation<'a> {
    store: &'a FileStore,
    bytes: u64,
}

impl Reservation<'_> {
    /// Counts `more` bytes, unless the store has no room for them.
    ///
    /// # Errors
    ///
    /// 429 when the store's quota or memory bound would be passed.
    pub fn grow(&mut self, more: u64) -> Result<(), ApiError> {
        self.store.reserve(more)?;
        self.bytes += more;
        Ok(())
    }

    /// The bytes now belong to what holds them; the count stays.
    fn keep(mut self) {
        self.bytes = 0;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.store.release(self.bytes);
        }
    }
}

impl FileStore {
    /// An empty store with these bounds.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, ApiError> {
        self.inner.lock().map_err(|_| ApiError::internal())
    }

    fn room(&self, inner: &Inner, more: u64) -> Result<(), ApiError> {
        let after = inner.bytes.saturating_add(more);
        if after > self.limits.quota_bytes {
            return Err(ApiError::file_storage_full(&format!(
                "the project's {} bytes are used",
                self.limits.quota_bytes
            )));
        }
        if after > self.limits.memory_bytes {
            return Err(ApiError::file_storage_full(&format!(
                "gemini-image-mock keeps at most {} bytes of files in memory",
                self.limits.memory_bytes
            )));
        }
        Ok(())
    }

    fn reserve(&self, bytes: u64) -> Result<(), ApiError> {
        let mut inner = self.lock()?;
        self.room(&inner, bytes)?;
        inner.bytes += bytes;
        Ok(())
    }

    fn release(&self, bytes: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.bytes = inner.bytes.saturating_sub(bytes);
        }
    }

    /// An empty reservation for a chunk about to be received.
    pub fn reservation(&self) -> Reservation<'_> {
        Reservation {
            store: self,
            bytes: 0,
        }
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
        sweep(&mut inner, now);
        if let Some(id) = &upload.file_id
            && inner.files.contains_key(id)
        {
            return Err(ApiError::file_exists(id));
        }
        self.room(&inner, upload.announced.unwrap_or(0))?;
        if inner.uploads.len() >= MAX_PENDING_UPLOADS
            && let Some(oldest) = inner
                .uploads
                .iter()
                .min_by_key(|(_, u)| u.sequence)
                .map(|(id, _)| id.clone())
            && let Some(dropped) = inner.uploads.remove(&oldest)
        {
            inner.bytes = inner.bytes.saturating_sub(dropped.received);
        }
        let id = names::new_upload_id();
        let sequence = next(&mut inner);
        inner.uploads.insert(
            id.clone(),
            Upload {
                request: upload,
                received: 0,
                segments: Vec::new(),
                hasher: Sha256::new(),
                sequence,
                busy: false,
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
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        match inner.uploads.remove(upload_id) {
            Some(upload) => {
                inner.bytes = inner.bytes.saturating_sub(upload.received);
                true
            }
            None => false,
        }
    }

    /// Adds a chunk received whole (`segments`, `length` bytes, held by `reservation`) at
    /// `offset`; with `finalize`, the upload becomes a file.
    ///
    /// # Errors
    ///
    /// 404 for an unknown upload; plain-text 400 for an offset other than the bytes received or
    /// a total other than the one announced; 400 over 2 GB; 409 for a custom id taken
    /// meanwhile; 429 for too many files.
    pub fn append(
        &self,
        upload_id: &str,
        offset: u64,
        chunk: (Vec<Bytes>, u64),
        reservation: Reservation<'_>,
        finalize: bool,
        now: SystemTime,
    ) -> Result<Appended, ChunkError> {
        let (segments, length) = chunk;
        // Checked and marked busy under the store's lock, hashed outside it (megabytes take
        // milliseconds), then kept under the lock again.
        let (total, mut hasher) = {
            let mut inner = self.lock()?;
            let upload = inner
                .uploads
                .get_mut(upload_id)
                .ok_or_else(ApiError::upload_not_found)?;
            if upload.busy || offset != upload.received {
                // A chunk in flight moves the offset: this one cannot be at the right place.
                return Err(PlainTextError::offset_mismatch(offset, upload.received).into());
            }
            let total = upload.received + length;
            if total > MAX_FILE_BYTES {
                return Err(ApiError::file_too_large(total, MAX_FILE_BYTES).into());
            }
            if let Some(announced) = upload.request.announced
                && (total > announced || (finalize && total != announced))
            {
                return Err(PlainTextError::size_mismatch(total, announced).into());
            }
            upload.busy = true;
            (total, upload.hasher.clone())
        };
        for segment in &segments {
            hasher.update(segment);
        }
        let mut inner = self.lock()?;
        // Gone meanwhile (a reset, a cancel, evicted): the reservation gives its bytes back.
        let upload = inner
            .uploads
            .get_mut(upload_id)
            .ok_or_else(ApiError::upload_not_found)?;
        upload.busy = false;
        upload.hasher = hasher;
        upload
            .segments
            .extend(segments.into_iter().filter(|s| !s.is_empty()));
        upload.received = total;
        reservation.keep();
        if !finalize {
            return Ok(Appended::Active);
        }
        let Some(upload) = inner.uploads.remove(upload_id) else {
            return Err(ApiError::upload_not_found().into());
        };
        sweep(&mut inner, now);
        let release = |inner: &mut Inner| inner.bytes = inner.bytes.saturating_sub(total);
        if inner.files.len() >= MAX_FILES {
            release(&mut inner);
            return Err(ApiError::file_storage_full(&format!(
                "at most {MAX_FILES} files are kept"
            ))
            .into());
        }
        let id = match upload.request.file_id {
            Some(id) if inner.files.contains_key(&id) => {
                release(&mut inner);
                return Err(ApiError::file_exists(&id).into());
            }
            Some(id) => id,
            None => unused_id(&inner),
        };
        let file = Arc::new(StoredFile {
            id: id.clone(),
            display_name: upload.request.display_name,
            mime_type: upload.request.mime_type,
            size: total,
            created: now,
            sha256_hex: hex(&upload.hasher.finalize()),
            source: Source::Uploaded,
            sequence: next(&mut inner),
            content: Mutex::new(upload.segments),
        });
        inner.files.insert(id, file.clone());
        Ok(Appended::Final(file))
    }

    /// Puts a file the API made (batch results, say) in the store, where it can be downloaded.
    /// Without `id`, one is made up.
    ///
    /// # Errors
    ///
    /// 400 over 2 GB, 409 for an id taken, 429 when the store is full.
    pub(crate) fn put_generated(
        &self,
        id: Option<String>,
        mime_type: &str,
        bytes: Bytes,
        now: SystemTime,
    ) -> Result<Arc<StoredFile>, ApiError> {
        let size = bytes.len() as u64;
        if size > MAX_FILE_BYTES {
            return Err(ApiError::file_too_large(size, MAX_FILE_BYTES));
        }
        let mut inner = self.lock()?;
        sweep(&mut inner, now);
        if inner.files.len() >= MAX_FILES {
            return Err(ApiError::file_storage_full(&format!(
                "at most {MAX_FILES} files are kept"
            )));
        }
        let id = match id {
            Some(id) if inner.files.contains_key(&id) => return Err(ApiError::file_exists(&id)),
            Some(id) => id,
            None => unused_id(&inner),
        };
        self.room(&inner, size)?;
        inner.bytes += size;
        let file = Arc::new(StoredFile {
            id: id.clone(),
            display_name: None,
            mime_type: mime_type.to_string(),
            size,
            created: now,
            sha256_hex: hex(&Sha256::digest(&bytes)),
            source: Source::Generated,
            sequence: next(&mut inner),
            content: Mutex::new(vec![bytes]),
        });
        inner.files.insert(id, file.clone());
        Ok(file)
    }

    /// The file `id`, unless it does not exist or has expired.
    pub fn get(&self, id: &str, now: SystemTime) -> Option<Arc<StoredFile>> {
        let mut inner = self.inner.lock().ok()?;
        sweep(&mut inner, now);
        inner.files.get(id).cloned()
    }

    /// Every file, newest first.
    pub fn list(&self, now: SystemTime) -> Vec<Arc<StoredFile>> {
        let Ok(mut inner) = self.inner.lock() else {
            return Vec::new();
        };
        sweep(&mut inner, now);
        let mut files: Vec<_> = inner.files.values().cloned().collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.sequence));
        files
    }

    /// Deletes the file `id`; whether it existed.
    pub fn delete(&self, id: &str, now: SystemTime) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        sweep(&mut inner, now);
        match inner.files.remove(id) {
            Some(file) => {
                inner.bytes = inner.bytes.saturating_sub(file.size);
                true
            }
            None => false,
        }
    }

    /// How many uploads are under way and how many bytes the store holds.
    pub fn usage(&self) -> (usize, u64) {
        self.inner
            .lock()
            .map(|inner| (inner.uploads.len(), inner.bytes))
            .unwrap_or_default()
    }

    /// Forgets every file and upload.
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            let sequence = inner.next_sequence;
            *inner = Inner {
                next_sequence: sequence,
                ..Inner::default()
            };
        }
    }
}

fn next(inner: &mut Inner) -> u64 {
    inner.next_sequence += 1;
    inner.next_sequence
}

/// A new id no file has.
fn unused_id(inner: &Inner) -> String {
    loop {
        let id = names::new_file_id();
        if !inner.files.contains_key(&id) {
            return id;
        }
    }
}

/// Drops the files that have expired.
fn sweep(inner: &mut Inner, now: SystemTime) {
    let expired: Vec<String> = inner
        .files
        .values()
        .filter(|f| f.expires() <= now)
        .map(|f| f.id.clone())
        .collect();
    for id in expired {
        if let Some(file) = inner.files.remove(&id) {
            inner.bytes = inner.bytes.saturating_sub(file.size);
        }
    }
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(memory_bytes: u64) -> FileStore {
        FileStore::new(Limits {
            quota_bytes: DEFAULT_QUOTA_BYTES,
            memory_bytes,
        })
    }

    fn upload(announced: Option<u64>) -> NewUpload {
        NewUpload {
            mime_type: "text/plain".into(),
            announced,
            ..NewUpload::default()
        }
    }

    fn chunk<'a>(
        store: &'a FileStore,
        bytes: &'static [u8],
    ) -> ((Vec<Bytes>, u64), Reservation<'a>) {
        let mut reservation = store.reservation();
        reservation.grow(bytes.len() as u64).unwrap();
        (
            (vec![Bytes::from_static(bytes)], bytes.len() as u64),
            reservation,
        )
    }

    #[test]
    fn an_upload_becomes_a_file_with_its_hash_and_its_bytes_counted() {
        let store = store(1000);
        let now = SystemTime::now();
        let id = store.start(upload(Some(5)), now).unwrap();
        let (data, held) = chunk(&store, b"he");
        assert!(matches!(
            store.append(&id, 0, data, held, false, now),
            Ok(Appended::Active)
        ));
        let (data, held) = chunk(&store, b"llo");
        let Ok(Appended::Final(file)) = store.append(&id, 2, data, held, true, now) else {
            panic!("not final");
        };
        assert_eq!(file.sha256_hex, hex(&Sha256::digest(b"hello")));
        assert_eq!(file.contiguous().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.usage(), (0, 5));
        assert!(store.delete(&file.id, now));
        assert_eq!(store.usage(), (0, 0));
    }

    #[test]
    fn bounds_hold_and_refused_chunks_give_their_bytes_back() {
        let store = store(4);
        let now = SystemTime::now();
        assert_eq!(store.start(upload(Some(5)), now).unwrap_err().code, 429);
        let id = store.start(upload(None), now).unwrap();
        let mut held = store.reservation();
        held.grow(3).unwrap();
        assert_eq!(held.grow(2).unwrap_err().code, 429);
        drop(held);
        assert_eq!(store.usage(), (1, 0));
        let (data, held) = chunk(&store, b"abc");
        assert!(matches!(
            store.append(&id, 1, data, held, false, now),
            Err(ChunkError::Plain(_))
        ));
        assert_eq!(store.usage(), (1, 0));
    }

    #[test]
    fn files_expire_after_48_hours_and_the_oldest_pending_upload_gives_way() {
        let store = store(1000);
        let now = SystemTime::now();
        let file = store
            .put_generated(None, "text/plain", Bytes::from_static(b"x"), now)
            .unwrap();
        assert!(
            store
                .get(&file.id, now + FILE_LIFETIME - Duration::from_secs(1))
                .is_some()
        );
        assert!(store.get(&file.id, now + FILE_LIFETIME).is_none());
        assert_eq!(store.usage(), (0, 0));
        let first = store.start(upload(None), now).unwrap();
        for _ in 0..MAX_PENDING_UPLOADS {
            store.start(upload(None), now).unwrap();
        }
        assert_eq!(store.received(&first), None);
        assert_eq!(store.usage().0, MAX_PENDING_UPLOADS);
    }
}
