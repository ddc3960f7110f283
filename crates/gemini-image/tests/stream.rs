//! `streamGenerateContent` against `gemini-image-mock` (answers, a 5 MB image event, mid-stream
//! errors, cuts, retries before the first byte) and against a hand-scripted server (events split
//! at every size, each line end, a proxy's HTML).

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use gemini_image::types::{FinishReason, GenerateContentRequest, GenerateContentResponse};
use gemini_image::{Client, Error, RequestBuilder, ResponseExt, ResponseStream, RetryPolicy};
use gemini_image_mock::{CannedImages, Config, MockServer, QueuedScenario, Scenario};
use support::scripted::{self, Script};

const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

fn client(base_url: &str) -> Client {
    support::quick_client("stream-test-key", base_url)
}

/// Every item of the stream, errors included.
async fn drain(mut stream: ResponseStream) -> Vec<Result<GenerateContentResponse, Error>> {
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    items
}

/// The whole streamed answer to `request`, folded into one response.
async fn streamed_whole(
    client: &Client,
    request: &GenerateContentRequest,
) -> GenerateContentResponse {
    client
        .stream_generate_content(MODEL, request)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap()
}

/// Streams an image answer to `prompt` from the server at `base_url`, every item kept.
async fn stream_items(base_url: &str, prompt: &str) -> Vec<Result<GenerateContentResponse, Error>> {
    let request = RequestBuilder::image().text(prompt).build();
    drain(
        client(base_url)
            .stream_generate_content(MODEL, &request)
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_streamed_answer_folds_into_the_unary_one() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server.uri());
    let request = RequestBuilder::image().text("a fox in the snow").build();

    let stream = client
        .stream_generate_content(MODEL, &request)
        .await
        .unwrap();
    let chunks: Vec<_> = drain(stream)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(chunks.len() >= 2, "{} chunks", chunks.len());
    let with_image: Vec<_> = chunks.iter().filter(|c| !c.images().is_empty()).collect();
    assert_eq!(with_image.len(), 1, "the image arrives whole in one chunk");
    let last = chunks.last().unwrap();
    assert_eq!(
        last.candidates[0].finish_reason,
        Some(FinishReason::Stop.into())
    );

    let folded = streamed_whole(&client, &request).await;
    let unary = client.generate_content(MODEL, &request).await.unwrap();
    assert_eq!(folded.text(), unary.text());
    assert_eq!(folded.images(), unary.images());
    assert_eq!(folded.usage_metadata, last.usage_metadata);
    assert_eq!(folded.response_id, last.response_id);

    let sent = server.received_requests();
    assert_eq!(
        sent[0].path,
        format!("/v1beta/models/{MODEL}:streamGenerateContent")
    );
    assert_eq!(sent[0].query.get("alt").map(String::as_str), Some("sse"));
    assert_eq!(sent[0].query.len(), 1, "the key never travels in the URL");
}

#[tokio::test]
async fn a_five_megabyte_image_event_arrives_whole() {
    let dir = std::env::temp_dir().join(format!("gemini-image-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A PNG signature and 4 MB of noise: 5.6 MB once base64 in one `data:` line.
    let mut big = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    big.extend((0..4 << 20).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    std::fs::write(dir.join("big.png"), &big).unwrap();
    let server = MockServer::start_with(Config {
        images: Some(CannedImages::from_dir(&dir).unwrap()),
        ..Config::default()
    })
    .await
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let request = RequestBuilder::image().text("something big").build();
    let response = streamed_whole(&client(&server.uri()), &request).await;
    let images = response.images();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].bytes.len(), big.len());
    assert!(images[0].bytes == big, "the image survives byte for byte");
}

#[tokio::test]
async fn an_error_in_the_middle_of_the_stream_is_the_typed_error() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Scenario::StreamError);
    let items = stream_items(&server.uri(), "a storm").await;
    let (last, before) = items.split_last().unwrap();
    assert!(!before.is_empty(), "chunks came before the error");
    assert!(before.iter().all(Result::is_ok));
    let Err(Error::Api(api)) = last else {
        panic!("{last:?}")
    };
    assert_eq!(api.http_status, 503);
    assert_eq!(api.status_name().as_deref(), Some("UNAVAILABLE"));
    assert!(api.is_retryable());
    assert_eq!(
        server.received_requests().len(),
        1,
        "a stream that has begun is never retried"
    );
}

#[tokio::test]
async fn a_cut_stream_is_an_error_never_a_short_answer() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Scenario::StreamTruncated);
    let items = stream_items(&server.uri(), "a cut").await;
    let (last, before) = items.split_last().unwrap();
    assert!(before.iter().all(Result::is_ok));
    assert!(
        matches!(last, Err(Error::Transport(_) | Error::Incomplete { .. })),
        "{last:?}"
    );
}

#[tokio::test]
async fn failures_before_the_first_byte_are_retried() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server.uri());
    let request = RequestBuilder::image().text("again").build();

    server.enqueue(Scenario::ConnectionReset);
    server.enqueue(Scenario::RateLimit(Duration::from_millis(20)));
    server.enqueue(QueuedScenario::new(Scenario::Overloaded));
    let response = streamed_whole(&client, &request).await;
    assert_eq!(response.images().len(), 1);
    let statuses = support::statuses(&server);
    assert_eq!(statuses.len(), 4, "{statuses:?}");
    assert_eq!(&statuses[1..], [429, 503, 200]);

    // A 400 before the stream is the error of the call itself.
    server.reset();
    let error = client
        .stream_generate_content("gemini-9-ultra", &request)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
}

const EVENTS: [&str; 3] = [
    r#"{"candidates": [{"content": {"parts": [{"text": "Here is"}],"role": "model"},"index": 0}],"responseId": "r1"}"#,
    r#"{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png","data": "iVBORw0KGgoAAAANSUhEUg=="}}],"role": "model"},"index": 0}],"responseId": "r1"}"#,
    r#"{"candidates": [{"content": {"parts": [{"text": " a fox."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 10,"totalTokenCount": 1305},"responseId": "r1"}"#,
];

fn sse(line_end: &str) -> Vec<u8> {
    EVENTS
        .iter()
        .map(|e| format!("data: {e}{line_end}{line_end}"))
        .collect::<String>()
        .into_bytes()
}

/// Streams from a scripted server that answers 200 with `body` as SSE, written `piece` bytes at
/// a time.
async fn stream_sse(body: Vec<u8>, piece: usize) -> Vec<Result<GenerateContentResponse, Error>> {
    let script = Script {
        status: "200 OK",
        content_type: "text/event-stream",
        body,
        piece,
    };
    stream_items(&scripted::serve(script).await, "x").await
}

#[tokio::test]
async fn events_split_anywhere_with_any_line_end_read_the_same() {
    let expected: Vec<GenerateContentResponse> = EVENTS
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    for line_end in ["\r\n", "\n", "\r"] {
        for piece in [1, 2, 3, 7, 64, 100_000] {
            let items = stream_sse(sse(line_end), piece).await;
            let chunks: Vec<_> = items
                .into_iter()
                .map(|i| i.unwrap_or_else(|e| panic!("{line_end:?} / {piece}: {e}")))
                .collect();
            assert_eq!(chunks, expected, "{line_end:?} in pieces of {piece}");
        }
    }
}

#[tokio::test]
async fn an_error_event_from_a_proxy_and_a_cut_event_are_errors() {
    // Some proxies send Google's error as an event's data.
    let mut body = sse("\r\n");
    body.extend_from_slice(
        b"data: {\"error\": {\"code\": 429, \"message\": \"Resource exhausted\", \"status\": \"RESOURCE_EXHAUSTED\"}}\r\n\r\n",
    );
    let items = stream_sse(body, 5).await;
    assert_eq!(items.len(), 4);
    let Err(Error::Api(api)) = &items[3] else {
        panic!("{:?}", items[3])
    };
    assert_eq!(
        (api.http_status, api.status_name().as_deref()),
        (429, Some("RESOURCE_EXHAUSTED"))
    );

    // The body ends (cleanly) in the middle of the second event.
    let mut body = sse("\r\n");
    body.truncate(body.len() - EVENTS[2].len() / 2);
    let items = stream_sse(body, 1000).await;
    assert_eq!(items.len(), 3);
    let Err(Error::Incomplete { message, .. }) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert!(message.contains("ended inside an event"), "{message}");
}

#[tokio::test]
async fn a_proxys_html_error_keeps_its_status() {
    let base = scripted::serve(Script {
        status: "502 Bad Gateway",
        content_type: "text/html",
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        piece: 1000,
    })
    .await;
    let error = client(&base)
        .with_retry(RetryPolicy::none())
        .generate_image(MODEL, "x")
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.http_status, 502);
    assert!(api.status.is_none());
    assert!(api.message.contains("502 Bad Gateway"), "{}", api.message);
    assert!(error.is_retryable());
}

/// The first `events` of [`EVENTS`] as SSE: a stream a proxy ended cleanly before its last event
/// (the one that carries `finishReason`).
fn sse_cut_after(events: usize) -> Vec<u8> {
    EVENTS[..events]
        .iter()
        .map(|e| format!("data: {e}\r\n\r\n"))
        .collect::<String>()
        .into_bytes()
}

#[tokio::test]
async fn a_stream_that_ends_cleanly_before_its_finish_reason_is_an_error() {
    let whole = async {
        // Nothing came: nothing was handed out, so the call is retried, then fails itself.
        let base = scripted::serve(Script {
            status: "200 OK",
            content_type: "text/event-stream",
            body: Vec::new(),
            piece: 1000,
        })
        .await;
        let request = RequestBuilder::image().text("x").build();
        let empty = client(&base).stream_generate_content(MODEL, &request).await;
        assert!(matches!(empty, Err(Error::Incomplete { .. })), "{empty:?}");
        for events in [1, 2] {
            let items = stream_sse(sse_cut_after(events), 1000).await;
            let (last, before) = items.split_last().unwrap();
            assert_eq!(before.len(), events, "every event that came is handed out");
            assert!(before.iter().all(Result::is_ok));
            assert!(
                matches!(last, Err(Error::Incomplete { .. })),
                "{events} events: {last:?}"
            );

            let base = scripted::serve(Script {
                status: "200 OK",
                content_type: "text/event-stream",
                body: sse_cut_after(events),
                piece: 1000,
            })
            .await;
            let request = RequestBuilder::image().text("x").build();
            let collected = client(&base)
                .with_retry(RetryPolicy::none())
                .stream_generate_content(MODEL, &request)
                .await
                .unwrap()
                .collect_response()
                .await;
            assert!(
                matches!(collected, Err(Error::Incomplete { .. })),
                "{events} events: never a short answer: {collected:?}"
            );
        }
        // The whole stream, and a blocked prompt (no candidate, its blockReason), are answers.
        let items = stream_sse(sse("\r\n"), 1000).await;
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        let blocked = b"data: {\"promptFeedback\": {\"blockReason\": \"SAFETY\"}}\r\n\r\n".to_vec();
        let items = stream_sse(blocked, 1000).await;
        assert!(matches!(items[..], [Ok(_)]), "{items:?}");
    };
    tokio::time::timeout(Duration::from_secs(30), whole)
        .await
        .expect("no hang");
}

#[tokio::test]
async fn every_candidate_of_a_stream_must_finish() {
    // Two candidates; the second never gets its finishReason.
    let body = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a\"}]}, \"index\": 0}, {\"content\": {\"parts\": [{\"text\": \"b\"}]}, \"index\": 1}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \".\"}]}, \"finishReason\": \"STOP\", \"index\": 0}]}\r\n\r\n",
    );
    let items = stream_sse(body.as_bytes().to_vec(), 1000).await;
    assert!(
        matches!(items.last(), Some(Err(Error::Incomplete { .. }))),
        "{items:?}"
    );
}
