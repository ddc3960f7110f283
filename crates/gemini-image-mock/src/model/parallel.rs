//! Spreading a picture's work over the cores with scoped threads: rendering runs on a blocking
//! thread already, and a 4K picture is tens of milliseconds of work per core, so a thread per
//! core and per picture costs little beside it (a pool would be one more thing to size).

use std::sync::OnceLock;

/// Pictures under this many bytes are drawn on the calling thread: splitting costs more.
const MIN_PARALLEL_BYTES: usize = 512 * 1024;

/// The cores this process may use (read once).
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// `f(item)` for every item, on up to one thread per core; results in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 || cores() < 2 {
        return items.iter().map(&f).collect();
    }
    let per_thread = items.len().div_ceil(cores());
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            // A panic in `f` is a bug in this crate: carry it to the caller as it was.
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    })
}

/// Calls `f(y, row)` for every row of `buffer` (rows of `row_bytes`), bands of rows on up to
/// one thread per core.
pub fn rows(buffer: &mut [u8], row_bytes: usize, f: impl Fn(usize, &mut [u8]) + Sync) {
    if row_bytes == 0 {
        return;
    }
    let height = buffer.len() / row_bytes;
    let threads = if buffer.len() < MIN_PARALLEL_BYTES {
        1
    } else {
        cores().min(height)
    };
    if threads < 2 {
        for (y, row) in buffer.chunks_exact_mut(row_bytes).enumerate() {
            f(y, row);
        }
        return;
    }
    let band_rows = height.div_ceil(threads);
    std::thread::scope(|scope| {
        for (band, rows) in buffer.chunks_mut(band_rows * row_bytes).enumerate() {
            let f = &f;
            scope.spawn(move || {
                for (i, row) in rows.chunks_exact_mut(row_bytes).enumerate() {
                    f(band * band_rows + i, row);
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_visited_once_with_its_own_index() {
        let (width, height) = (1000, 700);
        let mut buffer = vec![0u8; width * height];
        rows(&mut buffer, width, |y, row| row.fill((y % 251) as u8 + 1));
        for (y, row) in buffer.chunks(width).enumerate() {
            assert!(row.iter().all(|&b| b == (y % 251) as u8 + 1), "row {y}");
        }
    }

    #[test]
    fn map_keeps_the_order() {
        let items: Vec<u32> = (0..37).collect();
        assert_eq!(
            map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
    }
}
