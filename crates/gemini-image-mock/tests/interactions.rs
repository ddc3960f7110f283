//! The Interactions API over real loopback HTTP: create (unary, streamed, in the background),
//! get, delete, cancel, chained edits from the store, every input form the SDKs send, and the
//! Interactions error shape for everything that goes wrong.

use std::time::Duration;

use gemini_image_mock::{Config, ImageWeight, MockServer};
use reqwest::Method;
use serde_json::{Value, json};
use support::{content_type, keys, with_key};

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
    let content_type = content_type(&response);
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
        .rfind(|c| c["type"] == "image")
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
        assert_eq!(
            keys(&body),
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

/// Mean of each RGB channel.
fn mean_rgb(bytes: &[u8]) -> [f64; 3] {
    let image = image::load_from_memory(bytes).expect("an image").to_rgb8();
    let mut sums = [0f64; 3];
    for pixel in image.pixels() {
        for (sum, channel) in sums.iter_mut().zip(pixel.0) {
            *sum += f64::from(channel);
        }
    }
    let n = f64::from(image.width() * image.height());
    sums.map(|s| s / n)
}

fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(width, height, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG");
    out.into_inner()
}

fn b64(bytes: &[u8]) -> String {
    gemini_image_types::Base64Bytes::new(bytes.to_vec()).encode()
}

#[tokio::test]
async fn a_stream_is_created_status_steps_completed_then_done() {
    let server = MockServer::start().await.unwrap();
    // gemini-rust's request: `?alt=sse` and `stream: true`.
    let reply = send(
        with_key(&server, Method::POST, "/v1beta/interactions?alt=sse")
            .header("accept", "text/event-stream")
            .json(&json!({"model": MODEL, "input": "A banana", "stream": true,
                          "response_format": {"type": "image", "image_size": "512"}})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let events = reply.events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "interaction.created",
            "interaction.status_update",
            "step.start",
            "step.delta",
            "step.stop",
            "step.start",
            "step.delta",
            "step.stop",
            "interaction.completed"
        ]
    );
    let id = events[0]["interaction"]["id"].as_str().unwrap();
    assert!(id.starts_with("v1_"));
    assert_eq!(events[0]["interaction"]["status"], "in_progress");
    assert_eq!(events[1]["interaction_id"], id);
    assert_eq!(events[2]["step"], json!({"type": "thought"}));
    assert_eq!(events[3]["delta"]["type"], "thought_signature");
    assert_eq!(events[5]["step"], json!({"type": "model_output"}));
    // The image whole in one delta, its type before the data.
    let delta = &events[6]["delta"];
    assert_eq!(delta["type"], "image");
    assert_eq!(delta["mime_type"], "image/jpeg");
    let raw_delta = reply
        .text
        .lines()
        .find(|l| l.contains("\"data\":\""))
        .unwrap();
    assert!(raw_delta.find("mime_type") < raw_delta.find("\"data\""));
    assert_eq!(events[6]["index"], 1);
    let completed = &events[8]["interaction"];
    assert_eq!(completed["status"], "completed");
    assert!(completed.get("steps").is_none());
    assert!(completed["usage"]["total_tokens"].as_i64().unwrap() > 0);

    // The stored interaction streams again, and resumes after an event id.
    let replay = get(&server, id, "?stream=true").await;
    let again = replay.events();
    assert_eq!(again.len(), events.len());
    assert_eq!(again[6]["delta"], events[6]["delta"]);
    let resumed = get(&server, id, "?stream=true&last_event_id=7")
        .await
        .events();
    assert_eq!(resumed.len(), 2);
    assert_eq!(resumed[0]["event_type"], "step.stop");
    get(&server, id, "?stream=true&last_event_id=x")
        .await
        .error(400, "invalid_request");

    // `?alt=sse` without `stream: true` answers JSON (the body decides).
    let unary = create_with_query(&server, "?alt=sse", json!({"model": MODEL, "input": "x"})).await;
    assert!(
        unary.content_type.starts_with("application/json"),
        "{}",
        unary.content_type
    );
}

async fn create_with_query(server: &MockServer, query: &str, body: Value) -> Reply {
    send(
        with_key(
            server,
            Method::POST,
            &format!("/v1beta/interactions{query}"),
        )
        .json(&body),
    )
    .await
}

#[tokio::test]
async fn store_false_has_no_id_and_is_not_kept() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": MODEL, "input": "x", "store": false});
    let reply = create(&server, "v1", body.clone()).await.json();
    assert!(reply.get("id").is_none(), "{reply}");
    assert_eq!(reply["status"], "completed");
    let mut streamed = body;
    streamed["stream"] = json!(true);
    let events = create(&server, "v1", streamed).await.events();
    assert_eq!(events[0]["interaction"]["id"], "");
    assert_eq!(events[1]["interaction_id"], "");
    let background = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "store": false, "background": true}),
    )
    .await;
    background.error(400, "invalid_request");
}

#[tokio::test]
async fn a_three_turn_chained_edit_continues_from_the_stored_image() {
    let server = MockServer::start().await.unwrap();
    let first = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "a grey cat", "response_format": {"type": "image", "image_size": "512"}}),
    )
    .await
    .json();
    let blue = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "text", "text": "make it blue"}],
               "previous_interaction_id": first["id"]}),
    )
    .await
    .json();
    assert_eq!(blue["status"], "completed", "{blue}");
    assert_ne!(blue["id"], first["id"]);
    assert_eq!(blue["previous_interaction_id"], first["id"]);
    let (before, after) = (last_image(&first["steps"]), last_image(&blue["steps"]));
    let (before, after) = (mean_rgb(&before), mean_rgb(&after));
    assert!(
        after[2] - after[0] > before[2] - before[0] + 20.0,
        "{before:?} → {after:?}"
    );
    // A fresh drawing of the same words is not the edit.
    let fresh = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "make it blue"}),
    )
    .await
    .json();
    assert_ne!(last_image(&fresh["steps"]), last_image(&blue["steps"]));

    let flipped = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "user_input", "content": [{"type": "text", "text": "turn it upside down"}]}],
               "previous_interaction_id": blue["id"]}),
    )
    .await
    .json();
    assert_eq!(flipped["status"], "completed", "{flipped}");
    // The three ids share their root (field 1 of the id's protobuf).
    let root = |id: &Value| {
        let text = id
            .as_str()
            .unwrap()
            .trim_start_matches("v1_")
            .replace('-', "+")
            .replace('_', "/");
        let bytes = gemini_image_types::Base64Bytes::decode(text.as_bytes()).unwrap();
        let bytes = bytes.as_bytes();
        bytes[2..2 + usize::from(bytes[1])].to_vec()
    };
    assert_eq!(root(&first["id"]), root(&flipped["id"]));
    // GET of a chained turn: its own input and output.
    let timeline = get(&server, flipped["id"].as_str().unwrap(), "")
        .await
        .json();
    assert_eq!(
        timeline["steps"][0]["content"][0]["text"],
        "turn it upside down"
    );
    assert_eq!(timeline["steps"].as_array().unwrap().len(), 3);

    // The journal shows it: the later turns carry no image bytes.
    let creates: Vec<_> = server
        .received_requests()
        .into_iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/interactions"))
        .collect();
    assert_eq!(creates.len(), 4);
    for later in [&creates[1], &creates[3]] {
        let body = later.body.as_ref().expect("a JSON body").to_string();
        assert!(body.contains("previous_interaction_id"), "{body}");
        assert!(!body.contains("\"data\""), "{body}");
        assert_eq!(later.model.as_deref(), Some(MODEL));
    }
}

#[tokio::test]
async fn every_input_form_the_sdks_send_is_read() {
    let server = MockServer::start().await.unwrap();
    let red = b64(&png(64, 48, [220, 20, 20]));
    let forms = [
        json!("a lighthouse"),
        json!({"type": "text", "text": "a lighthouse"}),
        // JavaScript: a flat content list.
        json!([{"type": "text", "text": "make it green"}, {"type": "image", "data": red, "mime_type": "image/png"}]),
        // Python: the same list wrapped in one user_input step.
        json!([{"type": "user_input", "content": [{"type": "text", "text": "make it green"},
                {"type": "image", "data": red, "mime_type": "image/png"}]}]),
    ];
    for input in forms {
        let reply = create(&server, "v1", json!({"model": MODEL, "input": input})).await;
        assert_eq!(reply.status, 200, "{input}: {}", reply.text);
        assert_eq!(reply.json()["status"], "completed");
    }
    // An edited red picture, made green: the edit, not a drawing.
    let edited = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "text", "text": "make it green"},
               {"type": "image", "data": red, "mime_type": "image/png"}]}),
    )
    .await
    .json();
    let [r, g, _] = mean_rgb(&last_image(&edited["steps"]));
    assert!(g > r, "{r} {g}");

    // A stateless history, re-sent as received with the thought step: the next turn edits
    // the history's image.
    let first = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "a cat", "store": false}),
    )
    .await
    .json();
    let mut history =
        vec![json!({"type": "user_input", "content": [{"type": "text", "text": "a cat"}]})];
    history.extend(first["steps"].as_array().unwrap().iter().cloned());
    history.push(
        json!({"type": "user_input", "content": [{"type": "text", "text": "now make it blue"}]}),
    );
    let second = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": history, "store": false}),
    )
    .await
    .json();
    let (before, after) = (
        mean_rgb(&last_image(&first["steps"])),
        mean_rgb(&last_image(&second["steps"])),
    );
    assert!(
        after[2] - after[0] > before[2] - before[0] + 20.0,
        "{before:?} → {after:?}"
    );

    // The deprecated way of asking for an image, with its size: still read.
    let legacy = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "response_modalities": ["image", "text"],
               "generation_config": {"image_config": {"aspect_ratio": "1:1", "image_size": "512"}, "thinking_level": "low"}}),
    )
    .await
    .json();
    let content = legacy["steps"][1]["content"].as_array().unwrap().clone();
    assert!(content.iter().any(|c| c["type"] == "text"), "{legacy}");
    let picture = image::load_from_memory(&last_image(&legacy["steps"])).unwrap();
    assert_eq!(picture.width(), picture.height());
    // An array of formats.
    let both = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "response_format": [{"type": "text"}, {"type": "image"}]}),
    )
    .await
    .json();
    assert_eq!(both["steps"][1]["content"][0]["type"], "text", "{both}");
}

#[tokio::test]
async fn an_input_image_may_name_a_file_of_the_files_api() {
    let server = MockServer::start().await.unwrap();
    let made = reqwest::Client::new()
        .post(format!(
            "{}/__mock/files?name=redsquare&mimeType=image/png",
            server.uri()
        ))
        .body(png(32, 32, [230, 10, 10]))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let uri = format!("{}/v1beta/files/redsquare", server.uri());
    let reply = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "text", "text": "make it green"},
               {"type": "image", "uri": uri, "mime_type": "image/png"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let [r, g, _] = mean_rgb(&last_image(&reply.json()["steps"]));
    assert!(g > r, "{r} {g}");
    let missing = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "image", "uri": format!("{}/v1beta/files/nosuchfile", server.uri())}]}),
    )
    .await;
    missing.error(403, "permission_denied");
}

#[tokio::test]
async fn background_runs_on_the_mocks_clock_and_can_be_cancelled() {
    let server = MockServer::start().await.unwrap();
    let started = create(
        &server,
        "v1",
        json!({"model": MODEL, "background": true, "input": "x"}),
    )
    .await
    .json();
    assert_eq!(started["status"], "in_progress");
    assert!(started.get("steps").is_none(), "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    let running = get(&server, &id, "").await.json();
    assert_eq!(running["status"], "in_progress");
    assert_eq!(
        running["steps"].as_array().unwrap().len(),
        1,
        "the user_input alone"
    );
    // Continuing it before it completes is refused.
    create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "y", "previous_interaction_id": id}),
    )
    .await
    .error(400, "invalid_request");
    advance(&server, "2s").await;
    let done = get(&server, &id, "").await.json();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["steps"].as_array().unwrap().len(), 3);
    let late = cancel(&server, &id, None).await;
    late.error(400, "invalid_request");

    let other = create(
        &server,
        "v1",
        json!({"model": MODEL, "background": true, "input": "x"}),
    )
    .await
    .json();
    let other_id = other["id"].as_str().unwrap();
    // Python and JS send an empty body, gemini-rust `{}`.
    let cancelled = cancel(&server, other_id, Some("{}")).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json()["status"], "cancelled");
    advance(&server, "2s").await;
    assert_eq!(
        get(&server, other_id, "").await.json()["status"],
        "cancelled"
    );
    cancel(&server, other_id, None)
        .await
        .error(400, "invalid_request");
    cancel(&server, "v1_nope", None)
        .await
        .error(404, "not_found");

    // Streamed from its create, a background turn waits for its answer.
    let streamed = create(
        &server,
        "v1",
        json!({"model": MODEL, "background": true, "stream": true, "input": "x"}),
    )
    .await
    .events();
    assert_eq!(
        streamed.last().unwrap()["interaction"]["status"],
        "completed"
    );
    // A stream of a running one waits for its answer, then replays it.
    let third = create(
        &server,
        "v1",
        json!({"model": MODEL, "background": true, "input": "x"}),
    )
    .await
    .json();
    let events = get(&server, third["id"].as_str().unwrap(), "?stream=true")
        .await
        .events();
    assert_eq!(events.last().unwrap()["interaction"]["status"], "completed");
}

async fn advance(server: &MockServer, by: &str) {
    let moved = reqwest::Client::new()
        .post(format!("{}/__mock/clock", server.uri()))
        .json(&json!({"advance": by}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
}

async fn cancel(server: &MockServer, id: &str, body: Option<&str>) -> Reply {
    let request = with_key(
        server,
        Method::POST,
        &format!("/v1/interactions/{id}/cancel"),
    );
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => request.header("content-length", "0"),
    };
    send(request).await
}

#[tokio::test]
async fn the_store_is_bounded_in_bytes_and_forgets_after_its_retention() {
    // Light pictures: the bound counts bytes, a few turns must fit under it.
    let server = MockServer::start_with(Config {
        interactions_bytes: 150_000,
        interaction_retention: Duration::from_secs(3600),
        image_weight: ImageWeight::Light,
        ..Config::default()
    })
    .await
    .unwrap();
    let body = json!({"model": MODEL, "input": "noise", "response_format": {"type": "image", "image_size": "512"}});
    let mut kept = Vec::new();
    let full = loop {
        let reply = create(&server, "v1", body.clone()).await;
        if reply.status != 200 {
            break reply;
        }
        kept.push(reply.json()["id"].as_str().unwrap().to_string());
        assert!(kept.len() < 50, "the bound is never reached");
    };
    assert!(kept.len() >= 2, "{}", kept.len());
    assert!(
        full.error(429, "resource_exhausted")
            .contains("150000 bytes")
    );
    // Not stored: still served.
    let mut unstored = body.clone();
    unstored["store"] = json!(false);
    assert_eq!(create(&server, "v1", unstored).await.status, 200);
    // A delete makes room.
    send(with_key(
        &server,
        Method::DELETE,
        &format!("/v1/interactions/{}", kept[0]),
    ))
    .await;
    assert_eq!(create(&server, "v1", body.clone()).await.status, 200);
    // After the retention, gone (and the room with them).
    advance(&server, "2h").await;
    get(&server, &kept[1], "").await.error(404, "not_found");
    assert_eq!(create(&server, "v1", body.clone()).await.status, 200);
    // A reset empties it.
    let id = create(&server, "v1", body).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reset = reqwest::Client::new()
        .post(format!("{}/__mock/reset", server.uri()))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    get(&server, &id, "").await.error(404, "not_found");
}

#[tokio::test]
async fn bad_requests_get_a_clear_interactions_error() {
    let server = MockServer::start().await.unwrap();
    let raw = |body: &'static str| {
        with_key(&server, Method::POST, "/v1beta/interactions")
            .header("content-type", "application/json")
            .body(body)
    };
    let malformed = send(raw("{\"model\": ")).await;
    assert!(
        malformed
            .error(400, "invalid_request")
            .contains("Invalid JSON")
    );
    let wrong_type = send(raw(
        r#"{"model": "gemini-3.1-flash-image", "input": "x", "stream": "yes"}"#,
    ))
    .await;
    assert!(
        wrong_type.error(400, "invalid_request").contains("stream"),
        "{}",
        wrong_type.text
    );
    let camel = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "previousInteractionId": "v1_x"}),
    )
    .await;
    assert!(
        camel
            .error(400, "invalid_request")
            .contains("previousInteractionId")
    );
    let unknown_field = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "outputs": []}),
    )
    .await;
    unknown_field.error(400, "invalid_request");
    let unknown_step = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "hologram", "data": "x"}]}),
    )
    .await;
    assert!(
        unknown_step
            .error(400, "invalid_request")
            .contains("'hologram'")
    );
    let malformed_step = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "user_input", "content": "x"}]}),
    )
    .await;
    assert!(
        malformed_step
            .error(400, "invalid_request")
            .contains("'input[0].content'")
    );
    // Inside a block too, names are snake_case only, and a block needs its type.
    let camel_inside = create(&server, "v1", json!({"model": MODEL, "input": [{"type": "image", "data": "AAAA", "mimeType": "image/png"}]})).await;
    assert!(
        camel_inside
            .error(400, "invalid_request")
            .contains("mimeType")
    );
    let untyped_block = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"text": "x"}]}),
    )
    .await;
    assert!(
        untyped_block
            .error(400, "invalid_request")
            .contains("'type'")
    );
    let empty_turn = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "user_input", "content": []}]}),
    )
    .await;
    empty_turn.error(400, "invalid_request");
    let bad_format = create(&server, "v1", json!({"model": MODEL, "input": "x", "response_format": {"type": "text", "delivery": "carrier pigeon"}})).await;
    bad_format.error(400, "invalid_request");
    let no_input = create(&server, "v1", json!({"model": MODEL})).await;
    assert!(no_input.error(400, "invalid_request").contains("input"));
    let png_out = create(&server, "v1", json!({"model": MODEL, "input": "x", "response_format": {"type": "image", "mime_type": "image/png"}})).await;
    assert!(png_out.error(400, "invalid_request").contains("image/jpeg"));
    let big_size = create(&server, "v1", json!({"model": "gemini-3-pro-image", "input": "x", "response_format": {"type": "image", "image_size": "512"}})).await;
    big_size.error(400, "invalid_request");
    let bad_base64 = create(&server, "v1", json!({"model": MODEL, "input": [{"type": "image", "data": "%%%", "mime_type": "image/png"}]})).await;
    bad_base64.error(400, "invalid_request");
    let oversized = send(
        with_key(&server, Method::POST, "/v1beta/interactions")
            .header("content-type", "application/json")
            .body(vec![b' '; gemini_image_mock::MAX_BODY_BYTES + 1]),
    )
    .await;
    assert!(
        oversized
            .error(400, "invalid_request")
            .contains("exceeds the limit")
    );
    let bad_alt =
        create_with_query(&server, "?alt=xml", json!({"model": MODEL, "input": "x"})).await;
    bad_alt.error(400, "invalid_request");
    // An image's type may be left out: its bytes say it.
    let untyped = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": [{"type": "image", "data": b64(&png(8, 8, [1, 2, 3]))}]}),
    )
    .await;
    assert_eq!(untyped.status, 200, "{}", untyped.text);
    let unknown_model = create(
        &server,
        "v1",
        json!({"model": "gemini-9-banana", "input": "x"}),
    )
    .await;
    unknown_model.error(404, "not_found");
    // A retired model, answered as generateContent answers it, in this API's shape.
    let retired = create(
        &server,
        "v1",
        json!({"model": "gemini-2.5-flash-image", "input": "x"}),
    )
    .await;
    assert!(
        retired
            .error(404, "not_found")
            .contains("gemini-2.5-flash-image")
    );
    let unknown_previous = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "x", "previous_interaction_id": "v1_gone"}),
    )
    .await;
    unknown_previous.error(404, "not_found");
    // The gate's answers too.
    let no_key = send(
        reqwest::Client::new()
            .post(format!("{}/v1/interactions", server.uri()))
            .json(&json!({"model": MODEL, "input": "x"})),
    )
    .await;
    no_key.error(403, "permission_denied");
    let bad_version = send(with_key(&server, Method::GET, "/v9/interactions/v1_x")).await;
    assert_eq!(bad_version.status, 404);
}

#[tokio::test]
async fn the_headers_the_sdks_send_are_accepted() {
    let server = MockServer::start().await.unwrap();
    let reply = send(
        with_key(&server, Method::POST, "/v1/interactions")
            .header("cookie", "")
            .header("api-revision", "2026-05-20")
            .header("accept-language", "*")
            .header("sec-fetch-mode", "cors")
            .json(&json!({"model": MODEL, "input": "x"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Python sends a JSON content type on GET and DELETE too.
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let fetched = send(
        with_key(
            &server,
            Method::GET,
            &format!("/v1/interactions/{id}?stream=false&include_input=true"),
        )
        .header("content-type", "application/json"),
    )
    .await;
    assert_eq!(fetched.status, 200);
}

#[tokio::test]
async fn scenarios_and_chaos_answer_in_the_interactions_shape() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": MODEL, "input": "x"});
    let with = |scenario: &'static str| {
        with_key(&server, Method::POST, "/v1/interactions")
            .header("x-mock-scenario", scenario)
            .json(&body)
    };
    send(with("rate_limit=2s"))
        .await
        .error(429, "resource_exhausted");
    send(with("overloaded")).await.error(503, "unavailable");
    send(with("internal")).await.error(500, "internal_error");
    send(with("deadline")).await.error(504, "gateway_timeout");
    send(with("stream_error")).await.error(503, "unavailable");
    let blocked = send(with("prompt_blocked")).await;
    blocked.error(400, "content_blocked");
    let filtered = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "a cat [mock:image_safety]"}),
    )
    .await
    .json();
    assert_eq!(filtered["status"], "failed", "{filtered}");
    assert_eq!(filtered["errors"][0]["code"], "content_blocked");
    assert!(filtered.get("steps").is_none());
    let short = create(
        &server,
        "v1",
        json!({"model": MODEL, "input": "a cat [mock:max_tokens]"}),
    )
    .await
    .json();
    assert_eq!(short["status"], "incomplete", "{short}");
    // The directive is not part of the stored prompt.
    let stored = get(&server, short["id"].as_str().unwrap(), "").await.json();
    assert_eq!(stored["steps"][0]["content"][0]["text"], "a cat");

    // In a stream, a failure is an `error` event.
    let streamed = send(
        with_key(&server, Method::POST, "/v1/interactions")
            .header("x-mock-scenario", "stream_error")
            .json(&json!({"model": MODEL, "input": "x", "stream": true})),
    )
    .await;
    assert_eq!(streamed.status, 200);
    let frame = streamed
        .text
        .split("\n\n")
        .find(|f| f.starts_with("event: error"))
        .expect("an error event");
    let data: Value =
        serde_json::from_str(frame.lines().nth(1).unwrap().trim_start_matches("data: ")).unwrap();
    assert_eq!(
        data,
        json!({"error": {"message": "The model is overloaded. Please try again later.", "code": "unavailable"}, "event_type": "error"})
    );

    // Queued scenarios count the SDKs' retries: five attempts of a create.
    server.enqueue(
        gemini_image_mock::QueuedScenario::new(gemini_image_mock::Scenario::Overloaded).times(4),
    );
    for _ in 0..4 {
        create(&server, "v1", body.clone())
            .await
            .error(503, "unavailable");
    }
    assert_eq!(create(&server, "v1", body.clone()).await.status, 200);
    let journaled = server.received_requests();
    assert!(
        journaled
            .iter()
            .any(|e| e.scenarios == ["overloaded"] && e.status == 503)
    );
}

#[tokio::test]
async fn a_slow_background_job_answers_its_create_at_once_and_runs_longer() {
    let server = MockServer::start().await.unwrap();
    let request = with_key(&server, Method::POST, "/v1/interactions")
        .header("x-mock-scenario", "slow=30s")
        .json(&json!({"model": MODEL, "background": true, "input": "a slow sunset"}));
    // Were the delay the delivery's, the create would take 30 s: this bound only tells the two
    // apart (nothing here measures speed).
    let started = tokio::time::timeout(std::time::Duration::from_secs(20), send(request))
        .await
        .expect("a background create answers at once")
        .json();
    assert_eq!(started["status"], "in_progress");
    let id = started["id"].as_str().unwrap();
    // The job takes the mock's background latency (1 s) plus the 30 s, on the mock's clock.
    advance(&server, "20s").await;
    assert_eq!(get(&server, id, "").await.json()["status"], "in_progress");
    advance(&server, "12s").await;
    assert_eq!(get(&server, id, "").await.json()["status"], "completed");
}
