//! The Interactions API over real loopback HTTP: create (unary, streamed, in the background),
//! get, delete, cancel, chained edits from the store, every input form the SDKs send, and the
//! Interactions error shape for everything that goes wrong.

use std::time::Duration;

use gemini_image_mock::{Config, MockServer};
use reqwest::Method;
use serde_json::{Value, json};
use support::with_key;

mod support;

const MODEL: &str = "gemini-3.1-flash-image";

/// What came back: status, content type, body text.
struct Reply {
    status: u16,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The error of an Interactions-shaped error body: `{"error": {"message", "code"}}` and
    /// nothing else.
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        let body = self.json();
        let error = body["error"]
            .as_object()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(error.len(), 2, "only message and code: {body}");
        assert_eq!(error["code"], code, "{body}");
        assert!(body.as_object().is_some_and(|o| o.len() == 1), "{body}");
        error["message"].as_str().unwrap_or_default().to_string()
    }

    /// The SSE events' data, in order, and the frames as sent.
    fn events(&self) -> Vec<Value> {
        assert!(
            self.content_type.starts_with("text/event-stream"),
            "{}",
            self.content_type
        );
        assert!(
            self.text.ends_with("event: done\ndata: [DONE]\n\n"),
            "{}",
            self.text
        );
        self.text
            .split("\n\n")
            .filter(|frame| !frame.is_empty() && !frame.contains("[DONE]"))
            .map(|frame| {
                let (event, data) = frame.split_once('\n').expect("event and data lines");
                let kind = event.strip_prefix("event: ").expect("an event line");
                let data: Value =
                    serde_json::from_str(data.strip_prefix("data: ").expect("a data line"))
                        .expect("one-line JSON");
                assert_eq!(data["event_type"], kind);
                data
            })
            .collect()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        content_type,
        text,
    }
}

async fn create(server: &MockServer, version: &str, body: Value) -> Reply {
    send(with_key(server, Method::POST, &format!("/{version}/interactions")).json(&body)).await
}

async fn get(server: &MockServer, id: &str, query: &str) -> Reply {
    send(with_key(
        server,
        Method::GET,
        &format!("/v1beta/interactions/{id}{query}"),
    ))
    .await
}

/// The bytes of the last image of `steps`.
fn last_image(steps: &Value) -> Vec<u8> {
    let data = steps
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["type"] == "model_output")
        .flat_map(|s| s["content"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == "image")
        .next_back()
        .and_then(|c| c["data"].as_str().map(str::to_string))
        .expect("an image");
    gemini_image_types::Base64Bytes::decode(data.as_bytes())
        .expect("standard base64")
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn text_to_image_then_get_then_delete_on_both_versions() {
    let server = MockServer::start().await.unwrap();
    for version in ["v1", "v1beta"] {
        let reply = create(
            &server,
            version,
            json!({"model": MODEL, "input": "A banana on the moon",
                   "response_format": {"aspect_ratio": "16:9", "image_size": "512", "type": "image"}}),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(reply.content_type.starts_with("application/json"));
        let body = reply.json();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "status",
                "usage",
                "created",
                "updated",
                "service_tier",
                "steps",
                "object",
                "model"
            ]
        );
        let id = body["id"].as_str().unwrap();
        assert!(id.starts_with("v1_"), "{id}");
        assert_eq!(body["status"], "completed");
        assert_eq!(body["object"], "interaction");
        assert_eq!(body["service_tier"], "standard");
        assert_eq!(body["model"], MODEL);
        let created = body["created"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
        let usage = &body["usage"];
        assert_eq!(
            usage["total_tokens"].as_i64().unwrap(),
            usage["total_input_tokens"].as_i64().unwrap()
                + usage["total_output_tokens"].as_i64().unwrap()
                + usage["total_thought_tokens"].as_i64().unwrap()
        );
        assert_eq!(usage["output_tokens_by_modality"][0]["modality"], "image");
        // A thinking model: its signature first, then the picture alone.
        let steps = body["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!(steps[0]["type"], "thought");
        assert!(!steps[0]["signature"].as_str().unwrap().is_empty());
        assert_eq!(steps[1]["type"], "model_output");
        let content = steps[1]["content"].as_array().unwrap();
        assert_eq!(content.len(), 1);
        assert_eq!(content[0]["mime_type"], "image/jpeg");
        let image = image::load_from_memory(&last_image(&body["steps"])).unwrap();
        // 16:9 at 512.
        assert!(
            image.width() > image.height(),
            "{}x{}",
            image.width(),
            image.height()
        );

        let timeline = get(&server, id, "?stream=false").await;
        assert_eq!(timeline.status, 200, "{}", timeline.text);
        let timeline = timeline.json();
        assert_eq!(timeline["steps"][0]["type"], "user_input");
        assert_eq!(
            timeline["steps"][0]["content"][0]["text"],
            "A banana on the moon"
        );
        assert_eq!(timeline["steps"][1], body["steps"][0]);
        assert_eq!(timeline["steps"][2], body["steps"][1]);

        let deleted = send(with_key(
            &server,
            Method::DELETE,
            &format!("/{version}/interactions/{id}"),
        ))
        .await;
        assert_eq!((deleted.status, deleted.json()), (200, json!({})));
        let gone = get(&server, id, "").await;
        assert!(gone.error(404, "not_found").contains(id));
        let again = send(with_key(
            &server,
            Method::DELETE,
            &format!("/{version}/interactions/{id}"),
        ))
        .await;
        again.error(404, "not_found");
    }
}
