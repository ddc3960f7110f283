//! What one client remembers between its streams: the size of the last image it decoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The size of the image the last stream of one client decoded as it arrived (the largest, when
/// the stream carried several): the room the next stream's image gets as soon as its base64
/// goes on past the read that opened it. An application's images mostly share a model and a
/// size, and a buffer grown as the base64 arrives copies itself at each step (some 16 MB of
/// copies for an 8 MB image); one made too large is shrunk in place when its image ends. Shared
/// by the clones of a client; never more than the client's `max_body`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ImageRoom(Arc<AtomicUsize>);

impl ImageRoom {
    /// The room for the next image, in bytes (0 before any).
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Remembers a stream's largest image, `decoded` bytes (a stream with none changes nothing).
    pub fn remember(&self, decoded: usize) {
        if decoded > 0 {
            self.0.store(decoded, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_image_is_remembered_by_every_clone_and_a_stream_without_one_changes_nothing() {
        let room = ImageRoom::default();
        let clone = room.clone();
        assert_eq!(room.get(), 0);
        clone.remember(8_000_000);
        assert_eq!(room.get(), 8_000_000);
        room.remember(0);
        assert_eq!(clone.get(), 8_000_000);
        room.remember(1_000_000);
        assert_eq!(clone.get(), 1_000_000);
    }
}
