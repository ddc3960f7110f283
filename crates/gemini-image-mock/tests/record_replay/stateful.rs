//! The stateful APIs through the recording proxy and on replay: a resumable upload whose
//! chunks are sent where the server says (as curl or a browser would, not rewriting the host as
//! Google's SDKs do) must reach the recording proxy and then the replaying mock, and a batch
//! created and polled must replay its states in the order they were recorded. The admin API
//! lists what answered and what missed.

use gemini_image_mock::{Interchange, MockServer};
use serde_json::{Value, json};

use super::{KEY, MODEL, call, recording};

/// An upload as a client that follows `x-goog-upload-url` literally; the file resource.
async fn upload(server: &MockServer, bytes: &[u8]) -> Value {
    let client = reqwest::Client::new();
    let start = client
        .post(format!("{}/upload/v1beta/files", server.uri()))
        .header("x-goog-api-key", KEY)
        .header("x-goog-upload-protocol", "resumable")
        .header("x-goog-upload-command", "start")
        .header(
            "x-goog-upload-header-content-length",
            bytes.len().to_string(),
        )
        .header("x-goog-upload-header-content-type", "text/plain")
        .json(&json!({"file": {"display_name": "notes"}}))
        .send()
        .await
        .expect("the start is answered");
    let url = start
        .headers()
        .get("x-goog-upload-url")
        .and_then(|v| v.to_str().ok())
        .expect("an upload URL")
        .to_owned();
    assert!(
        url.starts_with(&server.uri()),
        "the upload URL {url} does not point at the mock the client called, {}",
        server.uri()
    );
    let done = client
        .post(url)
        .header("x-goog-upload-command", "upload, finalize")
        .header("x-goog-upload-offset", "0")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("the chunk is answered");
    assert_eq!(done.status(), 200);
    done.json().await.expect("the file resource")
}

/// A one-line batch created, then polled until it is done: its operations in order.
async fn batch(server: &MockServer) -> Vec<Value> {
    let create = json!({"batch": {"displayName": "kites", "inputConfig": {"requests": {"requests": [
        {"request": {"contents": [{"parts": [{"text": "a kite"}], "role": "user"}]},
         "metadata": {"key": "k0"}}]}}}});
    let created = call(
        server,
        "POST",
        &format!("{MODEL}:batchGenerateContent"),
        Some(&create),
    )
    .await;
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let operation: Value = serde_json::from_slice(&created.body).expect("an operation");
    let name = operation["name"].as_str().expect("a name").to_owned();
    let mut seen = vec![operation];
    for _ in 0..400 {
        let got = call(server, "GET", &format!("/v1beta/{name}"), None).await;
        let operation: Value = serde_json::from_slice(&got.body).expect("an operation");
        let done = operation["done"] == true;
        seen.push(operation);
        if done {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the batch {name} did not finish");
}

#[tokio::test]
async fn uploads_and_batches_record_and_replay_with_their_state() {
    let (dir, upstream, recorder) = recording("stateful").await;
    let bytes = b"recorded once, replayed for ever\n";
    let uploaded = upload(&recorder, bytes).await;
    let name = uploaded["file"]["name"]
        .as_str()
        .expect("a file name")
        .to_owned();
    let got = call(&recorder, "GET", &format!("/v1beta/{name}"), None).await;
    let polled = batch(&recorder).await;
    assert!(polled.len() >= 2);
    recorder.stop().await;
    upstream.stop().await;

    let replayer = MockServer::replay(&dir).await.expect("a replaying mock");
    assert_eq!(upload(&replayer, bytes).await, uploaded);
    assert_eq!(
        call(&replayer, "GET", &format!("/v1beta/{name}"), None).await,
        got
    );
    assert_eq!(
        batch(&replayer).await,
        polled,
        "the states replay in recorded order"
    );

    // A different file's bytes are a miss, listed by the admin API with the nearest recording.
    let client = reqwest::Client::new();
    let listing = |server: &MockServer| {
        let url = format!("{}/__mock/recordings", server.uri());
        let client = client.clone();
        async move {
            let answer = client.get(url).send().await.expect("the admin API answers");
            answer.json::<Value>().await.expect("JSON")
        }
    };
    let before = listing(&replayer).await;
    assert_eq!(before["mode"], "replay");
    assert_eq!(before["dir"], dir.display().to_string());
    let recordings = before["recordings"].as_array().expect("the recordings");
    assert_eq!(recordings.len(), 3 + polled.len());
    assert!(recordings.iter().all(|r| r["hits"] == 1), "{before}");
    assert!(before["misses"].as_array().is_some_and(Vec::is_empty));
    let missed = call(&replayer, "GET", "/v1beta/files/nosuchfile", None).await;
    assert_eq!(missed.status, 400);
    let after = listing(&replayer).await;
    assert_eq!(after["misses"][0]["path"], "/v1beta/files/nosuchfile");
    assert!(
        after["misses"][0]["nearest"]
            .as_str()
            .is_some_and(|n| n.ends_with(".json"))
    );
    replayer.reset();
    let rewound = listing(&replayer).await;
    assert!(
        rewound["recordings"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["hits"] == 0)
    );
    replayer.stop().await;

    // test-server cannot hold the chunk's binary body: the export says so, not guesses.
    let out = super::temp_dir("stateful-export");
    let exported = Interchange::TestServer
        .export(&dir, &out, Some("stateful"))
        .expect("an export");
    assert_eq!(exported.skipped.len(), 1, "{:?}", exported.skipped);
    assert!(
        exported.skipped[0].contains("binary request body"),
        "{:?}",
        exported.skipped
    );
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_mock_without_recordings_says_so_on_its_recordings_route() {
    let server = MockServer::start().await.expect("a port");
    let answer = call(&server, "GET", "/__mock/recordings", None).await;
    assert_eq!(answer.status, 400);
    assert!(String::from_utf8_lossy(&answer.body).contains("--replay DIR"));
}
