//! Whole calls over loopback, beside the wire's limits in the same run: a server that answers
//! every request with the same bytes (Google's answer for one image), read by
//!
//! * `raw_socket` — a keep-alive TCP connection reading the body into one buffer, no HTTP
//!   library and nothing decoded: the physical limit;
//! * `raw_reqwest` — reqwest's `bytes()`, nothing decoded: what any client built on reqwest
//!   pays before it starts on the JSON;
//! * `gemini_image` — `Client::generate_content`, the image decoded and ready;
//! * `gemini_image_stream` (4K only) — `stream_generate_content` to the whole answer, over the
//!   same bytes as Server-Sent Events;
//! * `gemini_rust` — the peer a Rust user would pick instead (gemini-rust 2.1.0), the image's
//!   base64 decoded with the `base64` crate as its users do.
//!
//! Under `cargo bench` (not the once-through run of `cargo test --benches`), the official SDKs
//! are timed on the same server by small scripts — google-genai (Python) and @google/genai
//! (Node), where `cargo xtask test` installed them — and their medians written to
//! `target/criterion/unary_peers.json` for the table.
//!
//! `cargo bench -p gemini-image --bench unary_call`; `cargo xtask bench` prints the table.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gemini_image::types::GenerateContentRequest;
use gemini_image::{Client, RequestBuilder, ResponseExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod fixtures;
use base64::Engine as _;
use fixtures::{generate_content_sse, image_of, response_json, target_dir};

const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

/// A whole HTTP/1.1 answer, head and body, written as one.
fn answer(content_type: &str, body: &[u8]) -> Bytes {
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Bytes::from(bytes)
}

/// Serves `unary` to every request, and `stream` to a `streamGenerateContent` one, on
/// keep-alive connections; returns the address.
async fn serve(unary: Bytes, stream: Bytes) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (unary, stream) = (unary.clone(), stream.clone());
            tokio::spawn(async move {
                let _ = answer_each(socket, unary, stream).await;
            });
        }
    });
    address
}

async fn answer_each(mut socket: TcpStream, unary: Bytes, stream: Bytes) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let mut received = Vec::with_capacity(64 * 1024);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        // One request: its head, then its `content-length` body.
        let (head_end, length) = loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
            let n = socket.read(&mut buffer).await?;
            if n == 0 {
                return Ok(());
            }
            received.extend_from_slice(&buffer[..n]);
        };
        while received.len() < head_end + length {
            let n = socket.read(&mut buffer).await?;
            if n == 0 {
                return Ok(());
            }
            received.extend_from_slice(&buffer[..n]);
        }
        let streamed = received[..head_end]
            .windows(21)
            .any(|w| w == b"streamGenerateContent");
        received.drain(..head_end + length);
        socket
            .write_all(if streamed { &stream } else { &unary })
            .await?;
    }
}

/// The request every case sends: a prompt, as the client writes it.
fn request() -> GenerateContentRequest {
    RequestBuilder::image().text("a lighthouse at dusk").build()
}

/// One call on a kept-alive raw connection: the request's bytes out, the body read into one
/// buffer made once from `content-length`.
async fn raw_call(socket: &mut TcpStream, request: &[u8]) -> Vec<u8> {
    socket.write_all(request).await.unwrap();
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    // The head byte by byte is some 100 reads of a few hundred bytes: noise beside megabytes.
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.unwrap();
    body
}

fn unary_group(c: &mut Criterion, group_name: &str, image_len: usize, with_stream: bool) {
    let image = image_of(image_len);
    let unary_body = serde_json::to_vec_pretty(&response_json(&image)).unwrap();
    let stream_body = generate_content_sse(&image);
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let address = server.block_on(serve(
        answer("application/json; charset=UTF-8", &unary_body),
        answer("text/event-stream", &stream_body),
    ));
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = format!("http://{address}");
    let url = format!("{base}/v1beta/models/{MODEL}:generateContent");
    let request = request();
    let request_body = gemini_image::codec::to_body(&request).unwrap();
    let raw_request = {
        let mut bytes = format!(
            "POST /v1beta/models/{MODEL}:generateContent HTTP/1.1\r\nhost: {address}\r\n\
             content-type: application/json\r\nx-goog-api-key: bench-key\r\ncontent-length: {}\r\n\r\n",
            request_body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&request_body);
        bytes
    };
    let client = client_runtime.block_on(async {
        Client::builder()
            .api_key("bench-key")
            .base_url(&base)
            .build()
            .unwrap()
    });
    let reqwest = reqwest::Client::new();
    let mut socket = client_runtime.block_on(async {
        let socket = TcpStream::connect(address).await.unwrap();
        socket.set_nodelay(true).unwrap();
        socket
    });

    // Every case reads the same answer.
    let sdk = || {
        client_runtime
            .block_on(client.generate_content(MODEL, &request))
            .unwrap()
    };
    assert!(sdk().images()[0].bytes == image);
    assert_eq!(
        client_runtime.block_on(raw_call(&mut socket, &raw_request)),
        unary_body
    );

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(unary_body.len() as u64));
    group.sample_size(20);
    group.bench_function("raw_socket", |b| {
        b.iter(|| client_runtime.block_on(raw_call(&mut socket, &raw_request)))
    });
    group.bench_function("raw_reqwest", |b| {
        b.iter(|| {
            client_runtime.block_on(async {
                reqwest
                    .post(&url)
                    .header("x-goog-api-key", "bench-key")
                    .header("content-type", "application/json")
                    .body(request_body.clone())
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
            })
        })
    });
    group.bench_function("gemini_image", |b| b.iter(sdk));
    let peer = gemini_rust::GeminiBuilder::new("bench-key")
        .with_model(gemini_rust::Model::Gemini31FlashImage)
        .with_base_url(reqwest::Url::parse(&format!("{base}/v1beta/")).unwrap())
        .build()
        .unwrap();
    // The same operation on the same bytes as ours: gemini-rust marks generateContent deprecated
    // in favour of its Interactions client, but that is another wire.
    #[allow(deprecated)]
    let rust_peer = || {
        client_runtime.block_on(async {
            let response = peer
                .generate_content()
                .with_user_message("a lighthouse at dusk")
                .execute()
                .await
                .unwrap();
            let parts = response.candidates[0].content.parts.as_ref().unwrap();
            let data = parts
                .iter()
                .find_map(|part| match part {
                    gemini_rust::Part::InlineData { inline_data, .. } => Some(&inline_data.data),
                    _ => None,
                })
                .unwrap();
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap()
        })
    };
    assert!(rust_peer() == image);
    group.bench_function("gemini_rust", |b| b.iter(rust_peer));
    if with_stream {
        let streamed = || {
            client_runtime.block_on(async {
                client
                    .stream_generate_content(MODEL, &request)
                    .await
                    .unwrap()
                    .collect_response()
                    .await
                    .unwrap()
            })
        };
        assert!(streamed().images()[0].bytes == image);
        group.bench_function("gemini_image_stream", |b| b.iter(streamed));
    }
    group.finish();
    if std::env::args().any(|arg| arg == "--bench") {
        time_official_sdks(group_name, &base, image.len());
    }
}

/// Times google-genai and @google/genai on the server at `base`, where they are installed, and
/// records their medians under `group` in `target/criterion/unary_peers.json`.
fn time_official_sdks(group: &str, base: &str, image_len: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let calls = if image_len > 4_000_000 { "20" } else { "50" };
    let python = root.join("target/conformance/python/bin/python");
    let js = root.join("conformance/js");
    let peers = [
        (
            "google_genai",
            python.exists().then(|| {
                let mut command = Command::new(&python);
                command.arg(root.join("conformance/python/bench_peer.py"));
                command
            }),
        ),
        (
            "google_genai_js",
            js.join("node_modules/@google/genai").exists().then(|| {
                let mut command = Command::new("node");
                command.arg("bench_peer.mjs").current_dir(&js);
                command
            }),
        ),
    ];
    let path = target_dir().join("criterion/unary_peers.json");
    let mut recorded: serde_json::Value = std::fs::read(&path)
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    for (name, command) in peers {
        let Some(mut command) = command else {
            println!("{group}/{name}: not installed (`cargo xtask test` installs it); skipped");
            recorded[group][name] = serde_json::Value::Null;
            continue;
        };
        let output = command.args([base, MODEL, calls]).output();
        let measured = output.ok().filter(|o| o.status.success()).and_then(|o| {
            serde_json::from_slice::<serde_json::Value>(&o.stdout)
                .ok()
                .filter(|v| v["image_bytes"].as_u64() == Some(image_len as u64))
        });
        match measured {
            Some(measured) => {
                println!(
                    "{group}/{name}: median {} ns per call",
                    measured["median_ns"]
                );
                recorded[group][name] = measured["median_ns"].clone();
            }
            None => {
                println!("{group}/{name}: the script failed; skipped");
                recorded[group][name] = serde_json::Value::Null;
            }
        }
    }
    let _ = std::fs::create_dir_all(target_dir().join("criterion"));
    std::fs::write(&path, serde_json::to_vec_pretty(&recorded).unwrap()).unwrap();
}

/// A 4K image of Google's weight (some 8 MB; 11 MB of base64).
fn unary_4k(c: &mut Criterion) {
    unary_group(c, "unary_4k", 8_000_000, true);
}

/// A 1024² PNG of Google's weight (some 1.6 MB).
fn unary_1k_png(c: &mut Criterion) {
    unary_group(c, "unary_1k_png", 1_600_000, false);
}

criterion_group!(benches, unary_4k, unary_1k_png);
criterion_main!(benches);
