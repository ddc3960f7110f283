//! Encoded answers to recent requests, bounded by bytes rather than by count: one 4K answer
//! weighs as much as thousands of text answers. A request that arrives while an identical one
//! is being rendered waits for that render instead of starting its own: on a cold cache, 64
//! identical requests cost one render, not 64.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use lru::LruCache;

use crate::answered::Answered;
use crate::error::ApiError;

/// The default budget: room for a few dozen 2K image answers.
pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// The most renders shared at once. Past it a request renders on its own (the connection cap
/// bounds them anyway); the map never grows beyond it.
const MAX_FLIGHTS: usize = 1024;

/// An answer's body, and its summary for the journal.
pub type Cached = (Bytes, Arc<Answered>);

/// A render under way, which every identical request awaits.
type Flight = Shared<BoxFuture<'static, Result<Cached, ApiError>>>;

/// A least-recently-used map from request hash to response body (and the answer's summary,
/// for the journal), holding at most `budget` bytes of bodies. Bodies are `Bytes`, so a hit
/// costs a reference count, not a copy.
pub struct ResponseCache {
    budget: usize,
    inner: Arc<Mutex<Inner>>,
    /// Renders under way, by the key their answer will be cached under.
    flights: Arc<Mutex<HashMap<u64, Flight>>>,
}

struct Inner {
    entries: LruCache<u64, Cached>,
    bytes: usize,
}

impl ResponseCache {
    /// An empty cache that holds at most `budget` bytes of bodies (0 turns caching off).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Arc::new(Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
            })),
            flights: Arc::default(),
        }
    }

    /// The answer for `key`: from the cache, from the render of an identical request under
    /// way, or from `render` (run on the blocking pool: megapixel images are CPU work), which
    /// then caches it. The render runs to its end whoever stops waiting for it, so a client
    /// that goes away never costs the others a second render.
    pub async fn answer(
        &self,
        key: u64,
        render: impl FnOnce() -> Result<(Bytes, Answered), ApiError> + Send + 'static,
    ) -> Result<Cached, ApiError> {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let render = move || render().map(|(body, answered)| (body, Arc::new(answered)));
        if self.budget == 0 {
            return run(render).await;
        }
        // The lock is let go before any wait.
        let flight = match self.flights.lock() {
            Ok(mut flights) => match flights.get(&key) {
                Some(flight) => Ok(flight.clone()),
                None if flights.len() >= MAX_FLIGHTS => Err(render),
                None => {
                    let flight = self.take_off(key, render);
                    flights.insert(key, flight.clone());
                    Ok(flight)
                }
            },
            Err(_) => Err(render),
        };
        match flight {
            Ok(flight) => flight.await,
            Err(render) => run(render).await,
        }
    }

    /// A render of the answer for `key` that caches it and then leaves the flights.
    fn take_off(
        &self,
        key: u64,
        render: impl FnOnce() -> Result<Cached, ApiError> + Send + 'static,
    ) -> Flight {
        let inner = Arc::clone(&self.inner);
        let flights = Arc::clone(&self.flights);
        let budget = self.budget;
        run(move || {
            let rendered = render();
            // Cached before the flight lands, so that a request never finds neither.
            if let Ok((body, answered)) = &rendered {
                put(&inner, budget, key, body.clone(), answered.clone());
            }
            if let Ok(mut flights) = flights.lock() {
                flights.remove(&key);
            }
            rendered
        })
        .boxed()
        .shared()
    }

    /// The body cached for `key`, marking it as recently used.
    pub fn get(&self, key: u64) -> Option<Cached> {
        let mut inner = self.inner.lock().ok()?;
        inner.entries.get(&key).cloned()
    }

    /// Caches `body` for `key` (see [`put`]).
    #[cfg(test)]
    pub fn put(&self, key: u64, body: Bytes, answered: Arc<Answered>) {
        put(&self.inner, self.budget, key, body, answered);
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

/// Runs `render` on the blocking pool (where it goes on if the caller stops waiting).
async fn run(
    render: impl FnOnce() -> Result<Cached, ApiError> + Send + 'static,
) -> Result<Cached, ApiError> {
    tokio::task::spawn_blocking(render)
        .await
        .map_err(|_| ApiError::internal())?
}

/// Caches `body` for `key` in `inner`, evicting the least recently used bodies to stay within
/// `budget`. A body larger than the whole budget is not cached.
fn put(inner: &Mutex<Inner>, budget: usize, key: u64, body: Bytes, answered: Arc<Answered>) {
    if body.len() > budget {
        return;
    }
    let Ok(mut inner) = inner.lock() else {
        return;
    };
    if let Some((old, _)) = inner.entries.put(key, (body.clone(), answered)) {
        inner.bytes -= old.len();
    }
    inner.bytes += body.len();
    while inner.bytes > budget {
        match inner.entries.pop_lru() {
            Some((_, (evicted, _))) => inner.bytes -= evicted.len(),
            None => break,
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
