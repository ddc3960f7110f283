//! Encoded answers to recent requests, bounded by bytes rather than by count: one 4K answer
//! weighs as much as thousands of text answers.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lru::LruCache;

use crate::answered::Answered;

/// The default budget: room for a few dozen 2K image answers.
pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// A least-recently-used map from request hash to response body (and the answer's summary,
/// for the journal), holding at most `budget` bytes of bodies. Bodies are `Bytes`, so a hit
/// costs a reference count, not a copy.
pub struct ResponseCache {
    budget: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    entries: LruCache<u64, (Bytes, Arc<Answered>)>,
    bytes: usize,
}

impl ResponseCache {
    /// An empty cache that holds at most `budget` bytes of bodies (0 turns caching off).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The body cached for `key`, marking it as recently used.
    pub fn get(&self, key: u64) -> Option<(Bytes, Arc<Answered>)> {
        let mut inner = self.inner.lock().ok()?;
        inner.entries.get(&key).cloned()
    }

    /// Caches `body` for `key`, evicting the least recently used bodies to stay in budget.
    /// A body larger than the whole budget is not cached.
    pub fn put(&self, key: u64, body: Bytes, answered: Arc<Answered>) {
        if body.len() > self.budget {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if let Some((old, _)) = inner.entries.put(key, (body.clone(), answered)) {
            inner.bytes -= old.len();
        }
        inner.bytes += body.len();
        while inner.bytes > self.budget {
            match inner.entries.pop_lru() {
                Some((_, (evicted, _))) => inner.bytes -= evicted.len(),
                None => break,
            }
        }
    }

    /// Bytes of bodies held now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.inner.lock().map_or(0, |inner| inner.bytes)
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.clear();
            inner.bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(len: usize) -> Bytes {
        Bytes::from(vec![b'x'; len])
    }

    #[test]
    fn stays_within_its_byte_budget_evicting_the_least_recently_used() {
        let cache = ResponseCache::new(100);
        cache.put(1, body(40), Arc::default());
        cache.put(2, body(40), Arc::default());
        assert!(cache.get(1).is_some(), "1 is now the most recently used");
        cache.put(3, body(40), Arc::default());
        assert_eq!(cache.bytes(), 80);
        assert!(cache.get(2).is_none(), "2 was the least recently used");
        assert!(cache.get(1).is_some());
        assert!(cache.get(3).is_some());
    }

    #[test]
    fn replacing_a_key_counts_only_the_new_body() {
        let cache = ResponseCache::new(100);
        cache.put(1, body(60), Arc::default());
        cache.put(1, body(30), Arc::default());
        assert_eq!(cache.bytes(), 30);
    }

    #[test]
    fn a_body_over_the_budget_is_not_cached_and_evicts_nothing() {
        let cache = ResponseCache::new(100);
        cache.put(1, body(50), Arc::default());
        cache.put(2, body(101), Arc::default());
        assert!(cache.get(2).is_none());
        assert!(cache.get(1).is_some());
        let off = ResponseCache::new(0);
        off.put(1, body(1), Arc::default());
        assert!(off.get(1).is_none());
    }

    #[test]
    fn clear_forgets_everything() {
        let cache = ResponseCache::new(100);
        cache.put(1, body(10), Arc::default());
        cache.clear();
        assert_eq!(cache.bytes(), 0);
        assert!(cache.get(1).is_none());
    }
}
