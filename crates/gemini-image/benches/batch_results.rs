//! Reading a batch's results file of 4K images, in one run:
//!
//! * `batch_results/memcpy` — copying the file once (the physical limit);
//! * `batch_results/serde_json_typed` — the file cut into lines, each parsed by `serde_json`
//!   into our `BatchResultLine` (base64 decoded by `Base64Bytes` as serde hands it over);
//! * `batch_results/gemini_image` — `gemini_image::results_from_pieces` over the file as a
//!   stream of 64 KiB pieces (as a download delivers it): each image's base64 decoded straight
//!   from the pieces as they arrive, never gathered into a line; the small rest of each line
//!   parsed at its end.
//!
//! The peak of memory the SDK allocates while reading the whole file (a counting allocator;
//! the file itself, allocated before, not counted) is written beside the times to
//! `target/criterion/batch_results_peak.json`, with the largest image, for `cargo xtask bench`
//! (the issue's bound: 2 × the largest image + 1 MiB).
//!
//! `cargo bench -p gemini-image --bench batch_results` reads a 1 GB file (about 1 GiB of
//! memory); `cargo test --benches` a small one, each case once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use futures_util::StreamExt;
use gemini_image::types::BatchResultLine;
use gemini_image::{Base64Bytes, results_from_pieces};

mod fixtures;
use fixtures::target_dir;

/// Counts the bytes allocated now and at most, to measure the peak of one reading.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = NOW.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            NOW.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The file's size under `cargo bench` (the issue's 1 GB), and a 4K PNG's size: about 12 MB
/// (3840 × 2160, barely compressible), 16 MB of base64.
const BENCH_SIZE: usize = 1_000_000_000;
const BENCH_IMAGE: usize = 12 * 1024 * 1024;
/// Under `cargo test --benches`, which runs every case once to prove it works.
const TEST_SIZE: usize = 2 * 1024 * 1024;
const TEST_IMAGE: usize = 256 * 1024;
/// A download's pieces.
const PIECE: usize = 64 * 1024;

fn main() {
    let (size, image_len) = if std::env::args().any(|a| a == "--bench") {
        (BENCH_SIZE, BENCH_IMAGE)
    } else {
        (TEST_SIZE, TEST_IMAGE)
    };
    let (file, lines) = results_file(size, image_len);
    let pieces: Vec<Bytes> = (0..file.len())
        .step_by(PIECE)
        .map(|at| file.slice(at..(at + PIECE).min(file.len())))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let read_all = |pieces: Vec<Bytes>| {
        runtime.block_on(async {
            let mut results =
                results_from_pieces(futures_util::stream::iter(pieces.into_iter().map(Ok)));
            let mut images = 0usize;
            while let Some(item) = results.next().await {
                let (_, answer) = item.expect("a results line");
                let response = answer.expect("a response");
                images += image_bytes(&response);
            }
            images
        })
    };

    // The peak of one reading, the file and its pieces already allocated.
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let images = read_all(pieces.clone());
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(images, lines * image_len, "every image read");
    write_peak(peak, image_len);

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("batch_results");
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(file.len() as u64));
    let mut copy = vec![0u8; file.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            copy.copy_from_slice(&file);
            black_box(&copy);
        })
    });
    drop(copy);
    group.bench_function("serde_json_typed", |b| {
        b.iter(|| {
            let mut images = 0;
            for line in file.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let line: BatchResultLine = serde_json::from_slice(line).expect("a results line");
                images += image_bytes(&line.response.expect("a response"));
            }
            assert_eq!(images, lines * image_len);
        })
    });
    group.bench_function("gemini_image", |b| {
        b.iter(|| assert_eq!(read_all(pieces.clone()), lines * image_len))
    });
    group.finish();
    criterion.final_summary();
}

/// The bytes of every image of a response.
fn image_bytes(response: &gemini_image::types::GenerateContentResponse) -> usize {
    response
        .candidates
        .iter()
        .filter_map(|c| c.content.as_ref())
        .flat_map(|c| &c.parts)
        .filter_map(|p| p.inline_data.as_ref()?.data.as_ref())
        .map(|d| black_box(d.len()))
        .sum()
}

/// A results file of about `size` bytes: compact lines `{"response":{…},"key":…}`, each with
/// one image of `image_len` varied bytes, as Google writes them.
fn results_file(size: usize, image_len: usize) -> (Bytes, usize) {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let image: Vec<u8> = (0..image_len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let data = Base64Bytes::from(image).encode();
    let mut file = Vec::with_capacity(size + data.len() + 1024);
    let mut lines = 0;
    while file.len() < size {
        file.extend_from_slice(
            br#"{"response":{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":""#,
        );
        file.extend_from_slice(data.as_bytes());
        file.extend_from_slice(
            format!(
                r#""}}}}],"role":"model"}},"finishReason":"STOP","index":0}}],"usageMetadata":{{"promptTokenCount":9,"candidatesTokenCount":1120,"totalTokenCount":1129,"serviceTier":"SERVICE_TIER_STANDARD"}},"modelVersion":"gemini-3.1-flash-image"}},"key":"request-{lines}"}}"#
            )
            .as_bytes(),
        );
        file.push(b'\n');
        lines += 1;
    }
    (Bytes::from(file), lines)
}

fn write_peak(peak: usize, largest_image: usize) {
    let dir = target_dir().join("criterion");
    std::fs::create_dir_all(&dir).expect("target/criterion");
    let json = serde_json::json!({ "peak_bytes": peak, "largest_image_bytes": largest_image });
    std::fs::write(dir.join("batch_results_peak.json"), json.to_string()).expect("the peak file");
    eprintln!(
        "batch_results: peak {:.1} MiB while reading, largest image {:.1} MiB",
        peak as f64 / 1048576.0,
        largest_image as f64 / 1048576.0
    );
}
