//! The mock serving answers over loopback to a real HTTP client (reqwest, keep-alive), beside a
//! minimal axum handler that returns the very same bytes from memory, in the same group and run:
//! what the mock's own work (routing, auth, validation, scenarios, journal, cache) costs.
//!
//! `cargo bench -p gemini-image-mock --bench mock_serve`; `cargo xtask bench` prints the table.

use std::time::Duration;

use axum::routing::post;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gemini_image_mock::{CannedImages, Config, MockServer};

const IMAGE_REQUEST: &str = r#"{"contents":[{"role":"user","parts":[{"text":"Draw a nano banana dish in a fancy restaurant"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"]}}"#;
const TEXT_REQUEST: &str = r#"{"contents":[{"role":"user","parts":[{"text":"Say hello"}]}]}"#;

/// A directory holding one 2,000,000-byte PNG-signed file, as in performance-notes.md.
fn image_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mock-serve-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((bytes.len()..2_000_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    }));
    std::fs::write(dir.join("image.png"), bytes).unwrap();
    dir
}

async fn post_body(client: &reqwest::Client, url: &str, body: &'static str) -> Bytes {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-goog-api-key", "bench")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap()
}

/// A server answering every POST with `body`, as little as axum can do.
async fn minimal(image: Bytes, text: Bytes) -> String {
    let app = axum::Router::new()
        .route(
            "/image",
            post(move |_: Bytes| {
                let image = image.clone();
                async move { ([("content-type", "application/json; charset=UTF-8")], image) }
            }),
        )
        .route(
            "/text",
            post(move |_: Bytes| {
                let text = text.clone();
                async move { ([("content-type", "application/json; charset=UTF-8")], text) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn mock_serve(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = image_dir();
    let mock = runtime
        .block_on(MockServer::start_with(Config {
            images: Some(CannedImages::from_dir(&dir).unwrap()),
            ..Config::default()
        }))
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let image_url = format!(
        "{}/v1beta/models/gemini-3.1-flash-image:generateContent",
        mock.uri()
    );
    let text_url = format!(
        "{}/v1beta/models/gemini-3.5-flash:generateContent",
        mock.uri()
    );
    // The first answer renders and fills the cache; the bench measures what follows.
    let image = runtime.block_on(post_body(&client, &image_url, IMAGE_REQUEST));
    let text = runtime.block_on(post_body(&client, &text_url, TEXT_REQUEST));
    assert!(image.len() > 2_600_000, "{}", image.len());
    let minimal_url = runtime.block_on(minimal(image.clone(), text.clone()));
    let minimal_image = format!("{minimal_url}/image");
    let minimal_text = format!("{minimal_url}/text");
    assert_eq!(
        runtime.block_on(post_body(&client, &minimal_image, IMAGE_REQUEST)),
        image
    );

    let mut group = c.benchmark_group("mock_serve");
    group.throughput(Throughput::Bytes(image.len() as u64));
    group.bench_function("image/gemini_image_mock", |b| {
        b.iter(|| runtime.block_on(post_body(&client, &image_url, IMAGE_REQUEST)))
    });
    group.bench_function("image/minimal_axum", |b| {
        b.iter(|| runtime.block_on(post_body(&client, &minimal_image, IMAGE_REQUEST)))
    });
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("text/gemini_image_mock", |b| {
        b.iter(|| runtime.block_on(post_body(&client, &text_url, TEXT_REQUEST)))
    });
    group.bench_function("text/minimal_axum", |b| {
        b.iter(|| runtime.block_on(post_body(&client, &minimal_text, TEXT_REQUEST)))
    });
    group.finish();
    // The journal keeps 1000 entries; the server drops with the runtime.
    drop(mock);
}

criterion_group!(benches, mock_serve);
criterion_main!(benches);
