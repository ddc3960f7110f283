//! Import and export: a directory recorded through the proxy, exported to google-genai's
//! replay file and to test-server's recordings, imported back into a new directory — the two
//! directories must replay the same answers (the formats keep JSON, not bytes: the same status,
//! the same JSON, the same events), and no exported byte may hold the key.

use gemini_image_mock::{Interchange, MockServer};
use serde_json::Value;

use super::{Answer, KEY, MODEL, call, files, memchr_find, recording, temp_dir, text_request};

/// An answer as the other formats keep it: its status and JSON (a stream: its events' JSON).
fn meaning(answer: &Answer) -> (u16, Value) {
    let text = String::from_utf8_lossy(&answer.body);
    if answer.content_type.starts_with("text/event-stream") {
        let events = text
            .split("\r\n\r\n")
            .filter_map(|event| event.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).unwrap_or(Value::Null))
            .collect();
        return (answer.status, Value::Array(events));
    }
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()));
    (answer.status, body)
}

#[tokio::test]
async fn an_export_imported_again_replays_the_same_answers() {
    let (dir, upstream, recorder) = recording("interchange").await;
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            format!("{MODEL}:generateContent"),
            Some(text_request("a paper crane")),
        ),
        (
            "POST",
            format!("{MODEL}:streamGenerateContent?alt=sse"),
            Some(text_request("a green kite")),
        ),
        (
            "POST",
            "/v1beta/models/gemini-2.5-flash-image:generateContent".into(),
            Some(text_request("retired")),
        ),
        ("GET", "/v1beta/models".into(), None),
    ];
    for (method, path, body) in &calls {
        call(&recorder, method, path, body.as_ref()).await;
    }
    recorder.stop().await;
    upstream.stop().await;
    let original = MockServer::replay(&dir).await.expect("a replaying mock");

    for (format, name) in [
        (Interchange::GoogleGenai, "tests/interchange/all.mldev"),
        (Interchange::TestServer, "Interchange_all"),
    ] {
        let out = temp_dir("exported");
        let exported = format.export(&dir, &out, Some(name)).expect("an export");
        assert_eq!(exported.exchanges, calls.len(), "{format:?}");
        assert!(exported.skipped.is_empty(), "{:?}", exported.skipped);
        assert_eq!(exported.written, vec![out.join(format!("{name}.json"))]);
        for file in files(&out) {
            let bytes = std::fs::read(&file).expect("an exported file");
            assert!(
                memchr_find(&bytes, KEY.as_bytes()).is_none(),
                "{}",
                file.display()
            );
        }
        let again = temp_dir("imported");
        let imported = format.import(&out, &again).expect("an import");
        assert_eq!(imported.exchanges, calls.len(), "{format:?}");
        assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);

        let copy = MockServer::replay(&again).await.expect("a replaying mock");
        for (method, path, body) in &calls {
            let want = meaning(&call(&original, method, path, body.as_ref()).await);
            let got = meaning(&call(&copy, method, path, body.as_ref()).await);
            assert_eq!(got, want, "{format:?} {method} {path}");
        }
        // The stream comes back as a stream, in Google's frames.
        let stream = call(&copy, "POST", &calls[1].1, calls[1].2.as_ref()).await;
        assert_eq!(stream.content_type, "text/event-stream");
        assert!(String::from_utf8_lossy(&stream.body).ends_with("\r\n\r\n"));
        copy.stop().await;
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_dir_all(&again);
    }
    original.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn test_server_files_are_named_by_hash_without_a_name_and_chain_with_one() {
    let (dir, upstream, recorder) = recording("chain").await;
    for prompt in ["one", "two"] {
        let path = format!("{MODEL}:generateContent");
        call(&recorder, "POST", &path, Some(&text_request(prompt))).await;
    }
    recorder.stop().await;
    upstream.stop().await;

    let out = temp_dir("by-hash");
    let exported = Interchange::TestServer
        .export(&dir, &out, None)
        .expect("an export");
    assert_eq!(exported.written.len(), 2);
    for path in &exported.written {
        let file: Value =
            serde_json::from_slice(&std::fs::read(path).expect("a file")).expect("JSON");
        let interaction = &file["interactions"][0];
        let sha = interaction["shaSum"].as_str().expect("a shaSum");
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some(&*format!("{sha}.json"))
        );
        assert_eq!(file["recordID"], sha);
        assert_eq!(
            interaction["request"]["previousRequest"],
            "b4d6e60a9b97e7b98c63df9308728c5c88c0b40c398046772c63447b94608b4d"
        );
        assert!(
            interaction["request"]["headers"]
                .get("X-Goog-Api-Key")
                .is_none()
        );
        assert!(
            interaction["request"]["headers"]
                .get("Content-Length")
                .is_some()
        );
    }

    let named = temp_dir("named");
    Interchange::TestServer
        .export(&dir, &named, Some("Suite_two_prompts"))
        .expect("an export");
    let file: Value = serde_json::from_slice(
        &std::fs::read(named.join("Suite_two_prompts.json")).expect("the file"),
    )
    .expect("JSON");
    let first = &file["interactions"][0];
    assert_eq!(
        file["interactions"][1]["request"]["previousRequest"],
        first["shaSum"]
    );
    for folder in [dir, out, named] {
        let _ = std::fs::remove_dir_all(folder);
    }
}
