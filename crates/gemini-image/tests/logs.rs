//! Each retry is logged with `tracing` — attempt, wait, status — and seen by the `on_retry`
//! hook; no log line carries the key. A model past its shutdown is warned about once.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gemini_image::{Client, RetryPolicy};
use gemini_image_mock::{Config, MockServer, QueuedScenario, Scenario};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_retry_is_logged_without_the_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    const SECRET: &str = "AIzaSy-logged-nowhere-5678";
    // The legacy models too, so that the retired one below answers and only the warning tells.
    let server = MockServer::start_with(Config {
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    let client = Client::builder()
        .api_key(SECRET)
        .base_url(server.uri())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .on_retry(move |event| {
            hook_seen
                .lock()
                .unwrap()
                .push((event.attempt, event.error.status(), event.wait))
        })
        .build()
        .unwrap();
    server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(2));
    client
        .generate_image(gemini_image::models::GEMINI_3_1_FLASH_IMAGE, "a fox")
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let retries: Vec<&str> = logs.lines().filter(|l| l.contains("retrying")).collect();
    assert_eq!(retries.len(), 2, "{logs}");
    assert!(
        retries[0].contains("attempt=1") && retries[1].contains("attempt=2"),
        "{logs}"
    );
    assert!(
        retries
            .iter()
            .all(|l| l.contains("status=503") && l.contains("wait_ms=")),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "the key was logged: {logs}");

    // A model Google shut down is named in a warning, once, with what to use instead; a live
    // model is not.
    client
        .generate_image("gemini-2.5-flash-image", "a second fox")
        .await
        .unwrap();
    client
        .generate_image(gemini_image::models::GEMINI_3_1_FLASH_IMAGE, "a live fox")
        .await
        .unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let shutdowns: Vec<&str> = logs.lines().filter(|l| l.contains("shut down")).collect();
    assert_eq!(shutdowns.len(), 1, "{logs}");
    assert!(
        shutdowns[0].contains("WARN")
            && shutdowns[0]
                .contains("gemini-2.5-flash-image was shut down by Google on 2026-10-02")
            && shutdowns[0].contains("use gemini-3.1-flash-image instead"),
        "{logs}"
    );

    // The hook saw the same two retries.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].0, seen[0].1), (1, Some(503)));
    assert_eq!((seen[1].0, seen[1].1), (2, Some(503)));
    assert!(
        seen.iter()
            .all(|(_, _, wait)| *wait <= Duration::from_millis(100))
    );
}
