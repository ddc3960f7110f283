//! The seeded noise that gives a drawn picture a photograph's weight once encoded.
//!
//! Noise is read from one pool of random bytes made once per process, at an offset the seed
//! and the row choose: adding it is a pass the compiler vectorises, and the same seed gives the
//! same bytes in every process (the pool comes from a fixed seed), so an answer and its ETag
//! stay a function of the request.

use std::sync::OnceLock;

use xxhash_rust::xxh3::xxh3_64;

/// The pool's length: 1 MiB of noise, and a row's worth beyond it, so that any offset under
/// `POOL_SPAN` has a whole row (up to 16,384 RGB pixels, the widest picture the mock accepts).
const POOL_SPAN: usize = 1 << 20;
const LONGEST_ROW: usize = 16_384 * 3;

fn pool() -> &'static [u8] {
    static POOL: OnceLock<Box<[u8]>> = OnceLock::new();
    POOL.get_or_init(|| {
        // xorshift64: fixed seed, so every process makes the same pool.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..POOL_SPAN + LONGEST_ROW)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect()
    })
}

/// Adds up to `strength` of noise to every byte of `row` (row `y` of the picture `seed` draws),
/// saturating at white.
pub fn add_noise(row: &mut [u8], seed: u64, y: u64, strength: u8) {
    let pool = pool();
    let offset = row_offset(seed, y);
    let strength = u16::from(strength);
    // A row longer than the pool's spare (wider than the mock ever draws) wraps around.
    for (chunk_index, chunk) in row.chunks_mut(LONGEST_ROW).enumerate() {
        let start = (offset + chunk_index * 7919) % POOL_SPAN;
        let noise = &pool[start..start + chunk.len()];
        for (byte, noise) in chunk.iter_mut().zip(noise) {
            *byte = byte.saturating_add(((u16::from(*noise) * strength) >> 8) as u8);
        }
    }
}

/// Where row `y` of the picture `seed` draws starts reading the pool.
fn row_offset(seed: u64, y: u64) -> usize {
    (xxh3_64(&(seed ^ y.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes()) % POOL_SPAN as u64)
        as usize
}

/// `len` (at most 49,152) noise bytes for row `y` of the picture `seed` draws: the bytes
/// [`add_noise`] would read first, for a caller that uses noise its own way.
pub fn noise_row(seed: u64, y: u64, len: usize) -> &'static [u8] {
    let start = row_offset(seed, y);
    &pool()[start..start + len.min(LONGEST_ROW)]
}

/// `len` bytes of the noise pool from its start: the same in every process.
pub fn noise_bytes(len: usize) -> &'static [u8] {
    &pool()[..len.min(POOL_SPAN)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_a_function_of_seed_and_row_and_bounded_by_its_strength() {
        let mut a = vec![100u8; 3000];
        let mut b = a.clone();
        add_noise(&mut a, 7, 3, 20);
        add_noise(&mut b, 7, 3, 20);
        assert_eq!(a, b);
        assert!(a.iter().all(|&v| (100..120).contains(&v)));
        assert!(a.iter().any(|&v| v != a[0]), "it is noise");
        let mut other_row = vec![100u8; 3000];
        add_noise(&mut other_row, 7, 4, 20);
        assert_ne!(a, other_row);
    }

    #[test]
    fn rows_longer_than_the_spare_are_filled_too() {
        let mut row = vec![0u8; LONGEST_ROW * 2 + 5];
        add_noise(&mut row, 1, 1, 255);
        assert!(row[LONGEST_ROW * 2..].iter().any(|&v| v != 0));
    }

    #[test]
    fn a_saturated_pixel_stays_white() {
        let mut row = vec![255u8; 300];
        add_noise(&mut row, 1, 1, 255);
        assert!(row.iter().all(|&v| v == 255));
    }
}
