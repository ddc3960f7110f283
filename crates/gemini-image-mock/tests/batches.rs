//! Batch mode over real loopback HTTP: create from inline requests and from a JSONL file of
//! the Files API, the Operation as Google writes it, the job engine's states and counts,
//! pacing, cancel, delete, list, expiry, the batch scenarios, bounds, and a restart with
//! `--data-dir`.

use std::time::Duration;

use gemini_image_mock::{BatchPace, Config, MockServer};
use reqwest::Method;
use serde_json::{Value, json};
use support::{keys, with_key};

mod support;

const IMAGE_MODEL: &str = "gemini-3.1-flash-image";

/// An inline batch body of `prompts`, keyed `k0`, `k1`, …
fn inline_body(prompts: &[&str]) -> Value {
    let requests: Vec<Value> = prompts
        .iter()
        .enumerate()
        .map(|(i, prompt)| {
            json!({
                "request": {"contents": [{"parts": [{"text": prompt}], "role": "user"}]},
                "metadata": {"key": format!("k{i}")}
            })
        })
        .collect();
    json!({"batch": {"inputConfig": {"requests": {"requests": requests}}, "displayName": "inline"}})
}

/// Sends a JSON request and returns the status and the body as JSON.
async fn call(
    server: &MockServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = with_key(server, method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, body)
}

async fn create(server: &MockServer, version: &str, model: &str, body: Value) -> (u16, Value) {
    call(
        server,
        Method::POST,
        &format!("/{version}/models/{model}:batchGenerateContent"),
        Some(body),
    )
    .await
}

async fn get(server: &MockServer, name: &str) -> Value {
    let (status, body) = call(server, Method::GET, &format!("/v1/{name}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls the batch until it is done (at most 20 s).
async fn wait_done(server: &MockServer, name: &str) -> Value {
    for _ in 0..2000 {
        let operation = get(server, name).await;
        if operation["done"] == true {
            return operation;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} never finished");
}

/// Polls the batch until a line has been answered (at most 5 s).
async fn wait_answered(server: &MockServer, name: &str) -> Value {
    for _ in 0..500 {
        let operation = get(server, name).await;
        if count(&operation, "successfulRequestCount").is_some() {
            return operation;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no line of {name} was answered");
}

/// Uploads `bytes` through the resumable protocol, one chunk; returns `files/{id}`.
async fn upload(server: &MockServer, bytes: Vec<u8>) -> String {
    let start = with_key(server, Method::POST, "/upload/v1beta/files")
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header(
            "X-Goog-Upload-Header-Content-Length",
            bytes.len().to_string(),
        )
        .header("X-Goog-Upload-Header-Content-Type", "application/jsonl")
        .json(&json!({"file": {"display_name": "input", "mime_type": "application/jsonl"}}))
        .send()
        .await
        .expect("the mock answers");
    let url = start
        .headers()
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .expect("an upload URL")
        .to_string();
    let (_, rest) = url.split_once("://").expect("a URL");
    let path = &rest[rest.find('/').expect("a path")..];
    let file: Value = reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("X-Goog-Upload-Command", "upload, finalize")
        .header("X-Goog-Upload-Offset", "0")
        .body(bytes)
        .send()
        .await
        .expect("the mock answers")
        .json()
        .await
        .expect("a File");
    file["file"]["name"]
        .as_str()
        .expect("a file name")
        .to_string()
}

/// A batch of a one-line JSONL file (key `a`), created.
async fn one_line_file_batch(server: &MockServer) -> Value {
    let line = br#"{"key": "a", "request": {"contents": [{"parts": [{"text": "x"}]}]}}"#;
    let file = upload(server, line.to_vec()).await;
    let body = json!({"batch": {"inputConfig": {"fileName": file}}});
    let (status, created) = create(server, "v1", IMAGE_MODEL, body).await;
    assert_eq!(status, 200, "{created}");
    created
}

/// Downloads a generated file.
async fn download(server: &MockServer, name: &str) -> String {
    let response = with_key(
        server,
        Method::GET,
        &format!("/v1beta/{name}:download?alt=media"),
    )
    .send()
    .await
    .expect("the mock answers");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

fn count(operation: &Value, field: &str) -> Option<String> {
    operation["metadata"]["batchStats"][field]
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn an_inline_batch_runs_every_line_through_the_model() {
    let server = MockServer::start().await.unwrap();
    let (status, created) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        inline_body(&[
            "a red bicycle",
            "a blue boat [mock:overloaded]",
            "a green kite",
        ]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let name = created["name"].as_str().unwrap().to_string();
    let id = name.strip_prefix("batches/").unwrap();
    assert_eq!(id.len(), 36);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(keys(&created), ["name", "metadata"]);
    assert_eq!(
        keys(&created["metadata"]),
        [
            "@type",
            "model",
            "displayName",
            "createTime",
            "updateTime",
            "batchStats",
            "state",
            "name"
        ]
    );
    assert_eq!(
        created["metadata"]["@type"],
        "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
    );
    assert_eq!(created["metadata"]["state"], "BATCH_STATE_PENDING");
    assert_eq!(
        created["metadata"]["model"],
        format!("models/{IMAGE_MODEL}")
    );
    assert_eq!(
        created["metadata"]["batchStats"],
        json!({"requestCount": "3", "pendingRequestCount": "3"})
    );
    assert!(created.get("done").is_none());

    let done = wait_done(&server, &name).await;
    assert_eq!(keys(&done), ["name", "metadata", "done", "response"]);
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(
        done["metadata"]["batchStats"],
        json!({"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"})
    );
    assert!(done["metadata"]["endTime"].as_str().unwrap().ends_with('Z'));
    let results = &done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"];
    assert_eq!(results.as_array().unwrap().len(), 3);
    for (i, result) in results.as_array().unwrap().iter().enumerate() {
        assert_eq!(result["metadata"]["key"], format!("k{i}"));
    }
    let image = &results[0]["response"]["candidates"][0]["content"]["parts"];
    assert!(
        image
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["inlineData"]["data"].is_string()),
        "{image}"
    );
    assert_eq!(results[1]["error"]["code"], 14, "{}", results[1]);
    assert!(results[1].get("response").is_none());
    assert_eq!(
        done["response"]["@type"],
        "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
    );
    assert_eq!(
        done["response"]["inlinedResponses"],
        done["metadata"]["output"]["inlinedResponses"]
    );
}

#[tokio::test]
async fn a_file_batch_writes_a_downloadable_results_file() {
    let server = MockServer::start().await.unwrap();
    let input = concat!(
        r#"{"key": "snake", "request": {"contents": [{"parts": [{"text": "a cat"}]}], "generation_config": {"responseModalities": ["TEXT", "IMAGE"]}}}"#,
        "\n",
        r#"{"key": "broken", "request": {"contents": [{"parts": [{"text": "#,
        "\n\n",
        r#"{"key": "camel", "request": {"contents": [{"parts": [{"text": "a dog"}]}], "generationConfig": {"temperature": 0.5}}}"#,
        "\n"
    );
    let file = upload(&server, input.as_bytes().to_vec()).await;
    let (status, created) = create(
        &server,
        "v1beta",
        IMAGE_MODEL,
        json!({"batch": {"display_name": "file", "input_config": {"file_name": file}}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        created["metadata"]["inputConfig"],
        json!({"fileName": file})
    );
    assert_eq!(count(&created, "requestCount").as_deref(), Some("3"));
    let name = created["name"].as_str().unwrap().to_string();
    let done = wait_done(&server, &name).await;
    let id = name.strip_prefix("batches/").unwrap();
    let results_file = format!("files/batch-{id}");
    assert_eq!(
        done["metadata"]["output"],
        json!({"responsesFile": results_file})
    );
    assert_eq!(
        keys(&done["metadata"]),
        [
            "@type",
            "model",
            "displayName",
            "inputConfig",
            "output",
            "createTime",
            "endTime",
            "updateTime",
            "batchStats",
            "state",
            "name"
        ]
    );
    assert_eq!(done["response"]["responsesFile"], results_file);
    assert_eq!(count(&done, "failedRequestCount").as_deref(), Some("1"));
    let text = download(&server, &results_file).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(r#"{"response":{"#),
        "{}",
        &lines[0][..40]
    );
    assert!(lines[0].ends_with(r#","key":"snake"}"#));
    assert!(
        lines[1].starts_with(r#"{"error":{"code":3,"#),
        "{}",
        lines[1]
    );
    // Not JSON: the line's error, without a key (none could be read).
    assert!(lines[1].ends_with("}}"), "{}", lines[1]);
    assert!(!lines[1].contains(r#""key""#), "{}", lines[1]);
    assert!(lines[2].ends_with(r#","key":"camel"}"#));
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert!(first["response"]["candidates"][0]["content"]["parts"].is_array());
}

#[tokio::test]
async fn cancel_stops_pending_lines_and_delete_forgets() {
    let server = MockServer::start_with(Config {
        batch_pace: BatchPace::Manual,
        ..Config::default()
    })
    .await
    .unwrap();
    let (_, created) = create(&server, "v1", IMAGE_MODEL, inline_body(&["a", "b", "c"])).await;
    let name = created["name"].as_str().unwrap().to_string();
    let id = name.strip_prefix("batches/").unwrap().to_string();
    // One line released: RUNNING with one answered.
    let advanced = reqwest::Client::new()
        .post(format!("{}/__mock/batches/{id}/advance", server.uri()))
        .json(&json!({"lines": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let running = wait_answered(&server, &name).await;
    assert_eq!(running["metadata"]["state"], "BATCH_STATE_RUNNING");
    assert_eq!(
        running["metadata"]["batchStats"],
        json!({"requestCount": "3", "successfulRequestCount": "1", "pendingRequestCount": "2"})
    );
    let (status, body) = call(&server, Method::POST, &format!("/v1/{name}:cancel"), None).await;
    assert_eq!((status, body), (200, json!({})));
    let cancelled = get(&server, &name).await;
    assert_eq!(cancelled["metadata"]["state"], "BATCH_STATE_CANCELLED");
    assert_eq!(cancelled["done"], true);
    assert!(cancelled.get("response").is_none());
    // Released now, the cancelled lines never run.
    reqwest::Client::new()
        .post(format!("{}/__mock/batches/{id}/advance", server.uri()))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let still = get(&server, &name).await;
    assert_eq!(
        count(&still, "successfulRequestCount").as_deref(),
        Some("1")
    );

    let (status, body) = call(&server, Method::DELETE, &format!("/v1beta/{name}"), None).await;
    assert_eq!((status, body), (200, json!({})));
    let (status, body) = call(&server, Method::GET, &format!("/v1/{name}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    assert_eq!(body["error"]["message"], "Requested entity was not found.");
    for (method, path) in [
        (Method::POST, format!("/v1/{name}:cancel")),
        (Method::DELETE, format!("/v1/{name}")),
        (Method::GET, "/v1/batches/not-an-id".to_string()),
    ] {
        let (status, body) = call(&server, method, &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
}

#[tokio::test]
async fn list_pages_newest_first_without_inline_results() {
    let server = MockServer::start().await.unwrap();
    let mut names = Vec::new();
    for _ in 0..3 {
        let (_, created) = create(&server, "v1", IMAGE_MODEL, inline_body(&["x"])).await;
        names.push(created["name"].as_str().unwrap().to_string());
    }
    for name in &names {
        wait_done(&server, name).await;
    }
    let (status, first) = call(&server, Method::GET, "/v1/batches?pageSize=2", None).await;
    assert_eq!(status, 200);
    let page: Vec<&str> = first["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(page, [names[2].as_str(), names[1].as_str()]);
    assert!(
        first["operations"][0]["metadata"]["output"]
            .get("inlinedResponses")
            .is_none()
    );
    let token = first["nextPageToken"].as_str().unwrap();
    let (_, second) = call(
        &server,
        Method::GET,
        &format!("/v1/batches?pageSize=2&pageToken={token}"),
        None,
    )
    .await;
    assert_eq!(second["operations"][0]["name"], names[0]);
    assert!(second.get("nextPageToken").is_none());
    server.reset();
    let (_, empty) = call(&server, Method::GET, "/v1alpha/batches", None).await;
    assert_eq!(empty, json!({}));
}

#[tokio::test]
async fn bad_input_is_refused_as_google_refuses_it() {
    let server = MockServer::start().await.unwrap();
    let (status, body) = with_key(
        &server,
        Method::POST,
        &format!("/v1/models/{IMAGE_MODEL}:batchGenerateContent"),
    )
    .body("{not json")
    .send()
    .await
    .map(|r| r.status().as_u16())
    .map(|s| (s, ()))
    .unwrap();
    assert_eq!((status, body), (400, ()));
    let (status, body) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        json!({"batch": {"displayName": "x"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("input_config"),
        "{body}"
    );
    let (status, body) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        json!({"batch": {"inputConfig": {"fileName": "files/nosuchfile"}}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "You do not have permission to access the File nosuchfile or it may not exist."
    );
    let (status, body) = create(&server, "v1", IMAGE_MODEL, inline_body(&[])).await;
    assert_eq!(status, 400, "{body}");
    let mut with_output = inline_body(&["x"]);
    with_output["batch"]["output"] = json!({"responsesFile": "files/batch-x"});
    let (status, body) = create(&server, "v1", IMAGE_MODEL, with_output).await;
    assert_eq!(status, 400, "{body}");
    // A model without batchGenerateContent in its supportedGenerationMethods: Google's 404.
    let (status, body) = create(
        &server,
        "v1",
        "imagen-4.0-generate-001",
        inline_body(&["x"]),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not supported for batchGenerateContent"),
        "{body}"
    );
    // Inline requests of 20 MB and more: the body limit of model calls, Google's 400.
    let big = "x".repeat(21 * 1024 * 1024);
    let (status, body) = create(&server, "v1", IMAGE_MODEL, inline_body(&[&big])).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request payload size exceeds the limit"),
        "{}",
        body["error"]["message"]
    );
    let (status, _) = call(&server, Method::GET, "/v1/batches?pageToken=zzz", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn batch_scenarios_fail_the_batch_a_share_of_lines_or_set_the_output_late() {
    let server = MockServer::start().await.unwrap();
    // The whole batch: FAILED with a top-level error, asked for by the scenario header.
    let failed: Value = with_key(
        &server,
        Method::POST,
        &format!("/v1/models/{IMAGE_MODEL}:batchGenerateContent"),
    )
    .header("x-mock-scenario", "batch_failed")
    .json(&inline_body(&["a", "b"]))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let done = wait_done(&server, failed["name"].as_str().unwrap()).await;
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_FAILED");
    assert_eq!(keys(&done), ["name", "metadata", "done", "error"]);
    assert_eq!(done["error"]["code"], 13);
    assert!(done["metadata"].get("output").is_none());

    // A share of the lines, asked for by a directive in the display name.
    let mut body = inline_body(&["a", "b", "c", "d"]);
    body["batch"]["displayName"] = json!("quarter [mock:batch_line_errors=25]");
    let (_, created) = create(&server, "v1", IMAGE_MODEL, body).await;
    assert_eq!(created["metadata"]["displayName"], "quarter");
    let done = wait_done(&server, created["name"].as_str().unwrap()).await;
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(
        done["metadata"]["batchStats"],
        json!({"requestCount": "4", "successfulRequestCount": "3", "failedRequestCount": "1"})
    );
    let results = &done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"];
    assert_eq!(results[3]["error"]["code"], 13);
    assert_eq!(results[3]["metadata"]["key"], "k3");

    // SUCCEEDED before the output is set, asked for through the admin queue.
    let queued = reqwest::Client::new()
        .post(format!("{}/__mock/scenarios", server.uri()))
        .json(&json!({"scenario": "batch_output_late=1h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    let created = one_line_file_batch(&server).await;
    let name = created["name"].as_str().unwrap();
    let done = wait_done(&server, name).await;
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert!(done["metadata"].get("output").is_none(), "{done}");
    assert!(done.get("response").is_none());
    let advanced = reqwest::Client::new()
        .post(format!("{}/__mock/clock", server.uri()))
        .json(&json!({"advance": "61m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let later = get(&server, name).await;
    assert!(
        later["metadata"]["output"]["responsesFile"].is_string(),
        "{later}"
    );
}

#[tokio::test]
async fn a_batch_expires_after_48_hours_on_the_mocks_clock_and_the_pace_follows_the_clock() {
    let server = MockServer::start_with(Config {
        batch_pace: BatchPace::PerLine(Duration::from_secs(3600)),
        ..Config::default()
    })
    .await
    .unwrap();
    let (_, created) = create(&server, "v1", IMAGE_MODEL, inline_body(&["a", "b", "c"])).await;
    let name = created["name"].as_str().unwrap().to_string();
    let advance = |by: &'static str| {
        let url = format!("{}/__mock/clock", server.uri());
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&json!({"advance": by}))
                .send()
                .await
                .unwrap()
        }
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = get(&server, &name).await;
    assert_eq!(count(&waiting, "pendingRequestCount").as_deref(), Some("3"));
    advance("1h").await;
    let one = wait_answered(&server, &name).await;
    assert_eq!(one["metadata"]["state"], "BATCH_STATE_RUNNING");
    assert_eq!(count(&one, "successfulRequestCount").as_deref(), Some("1"));
    advance("47h").await;
    let expired = get(&server, &name).await;
    assert_eq!(expired["metadata"]["state"], "BATCH_STATE_EXPIRED");
    assert_eq!(expired["done"], true);
    assert!(expired.get("response").is_none());
    let (status, body) = call(&server, Method::POST, &format!("/v1/{name}:cancel"), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "FAILED_PRECONDITION");
}

#[tokio::test]
async fn the_budget_bounds_batches() {
    let server = MockServer::start_with(Config {
        batches_bytes: 4096,
        ..Config::default()
    })
    .await
    .unwrap();
    let (status, body) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        inline_body(&[&"y".repeat(8192)]),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    // A batch that fits, whose image results do not: each line's error, the batch SUCCEEDED.
    let (status, created) = create(&server, "v1", IMAGE_MODEL, inline_body(&["a cat"])).await;
    assert_eq!(status, 200, "{created}");
    let done = wait_done(&server, created["name"].as_str().unwrap()).await;
    assert_eq!(count(&done, "failedRequestCount").as_deref(), Some("1"));
    let result = &done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"][0];
    assert_eq!(result["error"]["code"], 8, "{result}");
    let admin: Value = reqwest::get(format!("{}/__mock/batches", server.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(admin["bytes"].as_u64().unwrap() <= 4096, "{admin}");
    assert_eq!(admin["batches"].as_array().unwrap().len(), 1);
    assert_eq!(admin["pace"], "immediate");
}

/// A mock on the data directory `dir` at `pace`.
async fn start_on(dir: &std::path::Path, pace: BatchPace) -> MockServer {
    MockServer::start_with(Config {
        data_dir: Some(gemini_image_mock::DataDir::open(dir).unwrap()),
        batch_pace: pace,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// A fresh scratch data directory named for `test`.
fn scratch_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gemini-mock-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Releases `lines` more lines of a batch (all with `None`).
async fn advance(server: &MockServer, name: &str, lines: Option<u64>) {
    let id = name.strip_prefix("batches/").unwrap();
    let body = lines.map_or_else(|| json!({}), |lines| json!({"lines": lines}));
    let answer = reqwest::Client::new()
        .post(format!("{}/__mock/batches/{id}/advance", server.uri()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// Asserts that `response` holds an image that decodes.
fn assert_decodable_image(response: &Value) {
    let data = response["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|p| p["inlineData"]["data"].as_str())
        .unwrap_or_else(|| panic!("no image in {response}"));
    let bytes = gemini_image_types::Base64Bytes::decode(data.as_bytes()).unwrap();
    image::load_from_memory(&bytes).expect("an image that decodes");
}

/// The kept requests of batch `name` in `dir`.
fn kept_requests(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let id = name.strip_prefix("batches/").unwrap();
    dir.join("batches").join(format!("{id}.requests.json"))
}

/// A JSONL input file of `prompts`, keyed `f0`, `f1`, …, uploaded; the batch created.
async fn file_batch(server: &MockServer, prompts: &[&str]) -> String {
    let input: String = prompts
        .iter()
        .enumerate()
        .map(|(i, prompt)| {
            let line = json!({"key": format!("f{i}"), "request": {"contents": [{"parts": [{"text": prompt}]}]}});
            format!("{line}\n")
        })
        .collect();
    let file = upload(server, input.into_bytes()).await;
    let (status, created) = create(
        server,
        "v1",
        IMAGE_MODEL,
        json!({"batch": {"inputConfig": {"fileName": file}}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    created["name"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn batches_survive_a_restart_with_a_data_dir() {
    let dir = scratch_dir("batches");
    let server = start_on(&dir, BatchPace::Immediate).await;
    let (_, inline) = create(&server, "v1", IMAGE_MODEL, inline_body(&["a", "b"])).await;
    let inline_name = inline["name"].as_str().unwrap().to_string();
    let from_file = one_line_file_batch(&server).await;
    let file_name = from_file["name"].as_str().unwrap().to_string();
    let inline_done = wait_done(&server, &inline_name).await;
    let file_done = wait_done(&server, &file_name).await;
    // A finished batch's requests are not kept.
    assert!(!kept_requests(&dir, &inline_name).exists());
    server.stop().await;

    // Restarted: the finished batches as they were.
    let server = start_on(&dir, BatchPace::Manual).await;
    assert_eq!(get(&server, &inline_name).await, inline_done);
    assert_eq!(get(&server, &file_name).await, file_done);
    let results = file_done["metadata"]["output"]["responsesFile"]
        .as_str()
        .unwrap();
    assert!(
        download(&server, results)
            .await
            .ends_with("\"key\":\"a\"}\n")
    );
    // A cancelled batch stays cancelled; one left running goes on after the restart.
    let (_, cancelled) = create(&server, "v1", IMAGE_MODEL, inline_body(&["c", "d"])).await;
    let cancelled_name = cancelled["name"].as_str().unwrap().to_string();
    advance(&server, &cancelled_name, Some(1)).await;
    wait_answered(&server, &cancelled_name).await;
    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/v1/{cancelled_name}:cancel"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!kept_requests(&dir, &cancelled_name).exists());
    let cancelled = get(&server, &cancelled_name).await;
    let (_, running) = create(&server, "v1", IMAGE_MODEL, inline_body(&["e"])).await;
    let running_name = running["name"].as_str().unwrap().to_string();
    assert!(kept_requests(&dir, &running_name).exists());
    server.stop().await;
    let server = start_on(&dir, BatchPace::Immediate).await;
    assert_eq!(get(&server, &cancelled_name).await, cancelled);
    assert_eq!(cancelled["metadata"]["state"], "BATCH_STATE_CANCELLED");
    let resumed = wait_done(&server, &running_name).await;
    assert_eq!(resumed["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert!(resumed.get("error").is_none(), "{resumed}");
    let results = &resumed["metadata"]["output"]["inlinedResponses"]["inlinedResponses"];
    assert_eq!(results[0]["metadata"]["key"], "k0");
    assert_decodable_image(&results[0]["response"]);
    assert!(!kept_requests(&dir, &running_name).exists());
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unfinished_batches_go_on_after_a_restart() {
    let dir = scratch_dir("batches-resume");
    let server = start_on(&dir, BatchPace::Manual).await;
    let (_, inline) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        inline_body(&["a red bicycle", "a blue boat", "a green kite"]),
    )
    .await;
    let inline_name = inline["name"].as_str().unwrap().to_string();
    let file_name = file_batch(&server, &["a cat", "a dog", "a fox"]).await;
    for name in [&inline_name, &file_name] {
        advance(&server, name, Some(1)).await;
        let one = wait_answered(&server, name).await;
        assert_eq!(one["metadata"]["state"], "BATCH_STATE_RUNNING");
    }
    server.stop().await;

    // Restarted at the manual pace: the inline batch keeps its result and goes on after it;
    // the file batch starts its results file over, its released line still released, its
    // counts consistent from the start.
    let one_done =
        json!({"requestCount": "3", "successfulRequestCount": "1", "pendingRequestCount": "2"});
    let server = start_on(&dir, BatchPace::Manual).await;
    for name in [&inline_name, &file_name] {
        let again = get(&server, name).await;
        assert!(again.get("done").is_none(), "{again}");
        assert!(again.get("error").is_none(), "{again}");
        assert_eq!(again["metadata"]["state"], "BATCH_STATE_RUNNING");
        let stats = &again["metadata"]["batchStats"];
        assert_eq!(stats["requestCount"], "3", "{stats}");
        let counted: u64 = ["successfulRequestCount", "pendingRequestCount"]
            .iter()
            .map(|field| stats[field].as_str().map_or(0, |n| n.parse().unwrap()))
            .sum();
        assert_eq!(counted, 3, "{stats}");
        let one = wait_answered(&server, name).await;
        assert_eq!(one["metadata"]["batchStats"], one_done);
    }
    assert_eq!(
        get(&server, &inline_name).await["metadata"]["batchStats"],
        one_done
    );
    // Its answered line is not run again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        get(&server, &inline_name).await["metadata"]["batchStats"],
        one_done
    );
    server.stop().await;
    // A line of the results log cut by a crash is dropped, not read.
    let id = inline_name.strip_prefix("batches/").unwrap();
    let log = dir.join("batches").join(format!("{id}.results.jsonl"));
    let mut cut = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut cut, br#"{"response": {"candid"#).unwrap();
    drop(cut);

    // Restarted again at a slow pace: they finish, every result there, in order.
    let server = start_on(&dir, BatchPace::PerLine(Duration::from_millis(30))).await;
    let inline_done = wait_done(&server, &inline_name).await;
    assert_eq!(inline_done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(
        inline_done["metadata"]["batchStats"],
        json!({"requestCount": "3", "successfulRequestCount": "3"})
    );
    let results = inline_done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
        .as_array()
        .unwrap();
    assert_eq!(results.len(), 3);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result["metadata"]["key"], format!("k{i}"));
        assert_decodable_image(&result["response"]);
    }
    assert!(!kept_requests(&dir, &inline_name).exists());
    assert!(!log.exists());

    let file_done = wait_done(&server, &file_name).await;
    assert_eq!(file_done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    let responses_file = file_done["metadata"]["output"]["responsesFile"]
        .as_str()
        .unwrap();
    let text = download(&server, responses_file).await;
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["key"], format!("f{i}"));
        assert_decodable_image(&line["response"]);
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_batch_whose_requests_are_gone_fails_after_a_restart_with_the_reason() {
    let dir = scratch_dir("batches-gone");
    let server = start_on(&dir, BatchPace::Manual).await;
    let mut names = Vec::new();
    for _ in 0..2 {
        let (_, created) = create(&server, "v1", IMAGE_MODEL, inline_body(&["a", "b"])).await;
        names.push(created["name"].as_str().unwrap().to_string());
    }
    let line = br#"{"key": "a", "request": {"contents": [{"parts": [{"text": "x"}]}]}}"#;
    let input = upload(&server, line.to_vec()).await;
    let (_, created) = create(
        &server,
        "v1",
        IMAGE_MODEL,
        json!({"batch": {"inputConfig": {"fileName": input}}}),
    )
    .await;
    let file_batch_name = created["name"].as_str().unwrap().to_string();
    let (status, _) = call(&server, Method::DELETE, &format!("/v1beta/{input}"), None).await;
    assert_eq!(status, 200);
    server.stop().await;
    std::fs::write(kept_requests(&dir, &names[0]), b"[{\"request\": ").unwrap();
    std::fs::remove_file(kept_requests(&dir, &names[1])).unwrap();

    let server = start_on(&dir, BatchPace::Immediate).await;
    for (name, why) in [
        (&names[0], "its kept requests are not valid"),
        (&names[1], "its kept requests cannot be read"),
        (&file_batch_name, "its input file files/"),
    ] {
        let failed = get(&server, name).await;
        assert_eq!(
            failed["metadata"]["state"], "BATCH_STATE_FAILED",
            "{failed}"
        );
        assert_eq!(failed["done"], true);
        let message = failed["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("The batch could not go on after the server restarted: ")
                && message.contains(why),
            "{message}"
        );
        assert!(!kept_requests(&dir, name).exists());
    }
    // The mock goes on serving.
    let (status, _) = create(&server, "v1", IMAGE_MODEL, inline_body(&["c"])).await;
    assert_eq!(status, 200);
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_resumed_batch_can_be_cancelled_expires_and_keeps_its_scenarios() {
    let dir = scratch_dir("batches-resumed-life");
    let server = start_on(&dir, BatchPace::Manual).await;
    let mut names = Vec::new();
    for display_name in [
        "to cancel",
        "to expire",
        "quarter [mock:batch_line_errors=25]",
    ] {
        let mut body = inline_body(&["a", "b", "c", "d"]);
        body["batch"]["displayName"] = json!(display_name);
        let (status, created) = create(&server, "v1", IMAGE_MODEL, body).await;
        assert_eq!(status, 200, "{created}");
        names.push(created["name"].as_str().unwrap().to_string());
    }
    server.stop().await;

    let server = start_on(&dir, BatchPace::Manual).await;
    // Cancelled after the restart: it stays so, its requests let go of.
    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/v1/{}:cancel", names[0]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&server, &names[0]).await["metadata"]["state"],
        "BATCH_STATE_CANCELLED"
    );
    assert!(!kept_requests(&dir, &names[0]).exists());
    // Its scenario still applies: a quarter of its lines fail.
    advance(&server, &names[2], None).await;
    let done = wait_done(&server, &names[2]).await;
    assert_eq!(done["metadata"]["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(
        done["metadata"]["batchStats"],
        json!({"requestCount": "4", "successfulRequestCount": "3", "failedRequestCount": "1"})
    );
    // 48 hours after its create on the mock's clock, the one left waiting expires.
    let moved = reqwest::Client::new()
        .post(format!("{}/__mock/clock", server.uri()))
        .json(&json!({"advance": "49h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let expired = get(&server, &names[1]).await;
    assert_eq!(expired["metadata"]["state"], "BATCH_STATE_EXPIRED");
    assert_eq!(expired["done"], true);
    assert!(!kept_requests(&dir, &names[1]).exists());
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
