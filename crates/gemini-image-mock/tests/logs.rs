//! The mock's logs say what happened — method, path, status — and never carry a key or image data.

use std::io::Write;
use std::sync::{Arc, Mutex};

use gemini_image_mock::MockServer;
use serde_json::json;

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
async fn logs_name_requests_but_never_keys_or_image_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    const SECRET: &str = "AIzaSy-very-secret-key-1234";
    // Valid base64 of a non-image, and invalid base64: both must stay out of the logs.
    const IMAGE_DATA: &str = "U0VDUkVUUElYRUxTU0VDUkVUUElYRUxT";
    const BAD_DATA: &str = "QUJD!!not-base64-at-all!!";
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let base = server.uri();
    let edit = |data: &str| {
        json!({"contents": [{"parts": [
            {"inlineData": {"mimeType": "image/png", "data": data}},
            {"text": "make it blue"}
        ]}]})
    };
    let calls = [
        (
            format!("{base}/v1beta/models/gemini-3.1-flash-image:generateContent"),
            edit(IMAGE_DATA),
            true,
        ),
        (
            format!("{base}/v1beta/models/gemini-3.1-flash-image:generateContent?key={SECRET}"),
            edit(BAD_DATA),
            false,
        ),
        (
            format!("{base}/v1beta/models/gemini-3.5-flash:generateContent"),
            json!({"contents": [{"parts": [{"text": "hello"}]}]}),
            true,
        ),
    ];
    let mut statuses = Vec::new();
    for (url, body, in_header) in calls {
        let mut request = client.post(url).json(&body);
        if in_header {
            request = request.header("x-goog-api-key", SECRET);
        }
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 200]);
    drop(server);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/v1beta/models/gemini-3.5-flash:generateContent"),
        "{logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("status=400"), "{logs}");
    assert!(
        !logs.contains(SECRET),
        "the key leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains(IMAGE_DATA),
        "image data leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains("not-base64"),
        "image data leaked into the logs:\n{logs}"
    );
}
