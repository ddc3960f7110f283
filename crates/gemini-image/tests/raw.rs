//! The generated client, as `Client::raw` hands it out, against the real `gemini-image-mock`:
//! every operation of the spec is callable, with the key, the API version and the retries of
//! the client, and its errors become the same `Error` as the hand-written methods'.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use gemini_image::types::{CountTokensRequest, GenerateContentRequest, PredictRequest};
use gemini_image::{Client, Error, RetryPolicy};
use gemini_image_mock::{Config, MockServer, QueuedScenario, Scenario};
use support::scripted::{self, Script};

const KEY: &str = "raw-test-key-5678";
const IMAGE_MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

fn client(base_url: &str) -> Client {
    support::quick_client(KEY, base_url)
}

fn prompt() -> GenerateContentRequest {
    serde_json::from_value(serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "a red bicycle"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}
    }))
    .unwrap()
}

fn count_request() -> CountTokensRequest {
    serde_json::from_value(serde_json::json!({"contents": [{"parts": [{"text": "hello"}]}]}))
        .unwrap()
}

/// Calls `operation` through `client.raw()`; the path the mock must see, for the journal.
async fn call(client: &Client, operation: &str) -> Result<&'static str, Error> {
    let raw = client.raw();
    Ok(match operation {
        "generateContent" => {
            let answer = raw.generate_content(IMAGE_MODEL, &prompt()).await?;
            assert!(!answer.into_inner().candidates.is_empty());
            "/v1beta/models/gemini-3.1-flash-image:generateContent"
        }
        "streamGenerateContent" => {
            // Without `alt=sse` the answer is one JSON array, which the generated client reads.
            let chunks = raw
                .stream_generate_content(IMAGE_MODEL, None, &prompt())
                .await?;
            assert!(!chunks.into_inner().is_empty());
            "/v1beta/models/gemini-3.1-flash-image:streamGenerateContent"
        }
        "countTokens" => {
            let count = raw
                .count_tokens("gemini-3.5-flash", &count_request())
                .await?;
            assert!(count.into_inner().total_tokens.unwrap_or(0) > 0);
            "/v1beta/models/gemini-3.5-flash:countTokens"
        }
        "listModels" => {
            let page = raw.list_models(Some(2), None).await?.into_inner();
            assert_eq!(page.models.len(), 2);
            "/v1beta/models"
        }
        "getModel" => {
            let model = raw.get_model(IMAGE_MODEL).await?.into_inner();
            assert_eq!(model.name.as_deref(), Some("models/gemini-3.1-flash-image"));
            "/v1beta/models/gemini-3.1-flash-image"
        }
        "predict" => {
            let request: PredictRequest = serde_json::from_value(serde_json::json!({
                "instances": [{"prompt": "a robot gardener"}],
                "parameters": {"sampleCount": 1}
            }))
            .unwrap();
            let answer = raw.predict("imagen-4.0-generate-001", &request).await?;
            assert_eq!(answer.into_inner().predictions.len(), 1);
            "/v1beta/models/imagen-4.0-generate-001:predict"
        }
        other => panic!(
            "the spec has an operation `{other}` this test does not call: add it to `call`, so \
             that every operation is proven reachable through Client::raw"
        ),
    })
}

fn operation_ids() -> BTreeSet<String> {
    let spec = support::spec();
    let mut ids = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

#[tokio::test]
async fn every_operation_in_the_spec_is_callable_through_client_raw() {
    // `predict` is Imagen's, which Google has shut down: served with the legacy models.
    let server = MockServer::start_with(Config {
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&server.uri());
    let operations = operation_ids();
    assert!(operations.len() >= 6, "{operations:?}");
    for operation in &operations {
        server.reset();
        let path = call(&client, operation)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
        let sent = server.received_requests();
        assert_eq!(sent.len(), 1, "{operation}: one request");
        let sent = &sent[0];
        assert_eq!(sent.path, path, "{operation}");
        assert_eq!(sent.status, 200, "{operation}");
        assert_eq!(sent.headers["x-goog-api-key"], "<redacted>", "{operation}");
        assert!(
            sent.headers["x-goog-api-client"].starts_with("gemini-image-rust/"),
            "{operation}"
        );
        assert!(
            !sent.headers.contains_key("api-version"),
            "{operation}: Google knows no `api-version` header"
        );
        assert!(
            !sent.query.contains_key("key"),
            "{operation}: the key in a URL"
        );
    }
}

#[tokio::test]
async fn the_api_version_goes_into_every_url() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/", server.uri()))
        .api_version("v1alpha")
        .build()
        .unwrap();
    client.raw().get_model(IMAGE_MODEL).await.unwrap();
    client.get_model("models/gemini-3.5-flash").await.unwrap();
    client.generate_image(IMAGE_MODEL, "x").await.unwrap();
    let paths: Vec<String> = server
        .received_requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/v1alpha/models/gemini-3.1-flash-image",
            "/v1alpha/models/gemini-3.5-flash",
            "/v1alpha/models/gemini-3.1-flash-image:generateContent",
        ]
    );
}

#[tokio::test]
async fn raw_calls_retry_as_the_client_says() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server.uri());
    server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(2));
    let count = client
        .raw()
        .count_tokens("gemini-3.5-flash", &count_request())
        .await
        .unwrap();
    assert!(count.into_inner().total_tokens.is_some());
    let statuses = support::statuses(&server);
    assert_eq!(statuses, [503, 503, 200]);

    // No retries: the 503 itself, as the one error type.
    server.reset();
    server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(1));
    let error: Error = client
        .with_retry(RetryPolicy::none())
        .raw()
        .count_tokens("gemini-3.5-flash", &count_request())
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.http_status, 503);
    assert_eq!(api.status_name().as_deref(), Some("UNAVAILABLE"));
    assert_eq!(server.received_requests().len(), 1);
}

#[tokio::test]
async fn raw_errors_are_the_hand_written_methods_errors() {
    let server = MockServer::start().await.unwrap();
    let direct = client(&server.uri());

    // Google's 404, with its details: the same value either way.
    let raw: Error = direct
        .raw()
        .get_model("gemini-0-nope")
        .await
        .unwrap_err()
        .into();
    let typed = direct.get_model("gemini-0-nope").await.unwrap_err();
    let (Error::Api(raw), Error::Api(typed)) = (&raw, &typed) else {
        panic!("{raw:?} / {typed:?}")
    };
    assert_eq!(raw, typed);
    assert_eq!(raw.http_status, 404);

    // A proxy's HTML page keeps its status and text, and is not taken for Google's error.
    let proxy = scripted::serve(Script {
        status: "502 Bad Gateway",
        content_type: "text/html",
        body: b"<html><body>Bad Gateway</body></html>".to_vec(),
        piece: 1024,
    })
    .await;
    let behind_proxy = client(&proxy).with_retry(RetryPolicy::none());
    let raw: Error = behind_proxy
        .raw()
        .get_model(IMAGE_MODEL)
        .await
        .unwrap_err()
        .into();
    let data_plane = behind_proxy
        .generate_image(IMAGE_MODEL, "x")
        .await
        .unwrap_err();
    let (Error::Api(raw), Error::Api(data_plane)) = (&raw, &data_plane) else {
        panic!("{raw:?} / {data_plane:?}")
    };
    assert_eq!(raw, data_plane);
    assert_eq!(raw.http_status, 502);
    assert!(raw.status.is_none(), "{raw:?}");
    assert_eq!(raw.message, "<html><body>Bad Gateway</body></html>");
}

#[tokio::test]
async fn a_raw_call_past_its_deadline_is_the_typed_timeout() {
    let server = MockServer::start().await.unwrap();
    let hurried = client(&server.uri())
        .with_deadline(Duration::from_millis(300))
        .with_retry(RetryPolicy::none());
    server.enqueue(Scenario::Slow(Duration::from_secs(2)));
    let error: Error = hurried
        .raw()
        .count_tokens("gemini-3.5-flash", &count_request())
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
}

/// A server that answers an error whose body never ends: `piece` after `piece`, never closing.
async fn endless_error_body() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let piece = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
                // 16 MiB at most, then silence: the client must have stopped reading long before.
                for _ in 0..1024 {
                    if socket.write_all(piece.as_bytes()).await.is_err() {
                        return;
                    }
                }
                std::future::pending::<()>().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn an_endless_error_body_is_read_within_a_bound_on_both_planes() {
    let server = endless_error_body().await;
    let client = client(&server).with_retry(RetryPolicy::none());
    let bounded = Duration::from_secs(30);
    let raw: Error = tokio::time::timeout(bounded, client.raw().get_model(IMAGE_MODEL))
        .await
        .expect("the raw call returned without reading the whole body")
        .unwrap_err()
        .into();
    let data_plane = tokio::time::timeout(bounded, client.generate_image(IMAGE_MODEL, "x"))
        .await
        .expect("the data-plane call returned without reading the whole body")
        .unwrap_err();
    for error in [raw, data_plane] {
        let Error::Api(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.http_status, 502);
        assert!(api.status.is_none());
        assert!(api.message.starts_with("xxxx") && api.message.len() <= 500);
    }
}
