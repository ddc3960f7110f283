//! Uploading a 128 MiB file from disk never holds it whole: the most memory live at once (the
//! client's 8 MiB chunk, the test server's buffers of it — up to 24 MiB —, everything else in
//! this process; about 34 MiB measured) stays under 48 MiB. One test in its own binary, so that no other test allocates while it measures.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use gemini_image::UploadOptions;
use support::uploads::UploadServer;

/// Tracks the bytes live and their peak.
struct Peak;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

#[tokio::test]
async fn a_file_is_streamed_from_disk_not_held_whole() {
    const LEN: usize = 128 * 1024 * 1024;
    let path = std::env::temp_dir().join(format!("gemini-upload-memory-{}", std::process::id()));
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 253) as u8).collect();
        for _ in 0..LEN / block.len() {
            file.write_all(&block).unwrap();
        }
    }
    let server = UploadServer::discarding().await;
    let client = support::quick_client("k", &server.url);
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let file = client
        .files()
        .upload(path.as_path(), UploadOptions::new())
        .await
        .unwrap();
    let peak = PEAK.load(Ordering::SeqCst) - before;
    std::fs::remove_file(&path).unwrap();
    assert_eq!(file.size_bytes, Some(LEN.to_string()));
    assert_eq!(server.state.lock().unwrap().len, LEN);
    assert!(
        peak < 48 * 1024 * 1024,
        "{peak} bytes live at the peak while uploading a {LEN} byte file"
    );
    eprintln!("peak while uploading {LEN} bytes: {peak} bytes");
}
