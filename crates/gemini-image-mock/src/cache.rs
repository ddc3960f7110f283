//! Encoded answers to recent requests, bounded by bytes rather than by count: one 4K answer
//! weighs as much as thousands of text answers. A request that arrives while an identical one
//! is being rendered waits for that render instead of starting its own: on a cold cache, 64
//! identical requests cost one render, not 64. Renders run at most one per core at once: the
//! rest wait their turn instead of sharing the cores with them, so that each render's buffers
//! (a 4K picture is some 100 MB while it is made) are held by a few at a time, not by every
//! request under way, and cached answers keep their share of the CPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use lru::LruCache;
use tokio::sync::Semaphore;

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
    /// One permit per render running: as many as the cores.
    renders: Arc<Semaphore>,
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
            renders: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(1, usize::from),
            )),
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
            return run(&self.renders, render).await;
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
            Err(render) => run(&self.renders, render).await,
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
        let renders = Arc::clone(&self.renders);
        // A task of its own: the render waits its turn and runs even when every request
        // waiting for it has gone, so that the flight always lands and leaves the map.
        let landing = tokio::spawn(async move {
            run(&renders, move || {
                let rendered = render().map(|(body, answered)| (compact(body), answered));
                // Cached before the flight lands, so that a request never finds neither.
                if let Ok((body, answered)) = &rendered {
                    put(&inner, budget, key, body.clone(), answered.clone());
                }
                if let Ok(mut flights) = flights.lock() {
                    flights.remove(&key);
                }
                rendered
            })
            .await
        });
        async move { landing.await.map_err(|_| ApiError::internal())? }
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

/// Runs `render` on the blocking pool once one of `renders`' permits is free (it goes on if
/// the caller stops waiting, and lets its permit go when it ends).
async fn run(
    renders: &Arc<Semaphore>,
    render: impl FnOnce() -> Result<Cached, ApiError> + Send + 'static,
) -> Result<Cached, ApiError> {
    // The queue shows in the log at debug level (and lets a test see every permit held).
    tracing::debug!(free = renders.available_permits(), "render queued");
    let permit = Arc::clone(renders)
        .acquire_owned()
        .await
        .map_err(|_| ApiError::internal())?;
    tracing::debug!("render started");
    tokio::task::spawn_blocking(move || {
        let _running = permit;
        render()
    })
    .await
    .map_err(|_| ApiError::internal())?
}

/// `body` in an allocation of its own length. A JSON writer grows its buffer by doubling, so
/// a body can sit in up to twice its length, and `Bytes` keeps all of it; the cache counts
/// lengths, so what it holds must be no more than they say (measured: 256 MB of cached 1K–4K
/// answers held some 500 MB). The allocator shrinks the buffer in place where it can
/// (`realloc`); a body shared already is left as it is.
fn compact(body: Bytes) -> Bytes {
    match body.try_into_mut() {
        // Room beyond 1/64 of the length is worth giving back.
        Ok(unique) if unique.capacity() - unique.len() > unique.len() / 64 => {
            let mut exact = Vec::from(unique);
            exact.shrink_to_fit();
            Bytes::from(exact)
        }
        Ok(unique) => unique.freeze(),
        Err(shared) => shared,
    }
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
    fn a_body_is_kept_in_an_allocation_of_its_length() {
        let mut grown = Vec::with_capacity(1000);
        grown.extend_from_slice(&[b'x'; 600]);
        let compacted = compact(Bytes::from(grown)).try_into_mut().unwrap();
        assert_eq!((compacted.len(), compacted.capacity()), (600, 600));
        // A body that fits its allocation, or is shared, is left alone.
        let shared = Bytes::from(vec![b'y'; 100]);
        let other = shared.clone();
        assert_eq!(compact(shared), other);
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
