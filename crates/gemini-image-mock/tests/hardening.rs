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

/// CRC-32 (IEEE) of a PNG chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` 1-bit grey pixels: its
/// IDAT (one stored zlib block of a single zero row) is far too short for the picture, which
/// is what a decompression bomb looks like to a reader that trusts the header.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, grey, deflate, adaptive, no interlace
    chunk(&mut png, b"IHDR", &header);
    // zlib: header, one final stored block of 16 zero bytes, Adler-32 of them.
    let mut idat = vec![0x78, 0x01, 0x01, 16, 0, !16, 0xff];
    idat.extend_from_slice(&[0; 16]);
    idat.extend_from_slice(&0x0010_0001_u32.to_be_bytes());
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
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
