//! What was read of a small request body, kept by the body's hash: a repeated request (a test
//! suite's, a load test's) is not parsed, copied for the journal, validated and hashed again.
//! Only the results of pure functions of the bytes are kept (the journal's copy of the body,
//! the validated request's hash and its prompt directives), so a hit is what a miss computes.
//!
//! A hit is the same bytes, compared whole (a prompt's few kilobytes), not only the same hash:
//! two bodies that hash alike must never share an answer.
//!
//! Bounded: bodies of at most [`MAX_BODY_BYTES`] that cannot hold an image (no `data` or
//! `bytesBase64Encoded` key: an image's thumbnail is offered as its body is read), at most
//! [`MAX_ENTRIES`] of each kind, least recently used dropped first.

use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock, Mutex};

use bytes::Bytes;
use lru::LruCache;
use memchr::memmem::Finder;
use xxhash_rust::xxh3::xxh3_64;

use crate::scenarios::Scenario;

/// The largest body remembered: a prompt, not an edit's megabytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How many bodies are remembered.
const MAX_ENTRIES: usize = 256;

/// A bounded map from a body's hash to the body and what was read of it.
pub struct BodyMemo<T> {
    entries: Mutex<LruCache<u64, (Bytes, Arc<T>)>>,
}

impl<T> Default for BodyMemo<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(MAX_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl<T> BodyMemo<T> {
    /// What was kept for `body`, whose key is `key`.
    pub fn get(&self, key: u64, body: &[u8]) -> Option<Arc<T>> {
        let mut entries = self.entries.lock().ok()?;
        let (kept, value) = entries.get(&key)?;
        (kept[..] == *body).then(|| value.clone())
    }

    /// Keeps `value` for `body`, whose key is `key` (a copy of the body: the request's own
    /// buffer may be larger than it).
    pub fn put(&self, key: u64, body: &[u8], value: T) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(key, (Bytes::copy_from_slice(body), Arc::new(value)));
        }
    }

    /// Forgets everything (`POST /__mock/reset` gives the memory back).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// What a `generateContent` body read as (not for a request that names an uploaded file: its
/// answer depends on the file).
pub struct ReadRequest {
    /// The hash of the request as normalized, part of its answer's cache key.
    pub normalized: u64,
    /// The prompt's `[mock:…]` directives.
    pub directives: Vec<Scenario>,
    /// What validation would have refused, in `--validation warn` mode.
    pub warning: Option<String>,
}

/// The key a body is remembered by, `salt` told apart (the reader, the API's dialect), or
/// `None` when it is not remembered: too large, or it may hold an image.
pub fn key(body: &[u8], salt: u64) -> Option<u64> {
    // Built once: `memmem::find` builds its searcher at every call (some 700 instructions
    // each, a twentieth of what the memo saves).
    static IMAGE_KEYS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
        [
            Finder::new(b"data"),
            Finder::new(b"ytesBase64Encoded"),
            Finder::new(b"ytes_base64_encoded"),
        ]
    });
    let may_hold_image = || IMAGE_KEYS.iter().any(|key| key.find(body).is_some());
    (body.len() <= MAX_BODY_BYTES && !may_hold_image()).then(|| xxh3_64(body) ^ salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_bodies_without_images_are_remembered() {
        let prompt = br#"{"contents":[{"parts":[{"text":"a cat"}]}]}"#;
        assert!(key(prompt, 0).is_some());
        assert_ne!(
            key(prompt, 0),
            key(prompt, 1),
            "the salt tells readers apart"
        );
        assert_ne!(key(prompt, 0), key(br#"{"contents":[]}"#, 0));
        let image = br#"{"inlineData":{"data":"aGVsbG8="}}"#;
        assert_eq!(key(image, 0), None);
        assert_eq!(key(br#"{"bytesBase64Encoded":"aGk="}"#, 0), None);
        assert_eq!(key(br#"{"bytes_base64_encoded":"aGk="}"#, 0), None);
        let large = format!(r#"{{"text":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(key(large.as_bytes(), 0), None);
    }

    #[test]
    fn the_least_recently_used_is_dropped() {
        let memo = BodyMemo::default();
        for i in 0..=MAX_ENTRIES as u64 {
            memo.put(i, &i.to_le_bytes(), i);
        }
        assert_eq!(memo.get(0, &0u64.to_le_bytes()), None);
        assert_eq!(memo.get(1, &1u64.to_le_bytes()).as_deref(), Some(&1));
        memo.clear();
        assert_eq!(memo.get(1, &1u64.to_le_bytes()), None);
    }

    #[test]
    fn another_body_under_the_same_key_is_no_hit() {
        let memo = BodyMemo::default();
        memo.put(7, b"{\"a\":1}", "first");
        assert_eq!(memo.get(7, b"{\"a\":1}").as_deref(), Some(&"first"));
        // As if two bodies hashed alike: the second is read, never given the first's reading.
        assert_eq!(memo.get(7, b"{\"a\":2}"), None);
    }
}
