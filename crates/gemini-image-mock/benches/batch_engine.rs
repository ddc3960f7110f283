//! The mock's batch engine against the same requests sent one at a time, in one run, over
//! loopback to a real HTTP client (reqwest, keep-alive):
//!
//! * `batch_engine/sequential_generate_content` — N `generateContent` calls, each awaited
//!   before the next (what a client without batch mode does);
//! * `batch_engine/batch_immediate` — one inline `batchGenerateContent` of the same N requests
//!   at `--batch-pace immediate`, polled until it has succeeded, then read once with its
//!   results inline.
//!
//! Every prompt is new (a counter in it): a repeated request would be answered from the
//! mock's response cache, which batch lines do not use, and the comparison would be unfair.
//! Images are 512 px, so that the run measures the engine more than the JPEG encoder.
//!
//! `cargo bench -p gemini-image-mock --bench batch_engine` runs 1,000 requests a case (the
//! issue's figure); `cargo test --benches` runs 20, each case once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gemini_image_mock::MockServer;
use serde_json::{Value, json};

const MODEL: &str = "gemini-3.1-flash-image";
const BENCH_LINES: usize = 1000;
const TEST_LINES: usize = 20;

/// Makes every prompt of the run new.
static PROMPTS: AtomicU64 = AtomicU64::new(0);

fn request() -> Value {
    let n = PROMPTS.fetch_add(1, Ordering::Relaxed);
    json!({
        "contents": [{"role": "user", "parts": [{"text": format!("a paper boat, number {n}")}]}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"imageSize": "512"},
        },
    })
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let response = client
        .post(url)
        .header("x-goog-api-key", "bench")
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn sequential(client: &reqwest::Client, base: &str, lines: usize) {
    let url = format!("{base}/v1beta/models/{MODEL}:generateContent");
    for _ in 0..lines {
        let answer = post(client, &url, &request()).await;
        assert!(answer["candidates"][0]["content"]["parts"].is_array());
    }
}

async fn batch(client: &reqwest::Client, base: &str, lines: usize) {
    let requests: Vec<Value> = (0..lines)
        .map(|i| json!({"request": request(), "metadata": {"key": i.to_string()}}))
        .collect();
    let body = json!({"batch": {"displayName": "bench", "inputConfig": {"requests": {"requests": requests}}}});
    let created = post(
        client,
        &format!("{base}/v1beta/models/{MODEL}:batchGenerateContent"),
        &body,
    )
    .await;
    let name = created["name"].as_str().unwrap().to_owned();
    let url = format!("{base}/v1beta/{name}");
    loop {
        let batch: Value = client
            .get(&url)
            .header("x-goog-api-key", "bench")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if batch["done"] == true {
            assert_eq!(batch["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
            let answers = &batch["response"]["inlinedResponses"]["inlinedResponses"];
            assert_eq!(answers.as_array().map(Vec::len), Some(lines));
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Not kept: the mock's store is bounded, and the next iteration makes another.
    client
        .delete(&url)
        .header("x-goog-api-key", "bench")
        .send()
        .await
        .unwrap();
}

fn batch_engine(c: &mut Criterion) {
    let lines = if std::env::args().any(|a| a == "--bench") {
        BENCH_LINES
    } else {
        TEST_LINES
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime.block_on(MockServer::start()).unwrap();
    let base = mock.uri().to_string();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut group = c.benchmark_group("batch_engine");
    group.sample_size(10);
    group.bench_function("sequential_generate_content", |b| {
        b.iter(|| runtime.block_on(sequential(&client, &base, lines)))
    });
    group.bench_function("batch_immediate", |b| {
        b.iter(|| runtime.block_on(batch(&client, &base, lines)))
    });
    group.finish();
    drop(mock);
}

criterion_group!(benches, batch_engine);
criterion_main!(benches);
