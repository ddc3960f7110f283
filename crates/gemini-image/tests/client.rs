//! The client against the real `gemini-image-mock` over loopback: calls, errors, retries, secrets.

mod support;

use std::time::{Duration, Instant};

use gemini_image::types::{CountTokensRequest, FinishReason, ImagenParameters};
use gemini_image::{Client, Error, Outcome, ResponseExt, RetryPolicy};
use gemini_image_mock::{Config, MockServer, QueuedScenario, Scenario};

const KEY: &str = "sdk-test-key-1234";
const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(100)),
        )
        .build()
        .unwrap()
}

fn png(rgb: [u8; 3]) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(32, 32, image::Rgb(rgb))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

#[tokio::test]
async fn generate_and_edit_images_with_either_model_id() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    for model in [MODEL, "models/gemini-3.1-flash-image"] {
        let response = client.generate_image(model, "a red bicycle").await.unwrap();
        let images = response.images();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].mime_type, "image/jpeg");
        let decoded = image::load_from_memory(&images[0].bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (1024, 1024));
        assert!(response.text().contains("red bicycle"));
        assert!(matches!(response.outcome(), Outcome::Images(ref i) if i.len() == 1));
    }
    let edited = client
        .edit_image(MODEL, png([200, 40, 40]), "make it black and white")
        .await
        .unwrap();
    let picture = image::load_from_memory(&edited.images()[0].bytes)
        .unwrap()
        .to_rgb8();
    let pixel = picture.get_pixel(0, 0);
    // JPEG, so grey within its rounding.
    assert!(
        pixel[0].abs_diff(pixel[1]) <= 12 && pixel[1].abs_diff(pixel[2]) <= 12,
        "grayscale: {pixel:?}"
    );

    let sent = server.received_requests();
    assert_eq!(sent.len(), 3);
    for request in &sent {
        assert!(!request.path.contains("%2F"), "{}", request.path);
        assert_eq!(
            request.path,
            format!("/v1beta/models/{MODEL}:generateContent")
        );
        assert!(request.query.is_empty(), "the key never travels in the URL");
        assert_eq!(request.headers["x-goog-api-key"], "<redacted>");
        assert!(request.headers["x-goog-api-client"].starts_with("gemini-image-rust/"));
        assert!(!request.headers.contains_key("api-version"));
    }
    // Saved with the extension of its type.
    let dir = std::env::temp_dir().join(format!("gemini-image-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = edited.images()[0].save(dir.join("edited")).unwrap();
    assert_eq!(path.extension().unwrap(), "jpg");
    assert!(image::open(&path).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn models_tokens_and_imagen() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let model = client.get_model("models/gemini-3-pro-image").await.unwrap();
    assert_eq!(model.name.as_deref(), Some("models/gemini-3-pro-image"));
    let request: CountTokensRequest = serde_json::from_value(serde_json::json!({
        "contents": [{"parts": [{"text": "twelve chars"}]}]
    }))
    .unwrap();
    let counted = client
        .count_tokens(gemini_image::models::GEMINI_3_5_FLASH, &request)
        .await
        .unwrap();
    assert_eq!(counted.total_tokens, Some(3));
    // Imagen is retired: a mock serving the legacy models still answers it, as it was.
    let legacy = MockServer::start_with(Config {
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = self::client(&legacy);
    let parameters: ImagenParameters =
        serde_json::from_value(serde_json::json!({"sampleCount": 2})).unwrap();
    let predicted = client
        .generate_images("imagen-4.0-generate-001", "a lighthouse", Some(parameters))
        .await
        .unwrap();
    assert_eq!(predicted.predictions.len(), 2);
}

#[tokio::test]
async fn outcomes_without_an_image_are_values() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let filtered = client
        .generate_image(MODEL, "a cat [mock:image_safety]")
        .await
        .unwrap();
    match filtered.outcome() {
        Outcome::NoImage {
            finish_reason,
            message,
            ..
        } => {
            assert!(finish_reason.is_some_and(|r| r == FinishReason::ImageSafety));
            assert!(
                message
                    .unwrap()
                    .starts_with("Unable to show the generated image.")
            );
        }
        other => panic!("{other:?}"),
    }
    let blocked = client
        .generate_image(MODEL, "a cat [mock:prompt_blocked]")
        .await
        .unwrap();
    assert!(
        matches!(blocked.outcome(), Outcome::PromptBlocked { reason: Some(r), .. } if r.to_string() == "PROHIBITED_CONTENT")
    );
    let no_image = client
        .generate_image(MODEL, "a cat [mock:no_image]")
        .await
        .unwrap();
    assert!(
        matches!(no_image.outcome(), Outcome::NoImage { finish_reason: Some(r), .. } if r == FinishReason::NoImage)
    );
}

#[tokio::test]
async fn errors_carry_googles_details_and_never_the_key() {
    let server = MockServer::start_with(Config {
        api_keys: vec!["the-only-key".into()],
        ..Config::default()
    })
    .await
    .unwrap();
    let error = client(&server)
        .generate_image(MODEL, "x")
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.http_status, 400);
    assert_eq!(api.reason().as_deref(), Some("API_KEY_INVALID"));
    assert!(!error.is_retryable());
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{:?}", client(&server)),
    ] {
        assert!(!shown.contains(KEY), "the key leaked: {shown}");
    }
    assert_eq!(server.received_requests().len(), 1, "a 400 is not retried");

    let open = MockServer::start().await.unwrap();
    let client = client(&open);
    let unknown = client
        .generate_image("gemini-9-ultra", "x")
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    let invalid = client
        .generate_content(
            MODEL,
            &serde_json::from_value(serde_json::json!({
                "contents": [{"parts": [{"text": "x"}]}],
                "systemInstruction": {"parts": [{"text": "be brief"}]}
            }))
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        invalid
            .to_string()
            .contains("Developer instruction is not enabled"),
        "{invalid}"
    );
    assert!(Client::builder().build().is_err(), "no key, no client");
}

#[tokio::test]
async fn retries_honour_retry_info_and_stop_where_they_must() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);

    // 429 with RetryInfo 1s, then success: the wait is honoured.
    server.enqueue(Scenario::RateLimit(Duration::from_secs(1)));
    let started = Instant::now();
    client.generate_image(MODEL, "one").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().len(), 2);

    // 503 twice, then success.
    server.reset();
    server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(2));
    client.generate_image(MODEL, "two").await.unwrap();
    let statuses = support::statuses(&server);
    assert_eq!(statuses, [503, 503, 200]);

    // A per-day quota is not retried, even with a RetryInfo.
    server.reset();
    server.enqueue(Scenario::DailyQuota(Duration::from_millis(10)));
    let daily = client.generate_image(MODEL, "three").await.unwrap_err();
    assert_eq!(daily.status(), Some(429));
    assert_eq!(server.received_requests().len(), 1);

    // The budget: a 5 s RetryInfo does not fit in 1 s.
    server.reset();
    server.enqueue(QueuedScenario::new(Scenario::RateLimit(Duration::from_secs(5))).times(3));
    let tight = client.with_retry(RetryPolicy::default().budget(Duration::from_secs(1)));
    let started = Instant::now();
    let limited = tight.generate_image(MODEL, "four").await.unwrap_err();
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.received_requests().len(), 1);

    // Attempts: three 500s with three attempts allowed is a failure after three requests.
    server.reset();
    server.enqueue(QueuedScenario::new(Scenario::Internal).times(3));
    let three = client.with_retry(
        RetryPolicy::default()
            .max_attempts(3)
            .initial_backoff(Duration::from_millis(10)),
    );
    assert_eq!(
        three
            .generate_image(MODEL, "five")
            .await
            .unwrap_err()
            .status(),
        Some(500)
    );
    assert_eq!(server.received_requests().len(), 3);

    // A cut connection is retried too.
    server.reset();
    server.enqueue(Scenario::ConnectionReset);
    client.generate_image(MODEL, "six").await.unwrap();
}

#[tokio::test]
async fn list_models_pages_through_the_whole_catalogue() {
    use futures_util::TryStreamExt;
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let paged: Vec<String> = client
        .list_models(Some(3))
        .map_ok(|m| m.name.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    let whole: Vec<String> = client
        .list_models(None)
        .map_ok(|m| m.name.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged, whole);
    let pages = server
        .received_requests()
        .iter()
        .filter(|r| r.query.get("pageSize").map(String::as_str) == Some("3"))
        .count();
    assert_eq!(pages, paged.len().div_ceil(3), "one request per page of 3");
    assert!(pages > 1);
    assert!(paged.contains(&"models/gemini-3.1-flash-lite-image".to_string()));
    assert!(
        !paged.contains(&"models/imagen-4.0-generate-001".to_string()),
        "retired"
    );
}

#[tokio::test]
async fn the_deadline_bounds_each_attempt_but_never_a_stream_that_has_begun() {
    use futures_util::StreamExt;

    let server = MockServer::start().await.unwrap();
    let hurried = client(&server).with_deadline(Duration::from_millis(300));

    // Too slow once: a timeout, retried, then an answer.
    server.enqueue(Scenario::Slow(Duration::from_secs(2)));
    hurried.generate_image(MODEL, "slow once").await.unwrap();
    let statuses = support::statuses(&server);
    // The mock journals the abandoned attempt as 499, "client closed request".
    assert_eq!(statuses, [499, 200]);

    // Too slow every time, without retries: the typed timeout.
    server.enqueue(Scenario::Slow(Duration::from_secs(2)));
    let error = hurried
        .with_retry(RetryPolicy::none())
        .generate_image(MODEL, "slow")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_retryable());

    // A stream whose first byte comes in time runs past the deadline in total.
    server.enqueue(Scenario::Slow(Duration::from_millis(150)));
    let request = gemini_image::RequestBuilder::image()
        .text("a long story")
        .build();
    let started = Instant::now();
    let mut stream = hurried
        .stream_generate_content(MODEL, &request)
        .await
        .unwrap();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
        chunks += 1;
    }
    assert!(chunks >= 2);
    assert!(
        started.elapsed() > Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_answer_cut_in_the_middle_of_its_body_is_retried() {
    let whole = async {
        let server = MockServer::start().await.unwrap();
        let client = client(&server);
        // The head and half of the body, then the connection closes: the request is sent again.
        server.enqueue(Scenario::StreamTruncated);
        let response = client.generate_image(MODEL, "cut once").await.unwrap();
        assert_eq!(response.images().len(), 1);
        assert_eq!(support::statuses(&server), [200, 200], "two requests");

        // Without retries, the cut is the error, and it says it may be tried again.
        server.reset();
        server.enqueue(Scenario::StreamTruncated);
        let error = client
            .with_retry(RetryPolicy::none())
            .generate_image(MODEL, "cut")
            .await
            .unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
        assert_eq!(server.received_requests().len(), 1);
    };
    tokio::time::timeout(Duration::from_secs(30), whole)
        .await
        .expect("no hang");
}

/// A server whose first answer is `body` cut halfway (its content-length whole), and every later
/// one `body` whole. Returns the base URL and the count of requests.
async fn cuts_the_first_answer(
    body: &'static [u8],
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            support::scripted::read_request(&mut socket).await;
            let first = seen.fetch_add(1, Ordering::SeqCst) == 0;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            // The first answer stops halfway through its body, and the connection closes.
            let sent = if first { &body[..body.len() / 2] } else { body };
            let _ = socket.write_all(sent).await;
            let _ = socket.shutdown().await;
        }
    });
    (base, requests)
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_asked_for_again() {
    let (base, requests) = cuts_the_first_answer(
        br#"{"candidates": [{"content": {"parts": [{"text": "whole"}], "role": "model"}, "finishReason": "STOP", "index": 0}]}"#,
    )
    .await;
    let client = support::quick_client(KEY, &base);
    let response = tokio::time::timeout(Duration::from_secs(30), client.generate_image(MODEL, "x"))
        .await
        .expect("no hang")
        .unwrap();
    assert_eq!(response.text(), "whole");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_control_plane_answer_cut_in_its_body_is_asked_for_again() {
    let (base, requests) =
        cuts_the_first_answer(br#"{"name": "models/gemini-3.1-flash-image", "version": "3.1"}"#)
            .await;
    let client = support::quick_client(KEY, &base);
    let model = tokio::time::timeout(Duration::from_secs(30), client.get_model(MODEL))
        .await
        .expect("no hang")
        .unwrap();
    assert_eq!(model.name.as_deref(), Some("models/gemini-3.1-flash-image"));
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn a_base_url_that_is_not_an_http_url_is_a_config_error() {
    for url in ["not a url", "ftp://example.com", "127.0.0.1:8080"] {
        let error = Client::builder()
            .api_key("k")
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("is not an http:// or https:// URL")),
            "{url}: {error:?}"
        );
    }
    assert!(
        Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:8080/")
            .build()
            .is_ok()
    );
}
