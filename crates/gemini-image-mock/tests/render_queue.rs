//! A refusal never waits in the render queue: renders run one per core (`cache.rs`), so under
//! load a request waits its turn, but one the model refuses from its headers (a pixel bomb) is
//! answered at once. The queue is watched through the mock's "render queued" and "render
//! started" events (a test binary of its own: its global subscriber counts every render).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gemini_image_types::Base64Bytes;
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

static QUEUED: AtomicUsize = AtomicUsize::new(0);
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Long enough for a slow CI machine; a hang still fails.
const GENEROUS: Duration = Duration::from_secs(60);

struct CountQueue;

impl<S: tracing::Subscriber> Layer<S> for CountQueue {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(Option<String>);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = Some(format!("{value:?}"));
                }
            }
        }
        let mut message = Message(None);
        event.record(&mut message);
        match message.0.as_deref() {
            Some("render queued") => QUEUED.fetch_add(1, Ordering::SeqCst),
            Some("render started") => STARTED.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

/// A PNG of a few dozen bytes whose header declares 20000×20000 one-bit pixels (400
/// megapixels, past the 32 the mock reads) and whose IDAT holds a single stored empty block.
fn pixel_bomb() -> Vec<u8> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, 20_000, 20_000);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().expect("a header");
    let idat = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1];
    writer
        .write_chunk(png::chunk::IDAT, &idat)
        .expect("an IDAT");
    writer.finish().expect("an IEND");
    png
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .header("x-goog-api-key", "k")
        .json(body)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits until `done` holds, or fails the test after `GENEROUS`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < GENEROUS, "{what} within {GENEROUS:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pixel_bomb_is_refused_while_every_render_permit_is_held() {
    tracing::subscriber::set_global_default(Registry::default().with(CountQueue))
        .expect("the only subscriber of this test binary");
    let server = gemini_image_mock::MockServer::start()
        .await
        .expect("the mock starts");
    let url = format!(
        "{}/v1beta/models/gemini-3.1-flash-image:generateContent",
        server.uri()
    );
    let client = reqwest::Client::new();

    // Four waves of distinct 4K renders (tens of milliseconds each) for the permits, one per
    // core: all but the first wave wait in the queue.
    let permits = std::thread::available_parallelism().map_or(1, usize::from);
    let renders = 4 * permits + 2;
    let mut waiting = Vec::new();
    for n in 0..renders {
        let (client, url) = (client.clone(), url.clone());
        let body = json!({
            "contents": [{"parts": [{"text": format!("a lighthouse at dusk, view {n}")}]}],
            "generationConfig": {"imageConfig": {"imageSize": "4K"}}
        });
        waiting.push(tokio::spawn(
            async move { post(&client, &url, &body).await.0 },
        ));
    }
    until("every render queued", || {
        QUEUED.load(Ordering::SeqCst) >= renders
    })
    .await;
    let started = STARTED.load(Ordering::SeqCst);
    assert!(
        started < renders,
        "renders wait for a permit when the bomb is sent ({started} of {renders} started)"
    );

    let bomb = json!({"contents": [{"role": "user", "parts": [
        {"text": "make it blue"},
        {"inlineData": {"mimeType": "image/png", "data": Base64Bytes::from(pixel_bomb()).encode()}},
    ]}]});
    let (status, body) = tokio::time::timeout(GENEROUS, post(&client, &url, &bomb))
        .await
        .expect("the bomb is answered");
    // Every render it would have queued behind had to start before it, were it queued.
    let started = STARTED.load(Ordering::SeqCst);
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("20000x20000"), "{message}");
    assert!(
        started < renders,
        "the bomb was refused while renders still waited for a permit ({started} of {renders} \
         started)"
    );

    for render in waiting {
        let status = tokio::time::timeout(GENEROUS, render)
            .await
            .expect("every render ends")
            .expect("the task runs");
        assert_eq!(status, 200);
    }
}
