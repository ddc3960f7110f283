//! Timeouts against hand-rolled loopback servers that go quiet: one that never answers, a
//! stream that stalls after its first event, a body that stops halfway. Each test sets short
//! timeouts and runs inside `tokio::time::timeout`, so that a regression fails instead of
//! hanging.

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gemini_image::{Client, Error, RequestBuilder, RetryPolicy};
use tokio::io::AsyncWriteExt;

const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;
/// Far longer than any timeout set here: reaching it means the client hung.
const HANG: Duration = Duration::from_secs(20);
const SHORT: Duration = Duration::from_millis(300);

/// A server that reads each request, writes `sent` (nothing, or a head and some body) and then
/// holds the connection open without another byte. Returns the base URL.
async fn goes_quiet_after(sent: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                support::scripted::read_request(&mut socket).await;
                let _ = socket.write_all(sent).await;
                let _ = socket.flush().await;
                // The connection stays open, silent, until the client leaves.
                std::future::pending::<()>().await;
                drop(socket);
            });
        }
    });
    base
}

fn client(base: &str) -> gemini_image::ClientBuilder {
    Client::builder()
        .api_key("timeout-test-key")
        .base_url(base)
        .retry(RetryPolicy::none())
}

const FIRST_EVENT: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Here is\"}]}, \"index\": 0}]}\r\n\r\n";

#[tokio::test]
async fn a_stream_that_stalls_after_its_first_event_ends_at_the_idle_timeout() {
    let base = goes_quiet_after(FIRST_EVENT).await;
    // The report's case: a deadline set, which covers the head only.
    let client = client(&base)
        .deadline(Duration::from_secs(5))
        .idle_timeout(SHORT)
        .build()
        .unwrap();
    let request = RequestBuilder::image().text("x").build();
    let run = async {
        let mut stream = client
            .stream_generate_content(MODEL, &request)
            .await
            .unwrap();
        let first = stream.next().await.unwrap();
        assert!(first.is_ok(), "{first:?}");
        stream.next().await
    };
    let started = Instant::now();
    let second = tokio::time::timeout(HANG, run)
        .await
        .expect("the stream hung");
    assert!(matches!(second, Some(Err(_))), "{second:?}");
    assert!(started.elapsed() < HANG);
}

#[tokio::test]
async fn a_server_that_never_answers_ends_at_the_deadline() {
    let base = goes_quiet_after(b"").await;
    let client = client(&base).deadline(SHORT).build().unwrap();
    let request = RequestBuilder::image().text("x").build();
    let run = async {
        let unary = client.generate_content(MODEL, &request).await;
        assert!(
            matches!(unary, Err(Error::Timeout(d)) if d == SHORT),
            "{unary:?}"
        );
        let stream = client.stream_generate_content(MODEL, &request).await;
        assert!(
            matches!(stream, Err(Error::Timeout(d)) if d == SHORT),
            "{stream:?}"
        );
        // The control plane too.
        let model = client.get_model(MODEL).await;
        assert!(
            matches!(model, Err(Error::Timeout(d)) if d == SHORT),
            "{model:?}"
        );
    };
    let started = Instant::now();
    tokio::time::timeout(HANG, run)
        .await
        .expect("the call hung");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stalled_stream_ends_at_the_idle_timeout_however_long_the_deadline() {
    let base = goes_quiet_after(FIRST_EVENT).await;
    let client = client(&base)
        .deadline(Duration::from_secs(3600))
        .idle_timeout(SHORT)
        .build()
        .unwrap();
    let request = RequestBuilder::image().text("x").build();
    let run = async {
        let mut stream = client
            .stream_generate_content(MODEL, &request)
            .await
            .unwrap();
        assert!(stream.next().await.unwrap().is_ok());
        let stalled = stream.next().await;
        assert!(
            matches!(stalled, Some(Err(Error::IdleTimeout(d))) if d == SHORT),
            "{stalled:?}"
        );
        assert!(stream.next().await.is_none(), "the error ends the stream");
    };
    tokio::time::timeout(HANG, run)
        .await
        .expect("the stream hung");
}

#[tokio::test]
async fn a_unary_body_that_stalls_ends_at_the_idle_timeout_and_is_retried() {
    // A head that promises 1000 bytes, and 10 of them.
    let base = goes_quiet_after(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"candida",
    )
    .await;
    let retries = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = retries.clone();
    let client = Client::builder()
        .api_key("timeout-test-key")
        .base_url(&base)
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(10)),
        )
        .on_retry(move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .deadline(Duration::from_secs(3600))
        .idle_timeout(SHORT)
        .build()
        .unwrap();
    let run = client.generate_image(MODEL, "x");
    let error = tokio::time::timeout(HANG, run)
        .await
        .expect("the call hung")
        .unwrap_err();
    assert!(
        matches!(error, Error::IdleTimeout(d) if d == SHORT),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(retries.load(std::sync::atomic::Ordering::Relaxed), 1);

    // A stream that stalls before its first event is retried too: nothing was handed out.
    let base =
        goes_quiet_after(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n").await;
    let client = client_with_idle(&base);
    let request = RequestBuilder::image().text("x").build();
    let stalled = tokio::time::timeout(HANG, client.stream_generate_content(MODEL, &request))
        .await
        .expect("the stream hung");
    assert!(
        matches!(stalled, Err(Error::IdleTimeout(d)) if d == SHORT),
        "{stalled:?}"
    );
}

fn client_with_idle(base: &str) -> Client {
    client(base).idle_timeout(SHORT).build().unwrap()
}

#[test]
fn the_defaults_bound_every_wait() {
    let client = Client::builder().api_key("k").build().unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("deadline: 600s"), "{shown}");
    assert!(shown.contains("idle_timeout: 300s"), "{shown}");
    assert_eq!(gemini_image::DEFAULT_DEADLINE, Duration::from_secs(600));
    assert_eq!(gemini_image::DEFAULT_IDLE_TIMEOUT, Duration::from_secs(300));
    assert_eq!(
        gemini_image::DEFAULT_CONNECT_TIMEOUT,
        Duration::from_secs(10)
    );
}

#[tokio::test]
async fn a_control_plane_answer_that_stalls_ends_at_the_idle_timeout() {
    let base = goes_quiet_after(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: 100\r\n\r\n{\"name\": ",
    )
    .await;
    let client = client(&base)
        .deadline(Duration::from_secs(3600))
        .idle_timeout(SHORT)
        .build()
        .unwrap();
    let model = tokio::time::timeout(HANG, client.get_model(MODEL))
        .await
        .expect("the call hung");
    assert!(
        matches!(model, Err(Error::IdleTimeout(d)) if d == SHORT),
        "{model:?}"
    );
}
