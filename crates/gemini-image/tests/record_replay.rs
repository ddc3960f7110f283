//! The SDK through the mock's record and replay, over loopback: what the SDK read while a mock
//! recorded in front of another is exactly what it reads from the replaying mock, with the
//! upstream gone — images, text, every streamed chunk, and the retired model's 404.

use futures_util::StreamExt;
use gemini_image::{Client, RequestBuilder, ResponseExt, RetryPolicy, models};
use gemini_image_mock::MockServer;

const KEY: &str = "AIzaSy-sdk-record-replay-key-9876543210";
const MODEL: &str = models::GEMINI_3_1_FLASH_IMAGE;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .expect("a client")
}

/// What the SDK read in one session: each answer as JSON, or the error's status.
async fn session(server: &MockServer) -> Vec<Result<serde_json::Value, Option<u16>>> {
    let client = client(server);
    let mut out = Vec::new();
    let generated = client.generate_image(MODEL, "a red bicycle").await;
    let image = generated
        .as_ref()
        .ok()
        .and_then(|r| r.images().into_iter().next())
        .expect("an image");
    out.push(as_json(generated));

    let request = RequestBuilder::image().text("a green kite").build();
    let mut stream = client
        .stream_generate_content(MODEL, &request)
        .await
        .expect("a stream");
    while let Some(chunk) = stream.next().await {
        out.push(as_json(chunk));
    }

    out.push(as_json(
        client.edit_image(MODEL, image.bytes, "make it blue").await,
    ));
    out.push(as_json(
        client
            .generate_image("gemini-2.5-flash-image", "retired")
            .await,
    ));
    out
}

fn as_json<T: serde::Serialize>(
    answer: Result<T, gemini_image::Error>,
) -> Result<serde_json::Value, Option<u16>> {
    answer
        .map(|value| serde_json::to_value(value).expect("JSON"))
        .map_err(|error| error.status())
}

#[tokio::test]
async fn the_sdk_reads_from_a_replay_exactly_what_it_read_while_recording() {
    let dir = std::env::temp_dir().join(format!("gemini-sdk-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let upstream = MockServer::start().await.expect("a port");
    let recorder = MockServer::record(&dir, upstream.uri())
        .await
        .expect("a recording mock");
    let recorded = session(&recorder).await;
    assert!(recorded.len() >= 5, "generate, ≥ 2 chunks, edit, 404");
    assert_eq!(recorded.last(), Some(&Err(Some(404))));
    assert!(recorded[..recorded.len() - 1].iter().all(Result::is_ok));
    recorder.stop().await;
    upstream.stop().await;

    let replayer = MockServer::replay(&dir).await.expect("a replaying mock");
    assert_eq!(session(&replayer).await, recorded);
    let _ = std::fs::remove_dir_all(&dir);
}
