//! Shared by the mock's HTTP tests: requests that carry the test key, answers read as JSON.
#![allow(dead_code)] // each test binary uses a different part

use gemini_image_mock::{Config, MockServer};
use serde::de::DeserializeOwned;

/// The API key the tests send (any non-empty key is accepted by default).
pub const KEY: &str = "test-key";

/// A request to `path` (with its query) on `server`, the key in `x-goog-api-key`.
pub fn with_key(
    server: &MockServer,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", server.uri()))
        .header("x-goog-api-key", KEY)
}

/// Sends `request` and reads its answer as `T`.
pub async fn read<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    request
        .send()
        .await
        .expect("the mock answers")
        .json()
        .await
        .expect("an answer of the expected type")
}

/// The keys of a JSON object, in the order they came (empty for anything else).
pub fn keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The `Content-Type` of an answer, `""` without one.
pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A server that also serves the models Google has shut down, as they behaved.
pub async fn legacy_server() -> MockServer {
    MockServer::start_with(Config {
        legacy_models: true,
        ..Config::default()
    })
    .await
    .expect("a loopback port")
}
