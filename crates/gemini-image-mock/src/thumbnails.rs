//! Small JPEG thumbnails of the images requests carried and answers held, for the dashboard:
//! the journal keeps an image as `"<N bytes, xxh3 HEX>"`, and this store keeps a ≤ 256 px
//! picture of it under the same hash, bounded in bytes (the oldest dropped first).
//!
//! Thumbnails are made off the request's path, on a blocking thread, at most
//! [`MAX_IN_FLIGHT`] at once: under load an image goes without a thumbnail rather than slowing
//! the answers down or queueing megabytes of images.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use image::{ImageFormat, ImageReader, Limits};
use lru::LruCache;

/// The store's default budget: some two thousand thumbnails of 15 KB.
pub const DEFAULT_THUMBNAIL_BYTES: usize = 32 * 1024 * 1024;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 256;

/// How many thumbnails are made at once; an image offered beyond that is skipped.
pub const MAX_IN_FLIGHT: usize = 2;

/// The largest picture decoded for a thumbnail: Google's largest images are 4K (4096 px) on
/// a side; the allocation bound keeps a crafted header from asking for gigabytes.
const MAX_DECODED_EDGE: u32 = 8192;
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// The thumbnails, by the xxh3 of the image they show.
pub struct Thumbnails {
    budget: usize,
    kept: Mutex<Kept>,
    in_flight: AtomicUsize,
}

struct Kept {
    entries: LruCache<u64, Bytes>,
    bytes: usize,
}

impl Thumbnails {
    /// An empty store holding at most `budget` bytes of thumbnails (0 keeps none).
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            kept: Mutex::new(Kept {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Makes a thumbnail of `image` (whose xxh3 is `hash`) in the background, unless there is
    /// one already, the store keeps none, or [`MAX_IN_FLIGHT`] are being made. `image` is
    /// shared, not copied.
    pub fn offer(self: &Arc<Self>, hash: u64, image: Bytes) {
        if self.budget == 0 || self.contains(hash) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let busy = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_IN_FLIGHT).then_some(n + 1)
            })
            .is_err();
        if busy {
            return;
        }
        let store = Arc::clone(self);
        runtime.spawn_blocking(move || {
            if let Some(thumbnail) = make(&image) {
                store.put(hash, thumbnail);
            }
            store.in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// The thumbnail of the image whose xxh3 is `hash`, as JPEG.
    pub fn get(&self, hash: u64) -> Option<Bytes> {
        let mut kept = self.kept.lock().ok()?;
        kept.entries.get(&hash).cloned()
    }

    /// The bytes of thumbnails held now, never more than the budget.
    pub fn bytes(&self) -> usize {
        self.kept.lock().map_or(0, |kept| kept.bytes)
    }

    /// Forgets every thumbnail.
    pub fn clear(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.entries.clear();
            kept.bytes = 0;
        }
    }

    fn contains(&self, hash: u64) -> bool {
        self.kept
            .lock()
            .is_ok_and(|kept| kept.entries.contains(&hash))
    }

    fn put(&self, hash: u64, thumbnail: Bytes) {
        if thumbnail.len() > self.budget {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if let Some(old) = kept.entries.put(hash, thumbnail.clone()) {
            kept.bytes -= old.len();
        }
        kept.bytes += thumbnail.len();
        while kept.bytes > self.budget {
            match kept.entries.pop_lru() {
                Some((_, evicted)) => kept.bytes -= evicted.len(),
                None => break,
            }
        }
    }
}

/// `image` decoded within bounds, shrunk to fit [`THUMBNAIL_EDGE`] and written as JPEG; `None`
/// for what is not a picture the `image` crate reads.
fn make(image: &[u8]) -> Option<Bytes> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_EDGE);
    limits.max_image_height = Some(MAX_DECODED_EDGE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::new(Cursor::new(image))
        .with_guessed_format()
        .ok()?;
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let small = picture
        .thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
        .into_rgb8();
    let mut out = Cursor::new(Vec::new());
    small.write_to(&mut out, ImageFormat::Jpeg).ok()?;
    Some(Bytes::from(out.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_thumbnail_fits_the_edge_and_keeps_the_shape() {
        let thumbnail = make(&png(1024, 512)).unwrap();
        let decoded = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (256, 128));
        assert!(make(b"not an image").is_none());
    }

    #[test]
    fn the_store_drops_the_oldest_past_its_budget() {
        let thumbnail = make(&png(64, 64)).unwrap();
        let store = Thumbnails::new(thumbnail.len() * 2);
        store.put(1, thumbnail.clone());
        store.put(2, thumbnail.clone());
        store.put(3, thumbnail.clone());
        assert!(store.get(1).is_none());
        assert!(store.get(2).is_some() && store.get(3).is_some());
        assert!(store.bytes() <= thumbnail.len() * 2);
    }
}
