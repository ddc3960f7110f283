//! Identical requests that arrive while the first is being rendered wait for its render: on a
//! cold cache, many identical requests cost one render, and a client that gives up does not
//! cost the others a second one. Renders are counted from the mock's "rendered an answer" event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gemini_image_mock::MockServer;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

static RENDERS: AtomicUsize = AtomicUsize::new(0);

struct CountRenders;

impl<S: tracing::Subscriber> Layer<S> for CountRenders {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(bool);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}") == "rendered an answer" {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            RENDERS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Sends `copies` identical requests for `prompt` at `size` at once; their statuses and bodies.
async fn identical(
    client: &reqwest::Client,
    url: &str,
    prompt: &str,
    size: &str,
    copies: usize,
) -> Vec<(u16, bytes::Bytes)> {
    let body = json!({
        "contents": [{"parts": [{"text": prompt}]}],
        "generationConfig": {"imageConfig": {"imageSize": size}}
    });
    let calls = (0..copies).map(|_| async {
        let response = client
            .post(url)
            .header("x-goog-api-key", "k")
            .json(&body)
            .send()
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("a whole body"))
    });
    futures_util::future::join_all(calls).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_requests_under_way_share_one_render() {
    tracing::subscriber::set_global_default(Registry::default().with(CountRenders))
        .expect("the only subscriber of this test binary");
    let server = MockServer::start().await.expect("the mock starts");
    let url = format!(
        "{}/v1beta/models/gemini-3.1-flash-image:generateContent",
        server.uri()
    );
    let client = reqwest::Client::new();

    // 64 identical requests on a cold cache: one render, 64 identical answers.
    let answers = identical(&client, &url, "a lighthouse at dusk", "2K", 64).await;
    assert_eq!(RENDERS.load(Ordering::SeqCst), 1, "renders for 64 requests");
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert!(answers.iter().all(|(_, body)| *body == answers[0].1));
    assert!(answers[0].1.len() > 100_000, "an image answer");

    // A different request is rendered on its own.
    identical(&client, &url, "a red fox", "1K", 1).await;
    assert_eq!(RENDERS.load(Ordering::SeqCst), 2);

    // The first asker gives up mid-render: the others still get the answer, from the one render.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(30))
        .build()
        .expect("a client");
    let first = tokio::spawn({
        let url = url.clone();
        async move {
            let body = json!({
                "contents": [{"parts": [{"text": "a harbour in fog"}]}],
                "generationConfig": {"imageConfig": {"imageSize": "4K"}}
            });
            impatient
                .post(&url)
                .header("x-goog-api-key", "k")
                .json(&body)
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    let answers = identical(&client, &url, "a harbour in fog", "4K", 8).await;
    assert!(
        first.await.expect("the task ends").is_err(),
        "the impatient client gave up"
    );
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert!(answers.iter().all(|(_, body)| *body == answers[0].1));
    assert_eq!(RENDERS.load(Ordering::SeqCst), 3);

    // And once answered, it is cached: no render more.
    identical(&client, &url, "a harbour in fog", "4K", 2).await;
    assert_eq!(RENDERS.load(Ordering::SeqCst), 3);
}
