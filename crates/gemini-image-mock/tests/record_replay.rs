//! Record and replay over loopback, no network: a normal mock is the upstream, a recording
//! mock in front of it records, the upstream is stopped, and a replaying mock on the same
//! directory must answer every request byte for byte (bodies) and frame for frame (SSE).

#[path = "record_replay/interchange.rs"]
mod interchange;
#[path = "record_replay/stateful.rs"]
mod stateful;

use std::path::{Path, PathBuf};

use gemini_image_mock::{MockServer, RecordingOptions};
use serde_json::{Value, json};

/// A key distinctive enough that finding it in a recording means it leaked.
const KEY: &str = "AIzaSy-record-replay-test-key-0123456789";

const MODEL: &str = "/v1beta/models/gemini-3.1-flash-image";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "gemini-mock-record-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A fresh directory, a plain mock as the upstream, and a mock recording it into the directory.
async fn recording(name: &str) -> (PathBuf, MockServer, MockServer) {
    let dir = temp_dir(name);
    let upstream = MockServer::start().await.expect("a port");
    let recorder = MockServer::record(&dir, upstream.uri())
        .await
        .expect("a recording mock");
    (dir, upstream, recorder)
}

/// One answer as the client saw it.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: String,
    /// The body's pieces as they arrived, joined (the SSE frames are compared as text).
    body: Vec<u8>,
}

async fn call(server: &MockServer, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.uri()))
        .header("x-goog-api-key", KEY);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().await.expect("a whole body").to_vec();
    Answer {
        status,
        content_type,
        body,
    }
}

fn text_request(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

/// The first image's base64 in a `generateContent` answer.
fn image_of(answer: &Answer) -> String {
    let value: Value = serde_json::from_slice(&answer.body).expect("JSON");
    value["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|part| part["inlineData"]["data"].as_str())
        .expect("an image in the answer")
        .to_owned()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn json_files(dir: &Path) -> usize {
    files(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .count()
}

#[tokio::test]
async fn what_was_recorded_replays_byte_for_byte_and_frame_for_frame() {
    let (dir, upstream, recorder) = recording("whole").await;

    let generate = text_request("a red bicycle");
    let first = call(
        &recorder,
        "POST",
        &format!("{MODEL}:generateContent"),
        Some(&generate),
    )
    .await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let edit = json!({"contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": "image/jpeg", "data": image_of(&first)}},
        {"text": "make it blue"}]}]});
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            format!("{MODEL}:generateContent"),
            Some(generate.clone()),
        ),
        (
            "POST",
            format!("{MODEL}:streamGenerateContent?alt=sse"),
            Some(text_request("a green kite")),
        ),
        ("POST", format!("{MODEL}:generateContent"), Some(edit)),
        (
            "POST",
            "/v1beta/models/gemini-2.5-flash-image:generateContent".into(),
            Some(text_request("retired")),
        ),
        ("GET", "/v1beta/models".into(), None),
    ];
    let mut recorded = vec![first];
    for (method, path, body) in &calls[1..] {
        recorded.push(call(&recorder, method, path, body.as_ref()).await);
    }
    assert_eq!(recorded[1].content_type, "text/event-stream");
    let frames = String::from_utf8_lossy(&recorded[1].body)
        .matches("data: ")
        .count();
    assert!(frames >= 2, "a stream of several events: {frames}");
    assert_eq!(recorded[2].status, 200);
    assert_eq!(
        recorded[3].status, 404,
        "the retired model's answer is recorded too"
    );
    // The stream's recording is on disk when its last piece has reached the caller.
    assert_eq!(json_files(&dir), calls.len());
    assert_eq!(upstream.received_requests().len(), calls.len());
    recorder.stop().await;
    upstream.stop().await;

    // Redaction: the key is in no byte of the directory; images are files, not base64 text.
    for file in files(&dir) {
        let bytes = std::fs::read(&file).expect("a recording file");
        assert!(
            memchr_find(&bytes, KEY.as_bytes()).is_none(),
            "{} contains the key",
            file.display()
        );
        if file.extension().is_some_and(|e| e == "json") {
            assert!(
                bytes.len() < 64 * 1024,
                "{} keeps base64 inline",
                file.display()
            );
        }
    }
    assert!(
        files(&dir.join("blobs"))
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "jpg"))
    );

    let replayer = MockServer::replay(&dir).await.expect("a replaying mock");
    for ((method, path, body), expected) in calls.iter().zip(&recorded) {
        let replayed = call(&replayer, method, path, body.as_ref()).await;
        assert_eq!(&replayed, expected, "{method} {path}");
    }

    // The same request spelled as another SDK spells it is the same recording.
    let snake = json!({"contents": [{"parts": [{"text": "a red bicycle"}], "role": "user"}],
                       "generation_config": {}});
    let respelled = call(
        &replayer,
        "POST",
        "/v1/models/gemini-3.1-flash-image:generateContent",
        Some(&snake),
    )
    .await;
    assert_eq!(respelled, recorded[0]);

    // A changed request names the nearest recording and what differs.
    let missed = call(
        &replayer,
        "POST",
        &format!("{MODEL}:generateContent"),
        Some(&text_request("a blue bicycle")),
    )
    .await;
    assert_eq!(missed.status, 400);
    let error: Value = serde_json::from_slice(&missed.body).expect("Google's error JSON");
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(error["error"]["status"], "FAILED_PRECONDITION");
    assert!(message.contains(&dir.display().to_string()), "{message}");
    assert!(message.contains("generateContent.json"), "{message}");
    assert!(
        message.contains(
            "body.contents[0].parts[0].text: recorded \"a red bicycle\", requested \"a blue bicycle\""
        ),
        "{message}"
    );
    replayer.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_recording_that_would_hold_the_key_is_refused_and_nothing_is_sent() {
    let (dir, upstream, recorder) = recording("refused").await;
    let answer = call(
        &recorder,
        "POST",
        &format!("{MODEL}:generateContent"),
        Some(&text_request(&format!("my key is {KEY}"))),
    )
    .await;
    assert_eq!(answer.status, 400);
    let text = String::from_utf8_lossy(&answer.body);
    assert!(text.contains("API key"), "{text}");
    assert!(!text.contains(KEY), "the error repeats the key: {text}");
    assert_eq!(json_files(&dir), 0);
    assert!(upstream.received_requests().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_exchange_over_the_bound_is_refused_with_a_clear_error() {
    let dir = temp_dir("bound");
    let upstream = MockServer::start().await.expect("a port");
    let recorder = MockServer::with_recordings(
        RecordingOptions::record(&dir, upstream.uri()).max_exchange_bytes(4096),
    )
    .await
    .expect("a recording mock");
    let answer = call(
        &recorder,
        "POST",
        &format!("{MODEL}:generateContent"),
        Some(&text_request("a lighthouse")),
    )
    .await;
    assert_eq!(answer.status, 400);
    let text = String::from_utf8_lossy(&answer.body);
    assert!(text.contains("recording bound of 4096 bytes"), "{text}");
    assert_eq!(json_files(&dir), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bytes of every file under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    files(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::test]
async fn recording_stops_clearly_at_the_directory_bound_and_keeps_what_it_has() {
    let path = format!("{MODEL}:generateContent");
    let request = text_request("a lighthouse at the bound");
    // One recording's size on disk, its image blob included.
    let (scratch, _upstream, recorder) = recording("total-scratch").await;
    let first = call(&recorder, "POST", &path, Some(&request)).await;
    assert_eq!(first.status, 200);
    let one = bytes_under(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);

    // Room for that recording and less than a second one's JSON (the same answer: its image
    // blob is shared, only the JSON is new).
    let bound = one + 100;
    let dir = temp_dir("total");
    let upstream = MockServer::start().await.expect("a port");
    let recorder = MockServer::with_recordings(
        RecordingOptions::record(&dir, upstream.uri()).max_total_bytes(bound),
    )
    .await
    .expect("a recording mock");
    let recorded = call(&recorder, "POST", &path, Some(&request)).await;
    assert_eq!(recorded, first);
    let refused = call(&recorder, "POST", &path, Some(&request)).await;
    assert_eq!(refused.status, 400);
    let text = String::from_utf8_lossy(&refused.body);
    for said in [
        "FAILED_PRECONDITION",
        "did not record",
        &format!("the bound of {bound} bytes"),
        "--recordings-total-mb",
        "raise the bound or record into another directory",
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
    assert_eq!(
        json_files(&dir),
        1,
        "the first recording is kept, the second not written"
    );
    assert!(bytes_under(&dir) <= bound);
    drop(recorder);

    // Nothing is lost: the directory opens within its bound and replays what was recorded.
    let replayer =
        MockServer::with_recordings(RecordingOptions::replay(&dir).max_total_bytes(bound))
            .await
            .expect("the directory opens within its bound");
    let replayed = call(&replayer, "POST", &path, Some(&request)).await;
    assert_eq!(replayed.body, first.body);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn record_on_miss_forwards_only_what_no_recording_answers() {
    let dir = temp_dir("on-miss");
    let upstream = MockServer::start().await.expect("a port");
    let both =
        MockServer::with_recordings(RecordingOptions::replay_or_record(&dir, upstream.uri()))
            .await
            .expect("a mock that replays and records");
    let path = format!("{MODEL}:generateContent");
    let first = call(&both, "POST", &path, Some(&text_request("a fox"))).await;
    let again = call(&both, "POST", &path, Some(&text_request("a fox"))).await;
    assert_eq!(first, again);
    assert_eq!(
        upstream.received_requests().len(),
        1,
        "the second is replayed"
    );
    call(&both, "POST", &path, Some(&text_request("an owl"))).await;
    assert_eq!(upstream.received_requests().len(), 2);
    assert_eq!(json_files(&dir), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn identical_requests_replay_in_order_and_the_admin_api_is_never_recorded() {
    let (dir, upstream, recorder) = recording("sequence").await;
    // The upstream answers the same request differently the second time (a queued 503).
    let path = format!("{MODEL}:generateContent");
    let request = text_request("twice");
    upstream.enqueue(
        gemini_image_mock::QueuedScenario::new(gemini_image_mock::Scenario::Overloaded).times(1),
    );
    let first = call(&recorder, "POST", &path, Some(&request)).await;
    let second = call(&recorder, "POST", &path, Some(&request)).await;
    assert_eq!((first.status, second.status), (503, 200));
    let health = call(&recorder, "GET", "/__mock/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(json_files(&dir), 2, "the admin API is not recorded");

    let replayer = MockServer::with_recordings(RecordingOptions::replay(&dir).repeat_last(false))
        .await
        .expect("a replaying mock");
    assert_eq!(call(&replayer, "POST", &path, Some(&request)).await, first);
    assert_eq!(call(&replayer, "POST", &path, Some(&request)).await, second);
    let past = call(&replayer, "POST", &path, Some(&request)).await;
    assert_eq!(past.status, 400);
    assert!(String::from_utf8_lossy(&past.body).contains("were all replayed"));
    replayer.reset();
    assert_eq!(call(&replayer, "POST", &path, Some(&request)).await, first);
    let _ = std::fs::remove_dir_all(&dir);
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
