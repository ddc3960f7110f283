//! Whatever a client sends — arbitrary bytes, arbitrary JSON, real requests with a random part
//! replaced — the mock answers with a 2xx or a Google-shaped 4xx, never a 5xx, never a panic.

use std::sync::LazyLock;

use gemini_image_mock::{Config, MockServer};
use proptest::prelude::*;
use serde_json::Value;

mod support;

/// One server and one runtime for every case: a panic in a handler would surface as a dropped
/// connection or a 500, which the assertions below catch.
struct Harness {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
    client: reqwest::Client,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime
        .block_on(MockServer::start_with(Config {
            legacy_models: true,
            ..Config::default()
        }))
        .expect("the mock starts");
    Harness {
        runtime,
        server,
        client: reqwest::Client::new(),
    }
});

const ENDPOINTS: &[&str] = &[
    "/v1beta/models/gemini-3.1-flash-image:generateContent",
    "/v1beta/models/gemini-3-pro-image:streamGenerateContent?alt=sse",
    "/v1/models/gemini-3.5-flash:generateContent",
    // Retired models (served here with the legacy models, which take the most code paths).
    "/v1beta/models/gemini-2.5-flash-image:generateContent",
    "/v1beta/models/gemini-3-pro-image-preview:streamGenerateContent?alt=sse",
    "/v1beta/models/gemini-2.0-flash-exp-image-generation:streamGenerateContent",
    "/v1beta/models/gemini-3.5-flash:countTokens",
    "/v1beta/models/imagen-4.0-generate-001:predict",
    // The Files API: an upload start (without the protocol headers) and an unknown upload.
    "/upload/v1beta/files",
    "/upload/v1/files?upload_id=unknown&upload_protocol=resumable",
    // The Interactions API, in its own error shape.
    "/v1/interactions",
    // Vertex AI's express mode (the key, Vertex's answers and fields).
    "/v1beta1/publishers/google/models/gemini-3.1-flash-image:generateContent",
    "/v1/publishers/google/models/gemini-3-pro-image:streamGenerateContent?alt=sse",
];

/// Posts `body` and checks the answer's shape; returns the status.
fn check(path: &str, body: Vec<u8>) -> Result<u16, TestCaseError> {
    check_call(reqwest::Method::POST, path, body)
}

/// Sends `body` with `method` and checks the answer's shape; returns the status.
fn check_call(method: reqwest::Method, path: &str, body: Vec<u8>) -> Result<u16, TestCaseError> {
    check_with(method, path, &[], body, true)
}

/// Sends `body` with `method` and `headers`; checks the status, and with `json_errors` that an
/// error is Google's JSON (the upload URL answers some in plain text, as Google's does).
fn check_with(
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    json_errors: bool,
) -> Result<u16, TestCaseError> {
    let harness = &*HARNESS;
    let url = format!("{}{path}", harness.server.uri());
    let (status, content_type, text) = harness.runtime.block_on(async {
        let mut request = harness
            .client
            .request(method, url)
            .header("x-goog-api-key", "fuzz");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        let status = response.status().as_u16();
        let content_type = support::content_type(&response);
        let text = response
            .text()
            .await
            .map_err(|e| TestCaseError::fail(format!("body cut: {e}")))?;
        Ok::<_, TestCaseError>((status, content_type, text))
    })?;
    prop_assert!(status < 500, "{path} answered {status}: {text}");
    if status >= 400 && (json_errors || content_type != "text/plain; charset=utf-8") {
        prop_assert_eq!(content_type.as_str(), "application/json; charset=UTF-8");
        let error: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("error body is not JSON: {e}: {text}")))?;
        prop_assert!(error["error"]["message"].is_string(), "{}", text);
        if path.contains("/interactions") {
            // `{"error": {"message", "code": "<slug>"}}`, no status.
            prop_assert!(error["error"]["code"].is_string(), "{}", text);
            prop_assert!(error["error"].get("status").is_none(), "{}", text);
        } else {
            prop_assert_eq!(error["error"]["code"].as_u64(), Some(u64::from(status)));
            prop_assert!(error["error"]["status"].is_string(), "{}", text);
        }
    }
    Ok(status)
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z_ ]{0,12}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        // Names the API knows, so that objects reach deep validation more often.
        prop::sample::select(vec![
            "TEXT",
            "IMAGE",
            "1:1",
            "2K",
            "user",
            "model",
            "image/png",
            "iVBORw0KGgo=",
            "-_-_",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let known_key = prop::sample::select(vec![
            "contents",
            "parts",
            "text",
            "role",
            "inlineData",
            "inline_data",
            "mimeType",
            "data",
            "generationConfig",
            "responseModalities",
            "imageConfig",
            "aspectRatio",
            "imageSize",
            "candidateCount",
            "thinkingConfig",
            "includeThoughts",
            "systemInstruction",
            "instances",
            "prompt",
            "parameters",
            "sampleCount",
            "generateContentRequest",
            "thoughtSignature",
        ])
        .prop_map(str::to_string);
        let key = prop_oneof![known_key, "[a-zA-Z_]{1,10}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// The request examples of the spec, valid bodies to mutate.
fn valid_requests() -> Vec<(&'static str, Value)> {
    let spec: Value =
        serde_norway::from_str(include_str!("../../../openapi/gemini.yaml")).expect("the spec");
    let example = |name: &str| spec["components"]["examples"][name]["value"].clone();
    vec![
        (ENDPOINTS[0], example("TextToImageRequest")),
        (ENDPOINTS[0], example("EditImageRequest")),
        (ENDPOINTS[1], example("MultiTurnEditRequest")),
        (ENDPOINTS[3], example("TextToImageRequest")),
        (ENDPOINTS[5], example("SeedCurlRequest")),
        (
            ENDPOINTS[6],
            serde_json::json!({"contents": example("TextToImageRequest")["contents"]}),
        ),
        (ENDPOINTS[7], example("PredictRequest")),
        (ENDPOINTS[10], example("InteractionTextToImageRequest")),
        (ENDPOINTS[11], example("EditImageRequest")),
        (ENDPOINTS[12], example("MultiTurnEditRequest")),
    ]
}

/// Replaces the node at the `choice`-th position of a depth-first walk with `replacement`.
fn replace_node(value: &mut Value, choice: usize, replacement: Value) {
    fn walk(value: &mut Value, remaining: &mut usize, replacement: &mut Option<Value>) {
        if *remaining == 0 {
            if let Some(new) = replacement.take() {
                *value = new;
            }
            return;
        }
        *remaining -= 1;
        match value {
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| walk(v, remaining, replacement)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| walk(v, remaining, replacement)),
            _ => {}
        }
    }
    let mut remaining = choice;
    walk(value, &mut remaining, &mut Some(replacement));
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// A path segment: a name the API knows, or arbitrary bytes percent-encoded.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "v1beta",
            "v1",
            "models",
            "gemini-3.1-flash-image:generateContent",
            "gemini-2.5-flash-image:generateContent",
            "gemini-3.5-flash",
            "imagen-4.0-generate-001:predict",
            "x:countTokens",
            "__mock",
            "health",
            "files",
            "upload",
            "download",
            "abc123:download",
            "abc123",
        ])
        .prop_map(str::to_string),
        prop::collection::vec(any::<u8>(), 0..6)
            .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect()),
        "[a-zA-Z0-9:._~-]{0,10}",
    ]
}

fn any_path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 1..5),
        prop::option::of("(key|pageSize|pageToken|alt|upload_id)=[a-zA-Z0-9%]{0,6}"),
    )
        .prop_map(|(segments, query)| {
            let mut path = format!("/{}", segments.join("/"));
            if let Some(query) = query {
                path.push('?');
                path.push_str(&query);
            }
            path
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(endpoint in prop::sample::select(ENDPOINTS), body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(endpoint, body)?;
    }

    #[test]
    fn arbitrary_json(endpoint in prop::sample::select(ENDPOINTS), body in any_json()) {
        check(endpoint, serde_json::to_vec(&body).unwrap_or_default())?;
    }

    #[test]
    fn arbitrary_paths_and_methods(
        method in prop::sample::select(vec![
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
        ]),
        path in any_path(),
        body in any_json(),
    ) {
        check_call(method, &path, serde_json::to_vec(&body).unwrap_or_default())?;
    }

    #[test]
    fn upload_starts_with_arbitrary_metadata(
        body in any_json(),
        quoted in "[a-z'{}: ]{0,24}",
        size in "[0-9a-z-]{0,12}",
        kind in "[a-z/]{0,12}",
    ) {
        let headers = [
            ("x-goog-upload-protocol", "resumable".to_string()),
            ("x-goog-upload-command", "start".to_string()),
            ("x-goog-upload-header-content-length", size),
            ("x-goog-upload-header-content-type", kind),
        ];
        let path = "/upload/v1beta/files";
        check_with(reqwest::Method::POST, path, &headers, serde_json::to_vec(&body).unwrap_or_default(), true)?;
        check_with(reqwest::Method::POST, path, &headers, quoted.into_bytes(), true)?;
    }

    #[test]
    fn upload_chunks_with_arbitrary_commands_and_offsets(
        command in prop::sample::select(vec!["upload", "upload, finalize", "finalize", "query", "cancel", "start", "", "UPLOAD,FINALIZE", "x"]),
        offset in prop::option::of("[0-9a-z-]{0,6}"),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let start = [
            ("x-goog-upload-protocol", "resumable".to_string()),
            ("x-goog-upload-command", "start".to_string()),
        ];
        let harness = &*HARNESS;
        let url = harness.runtime.block_on(async {
            harness
                .client
                .post(format!("{}/upload/v1beta/files", harness.server.uri()))
                .header("x-goog-api-key", "fuzz")
                .header(start[0].0, &start[0].1)
                .header(start[1].0, &start[1].1)
                .send()
                .await
                .ok()
                .and_then(|r| r.headers().get("x-goog-upload-url").and_then(|v| v.to_str().ok()).map(str::to_string))
        });
        let url = url.ok_or_else(|| TestCaseError::fail("no upload URL"))?;
        let path = &url[url.find("/upload/").unwrap_or(0)..];
        let mut headers = vec![("x-goog-upload-command", command.to_string())];
        if let Some(offset) = offset {
            headers.push(("x-goog-upload-offset", offset));
        }
        check_with(reqwest::Method::POST, path, &headers, body, false)?;
    }

    #[test]
    fn real_requests_with_one_part_replaced(
        which in any::<prop::sample::Index>(),
        node in any::<prop::sample::Index>(),
        replacement in any_json(),
    ) {
        let requests = valid_requests();
        let (endpoint, mut body) = requests[which.index(requests.len())].clone();
        let nodes = count_nodes(&body);
        replace_node(&mut body, node.index(nodes), replacement);
        check(endpoint, serde_json::to_vec(&body).unwrap_or_default())?;
    }
}

#[test]
fn the_unmutated_examples_are_accepted() {
    // Without this, a mock that refused everything would pass the properties above.
    for (endpoint, body) in valid_requests() {
        let status = check(endpoint, serde_json::to_vec(&body).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        assert_eq!(status, 200, "{endpoint} refused its own example");
    }
}
