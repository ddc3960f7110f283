//! Decoding a 2.7 MB image response allocates at most 1.5 × (body + image): counted bytes, not
//! time. One test in its own binary, so that no other test allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine as _;
use gemini_image::types::GenerateContentResponse;
use gemini_image::{ResponseExt, codec};

/// Counts the bytes asked for while `COUNTING` is on (a grown block counts its growth).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted<T>(work: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATED.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let result = work();
    COUNTING.store(false, Ordering::SeqCst);
    (result, ALLOCATED.load(Ordering::SeqCst))
}

#[test]
fn decoding_an_image_response_allocates_little_beyond_the_image() {
    let image: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let body = serde_json::to_vec_pretty(&serde_json::json!({
        "candidates": [{
            "content": {"parts": [
                {"text": "Here you are."},
                {"inlineData": {"mimeType": "image/png", "data": base64::engine::general_purpose::STANDARD.encode(&image)}}
            ], "role": "model"},
            "finishReason": "STOP", "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},
        "modelVersion": "gemini-3.1-flash-image"
    }))
    .unwrap();

    let (response, allocated) =
        counted(|| codec::from_body::<GenerateContentResponse>(&body).unwrap());
    assert!(response.images()[0].bytes == image);
    let limit = (body.len() + image.len()) * 3 / 2;
    assert!(
        allocated <= limit,
        "allocated {allocated} bytes for a {} byte body and a {} byte image (limit {limit})",
        body.len(),
        image.len()
    );
    // And the image is not copied: the decoded buffer is the only large allocation.
    assert!(allocated < image.len() + 64 * 1024, "allocated {allocated}");
}
