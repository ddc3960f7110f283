//! One chunk of an upload, taken as it arrives: [`FileStore::begin_chunk`] claims the upload's
//! offset, [`ChunkWriter::push`] counts (and, with a data directory, writes) each network piece,
//! [`ChunkWriter::finish`] keeps the chunk once it is whole. A chunk is any size up to the 2 GB
//! of a file — the docs' curl upload sends a whole file as one `upload, finalize` — yet with a
//! data directory only [`PIECE_BYTES`] of it is in memory at a time.
//!
//! A chunk that never finishes (the client went away, a refusal, a scenario) is forgotten: its
//! bytes leave the store's counts when its writer is dropped, and bytes it wrote past the
//! upload's offset are overwritten by the next chunk and cut at finalize. The upload stays busy
//! while any write of the chunk is still running on a blocking thread, so that a retried chunk
//! never races a write of the abandoned one.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::disk::{DataDir, Record};
use super::store::{
    Appended, ChunkError, Content, FileStore, Inner, MAX_FILE_BYTES, MAX_FILES, Shared, Source,
    StoredFile, hex, lock,
};
use crate::error::{ApiError, PlainTextError};

/// How much of a chunk is gathered before it is hashed and written to a data directory.
pub const PIECE_BYTES: u64 = 4 * 1024 * 1024;

/// A chunk being received; see the module's documentation.
pub struct ChunkWriter {
    inner: Shared,
    disk: Option<DataDir>,
    upload_id: String,
    announced: Option<u64>,
    offset: u64,
    /// Bytes of the chunk received so far.
    length: u64,
    /// Bytes of the chunk already written to the data directory.
    written: u64,
    /// The upload's hash state with the bytes written so far (`None` only while a blocking
    /// task holds it).
    hasher: Option<Sha256>,
    /// Bytes received and not yet written (with a data directory) or kept (without).
    pending: Vec<Bytes>,
    pending_length: u64,
    /// Counted in the store: against the quota (`held`) and in memory (`in_memory`).
    held: u64,
    in_memory: u64,
    /// Alive while the chunk or a write of it is under way: the upload's busy mark.
    claim: Arc<()>,
}

impl FileStore {
    /// Claims the upload `upload_id` at `offset` for a chunk.
    ///
    /// # Errors
    ///
    /// 404 for an unknown upload; the plain-text 400 of a wrong offset, also when another
    /// chunk of the upload is under way (it will move the offset).
    pub fn begin_chunk(&self, upload_id: &str, offset: u64) -> Result<ChunkWriter, ChunkError> {
        let mut inner = self.lock()?;
        let disk = inner.disk.clone();
        let upload = inner
            .uploads
            .get_mut(upload_id)
            .ok_or_else(ApiError::upload_not_found)?;
        if upload.claim.strong_count() > 0 || offset != upload.received {
            return Err(PlainTextError::offset_mismatch(offset, upload.received).into());
        }
        let claim = Arc::new(());
        upload.claim = Arc::downgrade(&claim);
        Ok(ChunkWriter {
            inner: self.shared(),
            disk,
            upload_id: upload_id.to_string(),
            announced: upload.request.announced,
            offset,
            length: 0,
            written: 0,
            hasher: Some(upload.hasher.clone()),
            pending: Vec::new(),
            pending_length: 0,
            held: 0,
            in_memory: 0,
            claim,
        })
    }
}

impl ChunkWriter {
    /// The bytes of the chunk received so far.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Refuses, before a byte is read, a chunk of `declared` bytes the upload cannot take.
    ///
    /// # Errors
    ///
    /// 400 past 2 GB; the plain-text 400 past the announced size.
    pub fn check_declared(&self, declared: u64) -> Result<(), ChunkError> {
        self.check_total(self.offset.saturating_add(declared))
    }

    fn check_total(&self, total: u64) -> Result<(), ChunkError> {
        if total > MAX_FILE_BYTES {
            return Err(ApiError::file_too_large(total, MAX_FILE_BYTES).into());
        }
        if let Some(announced) = self.announced
            && total > announced
        {
            return Err(PlainTextError::size_mismatch(total, announced).into());
        }
        Ok(())
    }

    /// Takes the next network piece of the chunk.
    ///
    /// # Errors
    ///
    /// As [`ChunkWriter::check_declared`]; 429 when the store has no room; 500 when the data
    /// directory cannot be written.
    pub async fn push(&mut self, bytes: Bytes) -> Result<(), ChunkError> {
        let more = bytes.len() as u64;
        self.check_total(self.offset + self.length + more)?;
        {
            let mut inner = lock(&self.inner)?;
            inner.room(more, more)?;
            inner.bytes += more;
            inner.memory += more;
        }
        self.held += more;
        self.in_memory += more;
        self.length += more;
        self.pending_length += more;
        self.pending.push(bytes);
        if self.disk.is_some() && self.pending_length >= PIECE_BYTES {
            self.write_pending().await?;
        }
        Ok(())
    }

    /// Hashes the pending bytes on a blocking thread and, with a data directory, writes them
    /// there (and lets them go from memory).
    async fn write_pending(&mut self) -> Result<(), ApiError> {
        let pending = std::mem::take(&mut self.pending);
        let length = std::mem::take(&mut self.pending_length);
        let mut hasher = self.hasher.take().ok_or_else(ApiError::internal)?;
        let disk = self.disk.clone();
        let upload_id = self.upload_id.clone();
        let at = self.offset + self.written;
        let claim = self.claim.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _claim = claim;
            for piece in &pending {
                hasher.update(piece);
            }
            let written = match &disk {
                Some(disk) => disk.write_at(&upload_id, at, &pending),
                None => Ok(()),
            };
            (hasher, written.map(|()| pending))
        });
        let (hasher, written) = task.await.map_err(|_| ApiError::internal())?;
        self.hasher = Some(hasher);
        match written {
            Ok(pending) if self.disk.is_none() => {
                self.pending = pending;
                self.pending_length = length;
            }
            Ok(_) => {
                self.written += length;
                self.in_memory -= length;
                if let Ok(mut inner) = self.inner.lock() {
                    inner.memory = inner.memory.saturating_sub(length);
                }
            }
            Err(error) => {
                tracing::error!(%error, "cannot write an upload's chunk to the data directory");
                return Err(ApiError::internal());
            }
        }
        Ok(())
    }

    /// Keeps the whole chunk; with `finalize`, the upload becomes a file.
    ///
    /// # Errors
    ///
    /// 404 for an upload gone meanwhile; the plain-text 400 of a total other than the one
    /// announced; 409 for a custom id taken meanwhile; 429 for too many files; 500 when the
    /// data directory cannot be written.
    pub async fn finish(mut self, finalize: bool, now: SystemTime) -> Result<Appended, ChunkError> {
        let total = self.offset + self.length;
        if finalize
            && let Some(announced) = self.announced
            && total != announced
        {
            return Err(PlainTextError::size_mismatch(total, announced).into());
        }
        // Without a data directory this only hashes: the bytes stay in `pending`.
        self.write_pending().await?;
        let shared = self.inner.clone();
        let mut inner = lock(&shared)?;
        let keep = self.keep(&mut inner, total);
        if !finalize || keep.is_err() {
            return keep.map(|()| Appended::Active);
        }
        self.make_file(&mut inner, total, now)
    }

    /// The chunk's bytes and hash become the upload's.
    fn keep(&mut self, inner: &mut Inner, total: u64) -> Result<(), ChunkError> {
        let upload = inner
            .uploads
            .get_mut(&self.upload_id)
            .ok_or_else(ApiError::upload_not_found)?;
        upload.hasher = self.hasher.take().ok_or_else(ApiError::internal)?;
        upload.segments.extend(
            std::mem::take(&mut self.pending)
                .into_iter()
                .filter(|s| !s.is_empty()),
        );
        upload.received = total;
        // The store's counts now hold these bytes through the upload.
        self.held = 0;
        self.in_memory = 0;
        Ok(())
    }

    fn make_file(
        &self,
        inner: &mut Inner,
        total: u64,
        now: SystemTime,
    ) -> Result<Appended, ChunkError> {
        let Some(upload) = inner.uploads.remove(&self.upload_id) else {
            return Err(ApiError::upload_not_found().into());
        };
        inner.sweep(now);
        let in_memory = self.disk.is_none();
        let refuse = |inner: &mut Inner, error: ApiError| {
            inner.forget(total, in_memory);
            if let Some(disk) = &self.disk {
                disk.remove_upload(&self.upload_id);
            }
            Err(error.into())
        };
        if inner.files.len() >= MAX_FILES {
            let full = ApiError::file_storage_full(&format!("at most {MAX_FILES} files are kept"));
            return refuse(inner, full);
        }
        let id = match upload.request.file_id {
            Some(id) if inner.files.contains_key(&id) => {
                return refuse(inner, ApiError::file_exists(&id));
            }
            Some(id) => id,
            None => inner.unused_id(),
        };
        let sha256_hex = hex(&upload.hasher.finalize());
        let content = match &self.disk {
            None => Content::Memory(Mutex::new(upload.segments)),
            Some(disk) => {
                let record = Record {
                    id: id.clone(),
                    display_name: upload.request.display_name.clone(),
                    mime_type: upload.request.mime_type.clone(),
                    size: total,
                    created: now,
                    sha256_hex: sha256_hex.clone(),
                    generated: upload.request.source == Source::Generated,
                };
                if let Err(error) = disk.keep(&self.upload_id, &record) {
                    tracing::error!(%error, "cannot keep a file in the data directory");
                    disk.remove_file(&id);
                    return refuse(inner, ApiError::internal());
                }
                Content::Disk(disk.file_path(&id))
            }
        };
        let file = Arc::new(StoredFile {
            id: id.clone(),
            display_name: upload.request.display_name,
            mime_type: upload.request.mime_type,
            size: total,
            created: now,
            sha256_hex,
            source: upload.request.source,
            sequence: inner.next(),
            content,
        });
        inner.files.insert(id, file.clone());
        Ok(Appended::Final(file))
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        if (self.held > 0 || self.in_memory > 0)
            && let Ok(mut inner) = self.inner.lock()
        {
            inner.bytes = inner.bytes.saturating_sub(self.held);
            inner.memory = inner.memory.saturating_sub(self.in_memory);
        }
    }
}
