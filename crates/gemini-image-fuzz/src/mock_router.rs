//! The mock's router in-process (no socket): whatever request arrives, no panic, no 5xx, and
//! every 4xx is Google's JSON error (the Interactions API's own shape on its routes; the upload
//! URL may answer in plain text, as Google's does).
//!
//! Scenarios are left out: a prompt's `[mock:NAME]` asks for faults on purpose (5xx, resets,
//! delays), and the admin API under `/__mock/` could queue them.

use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, Uri, header};
use gemini_image_mock::{Config, router};
use serde_json::Value;
use tower::ServiceExt;

use crate::{Failure, preview};

/// The route a request goes to when its first line names none.
const DEFAULT_PATH: &str = "/v1beta/models/gemini-3.1-flash-image:generateContent";

/// How long one request may take: a render of the largest image is well under it.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of an answer read (a 4K image answer is a few megabytes).
const ANSWER_LIMIT: usize = 64 << 20;

static RUNTIME: LazyLock<Option<tokio::runtime::Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .ok()
});

/// The property, on the fuzzer's bytes: the first line is `METHOD PATH` (POST and the image
/// model's `generateContent` when it is not), the rest is the body.
///
/// # Errors
///
/// A description of the answer that broke the rule.
pub fn check(input: &[u8]) -> Result<(), Failure> {
    let (head, body) = match memchr_newline(input) {
        Some(end) => (&input[..end], &input[end + 1..]),
        None => (input, &[][..]),
    };
    let (method, path) = request_line(head);
    if path.starts_with("/__mock") || contains(input, b"mock:") {
        return Ok(());
    }
    let Some(runtime) = RUNTIME.as_ref() else {
        return Err("no tokio runtime".into());
    };
    let request = Request::builder()
        .method(method.clone())
        .uri(path.as_str())
        .header("x-goog-api-key", "fuzz")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .map_err(|e| format!("building the request: {e}"))?;
    let (status, content_type, text) = runtime.block_on(async {
        // A fresh mock per input, so that a failure replays alone.
        let app = router(Config::default());
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, async {
            let response = app
                .oneshot(request)
                .await
                .map_err(|e| format!("no answer: {e}"))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let text = axum::body::to_bytes(response.into_body(), ANSWER_LIMIT)
                .await
                .map_err(|e| format!("answer body cut: {e}"))?;
            Ok::<_, Failure>((status, content_type, text))
        })
        .await;
        answer.map_err(|_| format!("no answer in {ANSWER_TIMEOUT:?}"))?
    })?;
    let context = || format!("{method} {path} {}: {status}", preview(body));
    if status >= 500 {
        return Err(format!("{}: {}", context(), preview(&text)));
    }
    if status < 400 || (path.starts_with("/upload/") && content_type.starts_with("text/plain")) {
        return Ok(());
    }
    if content_type != "application/json; charset=UTF-8" {
        return Err(format!("{}: content type {content_type:?}", context()));
    }
    let error: Value = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{}: error body is not JSON ({e}): {}",
            context(),
            preview(&text)
        )
    })?;
    let error = &error["error"];
    let shaped = error["message"].is_string()
        && if path.contains("/interactions") {
            error["code"].is_string() && error.get("status").is_none()
        } else {
            error["code"].as_u64() == Some(u64::from(status)) && error["status"].is_string()
        };
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "{}: not Google's error shape: {}",
            context(),
            preview(&text)
        ))
    }
}

/// The method and path of `head` (`METHOD PATH`), POST and [`DEFAULT_PATH`] for what is not one.
fn request_line(head: &[u8]) -> (Method, String) {
    let text = String::from_utf8_lossy(head);
    let (method, path) = text.split_once(' ').unwrap_or(("POST", &text));
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST);
    let path = if path.starts_with('/') && path.parse::<Uri>().is_ok() {
        path.to_string()
    } else {
        DEFAULT_PATH.to_string()
    };
    (method, path)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
