//! A unary call over loopback holds at most its image and 2 MiB more at any moment: the answer's
//! base64 is decoded from the network's pieces as they arrive, and the body is never gathered
//! whole (issue 21's target). Counted bytes, not time; one test in its own binary, so that no
//! other test allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use base64::Engine as _;
use gemini_image::ResponseExt;
use tokio::io::AsyncWriteExt;

/// Tracks the bytes live while `COUNTING` is on, and their peak.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(by: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize);
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grew(-(layout.size() as isize));
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Serves `body` (a `content-length` answer, written in 64 KiB pieces as a network delivers
/// it) to every request; returns the base URL.
async fn serve(body: bytes::Bytes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                read_request(&mut socket).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await.unwrap();
                for piece in body.chunks(64 * 1024) {
                    if socket.write_all(piece).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

async fn read_request(socket: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = Vec::new();
    loop {
        let n = socket.read(&mut buffer).await.unwrap();
        received.extend_from_slice(&buffer[..n]);
        // The request's body is a small JSON object ending in `}`.
        if n == 0 || received.ends_with(b"}") {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unary_4k_call_holds_its_image_and_at_most_2_mib_more() {
    // A 4K image's weight (Google's are several MB); noise, as a photo's bytes are.
    let image: Vec<u8> = (0..6_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let body = serde_json::to_vec_pretty(&serde_json::json!({
        "candidates": [{
            "content": {"parts": [
                {"text": "Here you are."},
                {"inlineData": {"mimeType": "image/jpeg", "data": base64::engine::general_purpose::STANDARD.encode(&image)}}
            ], "role": "model"},
            "finishReason": "STOP", "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 2520, "totalTokenCount": 2532},
        "modelVersion": "gemini-3.1-flash-image"
    }))
    .unwrap();
    let base = serve(bytes::Bytes::from(body)).await;
    let client = gemini_image::Client::builder()
        .api_key("test-key")
        .base_url(&base)
        .build()
        .unwrap();
    // A first call opens the connection and warms what the client keeps.
    let first = client
        .generate_image(gemini_image::models::GEMINI_3_1_FLASH_IMAGE, "a lighthouse")
        .await
        .unwrap();
    assert!(first.images()[0].bytes == image);
    drop(first);

    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let response = client
        .generate_image(gemini_image::models::GEMINI_3_1_FLASH_IMAGE, "a lighthouse")
        .await;
    COUNTING.store(false, Ordering::SeqCst);
    let response = response.unwrap();
    assert!(response.images()[0].bytes == image);
    let peak = PEAK.load(Ordering::SeqCst);
    let limit = image.len() as isize + 2 * 1024 * 1024;
    eprintln!("peak: {peak} bytes for a {} byte image", image.len());
    assert!(
        peak <= limit,
        "the call held {peak} bytes at its peak for a {} byte image (limit {limit})",
        image.len()
    );
}
