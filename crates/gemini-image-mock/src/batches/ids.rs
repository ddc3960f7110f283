//! Batch ids: 36 lowercase letters and digits, as Google's
//! (`batches/leg9wy9p5df66syjxke2eq4xfjqcwp47ejv3`).

use rand::Rng;

const ID_CHARS: usize = 36;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new batch id, without `batches/`.
pub fn new_batch_id() -> String {
    let mut rng = rand::rng();
    (0..ID_CHARS)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Whether `id` could be one of ours: anything else is answered as an unknown batch without
/// a lookup (and never becomes a path in the data directory).
pub fn is_batch_id(id: &str) -> bool {
    id.len() == ID_CHARS && id.bytes().all(|b| ALPHABET.contains(&b))
}

/// The results file of a batch with file input: `files/batch-{id}` (42 characters, past the
/// 40 a client may ask for: only the API names files so).
pub fn results_file_id(batch_id: &str) -> String {
    format!("batch-{batch_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_googles() {
        let id = new_batch_id();
        assert!(is_batch_id(&id), "{id}");
        assert!(!is_batch_id("leg9wy9p5df66syjxke2eq4xfjqcwp47ejv"));
        assert!(!is_batch_id("LEG9WY9P5DF66SYJXKE2EQ4XFJQCWP47EJV3"));
        assert!(!is_batch_id("../9wy9p5df66syjxke2eq4xfjqcwp47ejv3"));
        assert_eq!(results_file_id("abc"), "batch-abc");
    }
}
