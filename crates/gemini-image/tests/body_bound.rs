//! A 2xx body is bounded (`ClientBuilder::max_body`, 256 MiB by default): a server that sends an
//! endless answer — a JSON string that never closes, a stream event that never ends — gets an
//! error as soon as the bound is passed, and the client never holds more than the bound. Tested
//! with a bound of 1 MiB over loopback (the default would take 256 MiB through a debug build);
//! the server generates its zeros, never holds them, and stops at `SERVER_CAP` so that a client
//! without the bound fails this test instead of filling memory. Counted bytes; one test in its
//! own binary, so that no other test allocates while it counts.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[path = "support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::measure;

const BOUND: usize = 1024 * 1024;
/// What the server sends at most: far past the bound, far under what a client gathering the
/// body would take to be noticed.
const SERVER_CAP: u64 = 64 * 1024 * 1024;
/// One chunk of the endless string.
static ZEROS: [u8; 64 * 1024] = [b'0'; 64 * 1024];

/// Serves an endless chunked body to every request (an SSE event for a stream, a JSON object
/// otherwise) and reports on `sent` how many bytes each connection took before it was dropped.
async fn serve(sent: mpsc::UnboundedSender<u64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sent = sent.clone();
            tokio::spawn(async move {
                let streamed = read_request(&mut socket).await;
                let (content_type, opening) = if streamed {
                    (
                        "text/event-stream",
                        &b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \""[..],
                    )
                } else {
                    (
                        "application/json; charset=UTF-8",
                        &b"{\"totalTokens\": 1, \"candidates\": [{\"content\": {\"parts\": [{\"text\": \""[..],
                    )
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
                    opening.len()
                );
                let mut total = 0u64;
                let mut ok = socket.write_all(head.as_bytes()).await.is_ok()
                    && socket.write_all(opening).await.is_ok();
                let chunk_head = format!("\r\n{:x}\r\n", ZEROS.len());
                while ok && total < SERVER_CAP {
                    ok = socket.write_all(chunk_head.as_bytes()).await.is_ok()
                        && socket.write_all(&ZEROS).await.is_ok();
                    total += ZEROS.len() as u64;
                }
                let _ = sent.send(total);
            });
        }
    });
    format!("http://{address}")
}

/// Reads a request (head and `content-length` body); whether it asked for a stream.
async fn read_request(socket: &mut tokio::net::TcpStream) -> bool {
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = socket.read(&mut buffer).await.unwrap();
        received.extend_from_slice(&buffer[..n]);
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            assert!(n > 0, "the request ended inside its head");
            continue;
        };
        let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        if received.len() >= end + 4 + length || n == 0 {
            return head.contains("streamgeneratecontent");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_2xx_body_fails_at_the_bound_and_is_never_gathered() {
    let (sent, mut reports) = mpsc::unbounded_channel();
    let base = serve(sent).await;
    let client = gemini_image::Client::builder()
        .api_key("test-key")
        .base_url(&base)
        .max_body(BOUND)
        .build()
        .unwrap();
    let model = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;
    let request = gemini_image::RequestBuilder::image()
        .text("a lighthouse")
        .build();

    let unary = measure(|| async {
        client
            .generate_image(model, "a lighthouse")
            .await
            .map(|_| ())
    })
    .await;
    let streamed = measure(|| async {
        match client.stream_generate_content(model, &request).await {
            Ok(stream) => stream.collect_response().await.map(|_| ()),
            Err(error) => Err(error),
        }
    })
    .await;
    // The control plane: the generated client's answer, read by the transport's hooks.
    let control = measure(|| async {
        client
            .count_tokens(model, &gemini_image::types::CountTokensRequest::default())
            .await
            .map(|_| ())
    })
    .await;

    for (call, (outcome, peak), says) in [
        ("unary", unary, format!("larger than {BOUND} bytes")),
        (
            "streamed",
            streamed,
            format!("event is larger than {BOUND} bytes"),
        ),
        (
            "control plane",
            control,
            format!("larger than {BOUND} bytes"),
        ),
    ] {
        let error = outcome.expect_err(call);
        let text = error.to_string();
        assert!(text.contains(&says), "{call}: {text}");
        assert!(
            !error.is_retryable(),
            "{call}: an answer past the bound is no answer to ask for again"
        );
        eprintln!("{call}: peak {peak} bytes for a bound of {BOUND}");
        // The bound, the growth of the buffer that holds it, and the client's own small state.
        let limit = (3 * BOUND + 2 * 1024 * 1024) as isize;
        assert!(
            peak <= limit,
            "{call}: held {peak} bytes at its peak (limit {limit})"
        );
        // One request each: the body was not asked for again, and its connection was dropped
        // soon after the bound (what the sockets' buffers took is in flight, not held).
        let taken = tokio::time::timeout(std::time::Duration::from_secs(30), reports.recv())
            .await
            .expect("the server's connection ends once the client drops it")
            .unwrap();
        assert!(
            taken < SERVER_CAP / 2,
            "{call}: the client read {taken} bytes of an endless body"
        );
    }
    assert!(reports.try_recv().is_err(), "no call was sent twice");
}
