//! `fileData` in a model call: a part naming a stored file becomes the same part with the
//! file's bytes inline, so that the model treats an uploaded image exactly as the same bytes
//! sent inline. The bytes are shared with the store, not copied.

use gemini_image_types::Base64Bytes;
use gemini_image_types::types::{Blob, Content, FileState};

use super::names::file_id_of_uri;
use super::resource;
use crate::error::ApiError;
use crate::state::AppState;

/// Replaces every `fileData` part of `turns` that names a file of the store (by its `uri` on
/// any host, or `files/{id}`) with the file's bytes inline. Returns a fingerprint of the files
/// used (ids and hashes), for cache keys: the same URI may name other bytes after a delete.
///
/// A `fileData` that names no file of the Files API (another URL) is left as it is.
///
/// # Errors
///
/// Google's 403 for a file missing or expired, its 400 FAILED_PRECONDITION for one not
/// `ACTIVE`.
pub fn inline_files<'a>(
    state: &AppState,
    turns: impl IntoIterator<Item = &'a mut Content>,
) -> Result<String, ApiError> {
    let now = state.clock.now();
    let mut fingerprint = String::new();
    for part in turns.into_iter().flat_map(|turn| turn.parts.iter_mut()) {
        let Some(file_data) = &part.file_data else {
            continue;
        };
        let Some(id) = file_data.file_uri.as_deref().and_then(file_id_of_uri) else {
            continue;
        };
        let file = usable_file(state, id, now)?;
        // A file too large to join stands for itself by its hash: the mock opens only images.
        let data = file
            .contiguous()
            .unwrap_or_else(|| bytes::Bytes::from(file.sha256_hex.clone().into_bytes()));
        let mime_type = file_data
            .mime_type
            .clone()
            .unwrap_or_else(|| file.mime_type.clone());
        fingerprint.push_str(&file.id);
        fingerprint.push(':');
        fingerprint.push_str(&file.sha256_hex);
        fingerprint.push(';');
        part.file_data = None;
        part.inline_data = Some(Blob {
            mime_type: Some(mime_type),
            data: Some(Base64Bytes::from(data)),
            ..Blob::default()
        });
    }
    Ok(fingerprint)
}

/// The file `files/{id}` as a request may use it: Google's 403 when there is none (or it is
/// not the caller's), its 400 while it is still processing.
pub fn usable_file(
    state: &AppState,
    id: &str,
    now: std::time::SystemTime,
) -> Result<std::sync::Arc<super::store::StoredFile>, ApiError> {
    let file = state
        .files
        .get(id, now)
        .ok_or_else(|| ApiError::file_not_found(id))?;
    if resource::state(&file, now, state.config.file_processing) != FileState::Active {
        return Err(ApiError::file_not_active(id));
    }
    Ok(file)
}
