//! The mock under hostile input, over real loopback HTTP: decompression bombs, a journal fed
//! large bodies, and connections or bodies that stop arriving. Each test is bounded by a
//! timeout, so a regression fails instead of hanging the suite.

use std::time::Duration;

use gemini_image_mock::{Config, MockServer};
use gemini_image_types::Base64Bytes;
use reqwest::Method;
use serde_json::{Value, json};
use support::with_key;

mod support;

/// Long enough for a slow CI machine; a hang or a runaway decode still fails.
const GENEROUS: Duration = Duration::from_secs(20);

const GENERATE: &str = "/v1beta/models/gemini-3.1-flash-image:generateContent";

/// A PNG whose header declares `width`×`height` 1-bit grey pixels and whose one IDAT is
/// `idat` as given (the `png` crate writes the chunks and their CRCs; what the pixel data
/// holds is the test's to decide).
fn png_with(width: u32, height: u32, idat: &[u8]) -> Vec<u8> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().expect("a header");
    writer.write_chunk(png::chunk::IDAT, idat).expect("an IDAT");
    writer.finish().expect("an IEND");
    png
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` 1-bit grey pixels: its
/// IDAT (one stored zlib block of a single zero row) is far too short for the picture, which
/// is what a decompression bomb looks like to a reader that trusts the header.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    // zlib: header, one final stored block of 16 zero bytes, Adler-32 of them.
    let mut idat = vec![0x78, 0x01, 0x01, 16, 0, !16, 0xff];
    idat.extend_from_slice(&[0; 16]);
    idat.extend_from_slice(&0x0010_0001_u32.to_be_bytes());
    png_with(width, height, &idat)
}

/// Bits written least significant first, as deflate packs them.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: u32,
}

impl Bits {
    fn push(&mut self, value: u32, count: u32) {
        for bit in 0..count {
            if self.used.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if value >> bit & 1 == 1
                && let Some(last) = self.bytes.last_mut()
            {
                *last |= 1 << (self.used % 8);
            }
            self.used += 1;
        }
    }

    /// A Huffman code, which deflate writes most significant bit first.
    fn push_code(&mut self, code: u32, length: u32) {
        let reversed = code.reverse_bits() >> (32 - length);
        self.push(reversed, length);
    }
}

/// A whole, valid 1-bit grey PNG of `width`×`height` black pixels: a real decompression bomb,
/// its zeros deflated as one fixed-Huffman block of 258-byte copies (13 bits each), so that
/// 64 megapixels take about 50 KB.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let zeros = u64::from(height) * (1 + u64::from(width).div_ceil(8));
    let mut deflate = Bits::default();
    deflate.push(1, 1); // the final block
    deflate.push(1, 2); // fixed Huffman codes
    deflate.push_code(0x30, 8); // the literal 0
    let copies = (zeros - 1) / 258;
    for _ in 0..copies {
        deflate.push_code(0xc5, 8); // length 258 (code 285)
        deflate.push_code(0, 5); // distance 1
    }
    for _ in 0..(zeros - 1) % 258 {
        deflate.push_code(0x30, 8);
    }
    deflate.push_code(0, 7); // end of block
    let mut idat = vec![0x78, 0x01];
    idat.extend_from_slice(&deflate.bytes);
    let adler = ((zeros % 65521) << 16) as u32 | 1;
    idat.extend_from_slice(&adler.to_be_bytes());
    png_with(width, height, &idat)
}

fn inline_png(png: &[u8]) -> Value {
    json!({"inlineData": {
        "mimeType": "image/png",
        "data": Base64Bytes::from(png.to_vec()).encode(),
    }})
}

async fn post_json(server: &MockServer, body: &Value) -> (u16, Value) {
    let response = tokio::time::timeout(
        GENEROUS,
        with_key(server, Method::POST, GENERATE).json(body).send(),
    )
    .await
    .expect("answered within the timeout")
    .expect("the mock answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn an_image_declaring_more_pixels_than_the_limit_is_refused_from_its_header() {
    let server = MockServer::start().await.expect("the mock starts");
    let bomb = png_declaring(20_000, 20_000);
    assert!(bomb.len() < 200, "the test input stays tiny");
    let edit = json!({"contents": [{"role": "user", "parts": [
        {"text": "make it blue"}, inline_png(&bomb),
    ]}]});
    let (status, body) = post_json(&server, &edit).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Unable to process input image.") && message.contains("20000x20000"),
        "{message}"
    );

    // A whole bomb, valid to its last byte: 64 megapixels in 50 KB, refused all the same.
    let whole_bomb = png_bomb(8192, 8192);
    assert!(whole_bomb.len() < 64 * 1024, "{} bytes", whole_bomb.len());
    let edit = json!({"contents": [{"role": "user", "parts": [
        {"text": "make it blue"}, inline_png(&whole_bomb),
    ]}]});
    let (status, body) = post_json(&server, &edit).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("8192x8192"), "{message}");

    // The same image in an earlier turn, drawn by the model, is refused as well: every image
    // of the request is checked, though only the latest is drawn on.
    let chat = json!({"contents": [
        {"role": "user", "parts": [{"text": "draw a cat"}]},
        {"role": "model", "parts": [inline_png(&bomb)]},
        {"role": "user", "parts": [{"text": "make it blue"}]},
    ]});
    let (status, body) = post_json(&server, &chat).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("20000x20000")
    );
}

/// A body Google refuses (an unknown field) carrying `filler_bytes` of text, which the journal
/// notes before the refusal.
fn refused_body(filler_bytes: usize) -> Value {
    json!({
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "notAField": "x".repeat(filler_bytes),
    })
}

#[tokio::test]
async fn the_journal_keeps_its_byte_budget_and_the_newest_entries() {
    const BUDGET: usize = 1024 * 1024;
    let server = MockServer::start_with(Config {
        journal_bytes: BUDGET,
        ..Config::default()
    })
    .await
    .expect("the mock starts");
    for index in 0..12 {
        let response = tokio::time::timeout(
            GENEROUS,
            with_key(&server, Method::POST, GENERATE)
                .header("x-mock-test-id", format!("request-{index}"))
                .json(&refused_body(300 * 1024))
                .send(),
        )
        .await
        .expect("answered within the timeout")
        .expect("the mock answers");
        assert_eq!(response.status(), 400);
    }
    let kept = server.received_requests();
    let kept_bytes = serde_json::to_vec(&kept)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    assert!(kept_bytes <= BUDGET, "{kept_bytes} bytes kept");
    assert!(server.journal_bytes() <= BUDGET);
    assert!(
        server.journal_bytes() >= kept_bytes / 2,
        "the accounting follows the entries"
    );
    let ids: Vec<_> = kept.iter().filter_map(|e| e.test_id.clone()).collect();
    assert!(ids.len() >= 2, "{ids:?}");
    assert_eq!(
        ids.last().map(String::as_str),
        Some("request-11"),
        "the newest is kept"
    );
    assert!(
        !ids.iter().any(|id| id == "request-0"),
        "the oldest went first"
    );
    let newest = &kept[kept.len() - 1];
    assert_eq!(
        newest
            .body
            .as_ref()
            .map(|b| b["notAField"].as_str().map(str::len)),
        Some(Some(300 * 1024))
    );

    // A body larger than an entry may keep is kept as its size and hash.
    let huge = with_key(&server, Method::POST, GENERATE)
        .header("x-mock-test-id", "huge")
        .json(&refused_body(2 * 1024 * 1024))
        .send();
    let response = tokio::time::timeout(GENEROUS, huge)
        .await
        .expect("answered within the timeout")
        .expect("the mock answers");
    assert_eq!(response.status(), 400);
    let kept = server.received_requests();
    let huge = kept.last().expect("the huge request is journaled");
    assert_eq!(huge.test_id.as_deref(), Some("huge"));
    assert!(huge.body.is_none());
    let description = huge.body_description.as_deref().unwrap_or_default();
    assert!(
        description.starts_with('<') && description.contains(" bytes, "),
        "{description}"
    );
    assert!(server.journal_bytes() <= BUDGET);
}

/// Reads what the server sends until it closes the connection (or resets it).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

async fn connect(server: &MockServer) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(server.address())
        .await
        .expect("the mock accepts")
}

async fn send_raw(stream: &mut tokio::net::TcpStream, bytes: &[u8]) {
    use tokio::io::AsyncWriteExt;
    stream.write_all(bytes).await.expect("the mock reads");
}

fn short_timeouts() -> Config {
    Config {
        header_read_timeout: Duration::from_millis(300),
        body_idle_timeout: Duration::from_millis(300),
        ..Config::default()
    }
}

/// The head of a model call whose body is to be `length` bytes.
fn call_head(length: usize) -> String {
    format!(
        "POST {GENERATE} HTTP/1.1\r\nhost: localhost\r\nx-goog-api-key: test-key\r\n\
         content-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let server = MockServer::start_with(short_timeouts())
        .await
        .expect("the mock starts");
    let mut half = connect(&server).await;
    send_raw(
        &mut half,
        b"POST /v1beta/models HTTP/1.1\r\nhost: localhost\r\nx-goo",
    )
    .await;
    let mut silent = connect(&server).await;
    tokio::time::timeout(GENEROUS, read_until_closed(&mut half))
        .await
        .expect("the half-sent request's connection is closed");
    tokio::time::timeout(GENEROUS, read_until_closed(&mut silent))
        .await
        .expect("the silent connection is closed");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_not_waited_on() {
    let server = MockServer::start_with(short_timeouts())
        .await
        .expect("the mock starts");
    let mut stream = connect(&server).await;
    send_raw(&mut stream, call_head(1000).as_bytes()).await;
    send_raw(&mut stream, br#"{"contents": "#).await;
    let answer = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the stalled body is answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("stopped arriving"), "{answer}");
    assert!(!answer.contains("exceeds the limit"), "{answer}");
    let entry = server
        .received_requests()
        .pop()
        .expect("the request is journaled");
    assert_eq!(entry.status, 408);
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_not_called_too_large() {
    let server = MockServer::start().await.expect("the mock starts");
    let mut stream = connect(&server).await;
    send_raw(&mut stream, call_head(1000).as_bytes()).await;
    send_raw(&mut stream, br#"{"contents": "#).await;
    tokio::io::AsyncWriteExt::shutdown(&mut stream)
        .await
        .expect("the write half closes");
    let answer = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the cut body is answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("could not be read whole"), "{answer}");
    assert!(!answer.contains("exceeds the limit"), "{answer}");

    // A body over the limit still gets Google's words.
    let mut stream = connect(&server).await;
    send_raw(&mut stream, call_head(30 * 1024 * 1024).as_bytes()).await;
    let answer = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the large body is answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("Request payload size exceeds the limit"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_connection_over_the_cap_waits_for_a_slot() {
    let server = MockServer::start_with(Config {
        max_connections: 1,
        ..short_timeouts()
    })
    .await
    .expect("the mock starts");
    // The one slot, taken by a client that sends nothing until the header timeout frees it.
    let mut stalled = connect(&server).await;
    let stalled_closed = tokio::spawn(async move {
        read_until_closed(&mut stalled).await;
        std::time::Instant::now()
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answered = tokio::time::timeout(
        GENEROUS,
        with_key(&server, Method::GET, "/v1beta/models").send(),
    )
    .await
    .expect("the waiting client is served once the slot is free")
    .expect("the mock answers");
    let answered_at = std::time::Instant::now();
    assert_eq!(answered.status(), 200);
    let closed_at = tokio::time::timeout(GENEROUS, stalled_closed)
        .await
        .expect("the stalled connection is closed")
        .expect("the reader ends");
    assert!(
        closed_at <= answered_at,
        "the second client waited for the slot"
    );
}

#[tokio::test]
async fn an_upload_chunk_that_stops_arriving_frees_its_upload() {
    let server = MockServer::start_with(short_timeouts())
        .await
        .expect("the mock starts");
    let started = tokio::time::timeout(
        GENEROUS,
        with_key(&server, Method::POST, "/upload/v1beta/files")
            .header("X-Goog-Upload-Protocol", "resumable")
            .header("X-Goog-Upload-Command", "start")
            .header("X-Goog-Upload-Header-Content-Length", "100")
            .header("X-Goog-Upload-Header-Content-Type", "text/plain")
            .json(&json!({"file": {}}))
            .send(),
    )
    .await
    .expect("answered within the timeout")
    .expect("the mock answers");
    let url = started
        .headers()
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .expect("an upload URL")
        .to_string();
    let path = &url[url.find("/upload/").expect("the upload path")..];
    let mut stream = connect(&server).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\nx-goog-upload-command: upload, finalize\r\n\
         x-goog-upload-offset: 0\r\ncontent-length: 100\r\n\r\n"
    );
    send_raw(&mut stream, head.as_bytes()).await;
    send_raw(&mut stream, &[b'a'; 40]).await;
    let answer = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the stalled chunk is answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // The claim is gone: the whole file is sent again from offset 0 and kept.
    let resumed = tokio::time::timeout(
        GENEROUS,
        reqwest::Client::new()
            .post(format!("{}{path}", server.uri()))
            .header("X-Goog-Upload-Command", "upload, finalize")
            .header("X-Goog-Upload-Offset", "0")
            .body(vec![b'a'; 100])
            .send(),
    )
    .await
    .expect("answered within the timeout")
    .expect("the mock answers");
    assert_eq!(resumed.status(), 200, "{:?}", resumed.text().await);
}

#[test]
fn the_test_bomb_is_a_valid_png() {
    let bomb = png_bomb(64, 48);
    let picture = image::load_from_memory(&bomb).expect("a valid PNG");
    assert_eq!((picture.width(), picture.height()), (64, 48));
    assert!(picture.to_luma8().pixels().all(|p| p.0 == [0]));
}
