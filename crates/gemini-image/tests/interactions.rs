//! The Interactions API through `client.interactions()` against the real `gemini-image-mock`
//! over loopback: text to image at a size, edits (inline, chained, a chat stored or stateless),
//! streams, `store: false`, background runs, errors in both of Google's shapes, cut streams;
//! and against a hand-scripted server for a stream that ends cleanly without its last event.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use gemini_image::types::{
    AspectRatio, ImageSize, InteractionEvent, InteractionStatus, InteractionStep,
};
use gemini_image::{
    Client, Error, InteractionChat, InteractionExt, InteractionRequest, InteractionStream,
    OpenUnion, ResponseExt, ResponseFormat, image_part,
};
use gemini_image_mock::{Config, MockServer, Scenario};
use serde_json::Value;
use support::scripted::{self, Script};

const KEY: &str = "interactions-test-key-4242";
const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;
const PRO: &str = "gemini-3-pro-image";

fn client(server: &MockServer) -> Client {
    support::quick_client(KEY, &server.uri())
}

/// A PNG of noise (which no compression shrinks), `side` pixels square.
fn photo(side: u32) -> Vec<u8> {
    let mut png = std::io::Cursor::new(Vec::new());
    let mut seed = 7u32;
    image::RgbImage::from_fn(side, side, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    })
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    png.into_inner()
}

/// The JSON bodies of the `POST /…/interactions` the mock received, oldest first.
fn create_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .into_iter()
        .filter(|entry| entry.method == "POST" && entry.path.ends_with("/interactions"))
        .map(|entry| entry.body.unwrap_or(Value::Null))
        .collect()
}

/// Every `type: image` block anywhere in a JSON value.
fn image_blocks(value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            usize::from(map.get("type") == Some(&Value::from("image")))
                + map.values().map(image_blocks).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(image_blocks).sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn text_to_image_at_the_size_asked_for() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    for (size, side) in [(ImageSize::X512, 512), (ImageSize::X1k, 1024)] {
        let request = InteractionRequest::new(MODEL)
            .text("a red bicycle")
            .response_format(
                ResponseFormat::image()
                    .size(size)
                    .aspect_ratio(AspectRatio::X11),
            );
        let interaction = client.interactions().create(request).await.unwrap();
        assert_eq!(
            interaction.status,
            Some(InteractionStatus::Completed.into())
        );
        assert!(interaction.id.as_deref().unwrap().starts_with("v1_"));
        let image = interaction.output_image().expect("an image");
        let decoded = image::load_from_memory(&image.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (side, side), "{size}");
        // One way to read images out of either API.
        assert_eq!(interaction.images(), std::slice::from_ref(&image));
        assert!(
            matches!(interaction.outcome(), gemini_image::Outcome::Images(ref i) if i[0] == image)
        );
    }
    let body = &create_bodies(&server)[0];
    assert_eq!(body["input"], "a red bicycle");
    assert_eq!(
        body["response_format"],
        serde_json::json!({"type": "image", "image_size": "512", "aspect_ratio": "1:1"})
    );
}

#[tokio::test]
async fn an_edit_sends_the_image_inline_and_a_chained_edit_only_the_id() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let original = photo(64);
    let first = client
        .interactions()
        .create(
            InteractionRequest::new(PRO)
                .parts(image_part(original.clone()).unwrap())
                .text("make it blue"),
        )
        .await
        .unwrap();
    assert!(first.output_image().is_some());
    let first_id = first.id.clone().unwrap();

    let second = client
        .interactions()
        .create(
            InteractionRequest::new(PRO)
                .text("add a basket")
                .previous_interaction_id(&first_id),
        )
        .await
        .unwrap();
    assert!(second.output_image().is_some());
    assert_ne!(second.id.as_deref(), Some(first_id.as_str()));

    let bodies = create_bodies(&server);
    let turn = &bodies[0]["input"][0];
    assert_eq!(turn["type"], "user_input");
    let block = &turn["content"][0];
    assert_eq!(block["type"], "image");
    assert_eq!(block["mime_type"], "image/png");
    let data = block["data"].as_str().unwrap();
    assert!(
        data.starts_with(&format!("<{} bytes", original.len())),
        "{data}"
    );
    assert_eq!(
        turn["content"][1],
        serde_json::json!({"type": "text", "text": "make it blue"})
    );
    assert_eq!(bodies[1]["previous_interaction_id"], first_id.as_str());
    assert_eq!(image_blocks(&bodies[1]), 0);

    // The stored timeline of the second turn starts with its own input.
    let timeline = client
        .interactions()
        .get(second.id.as_deref().unwrap())
        .await
        .unwrap();
    assert!(matches!(
        timeline.steps.first(),
        Some(OpenUnion::Known(InteractionStep::UserInput { .. }))
    ));
    assert_eq!(timeline.output_image(), second.output_image());
}

#[tokio::test]
async fn a_stored_chat_sends_no_image_after_its_first_turn() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut chat = client.interactions().chat(PRO);
    let mut ids = Vec::new();
    chat.send([image_part(photo(48)).unwrap(), "make it blue".into()])
        .await
        .unwrap();
    ids.push(chat.last_interaction_id().unwrap().to_string());
    for instruction in ["add a basket", "now at night"] {
        let answer = chat.send(instruction).await.unwrap();
        assert!(answer.output_image().is_some());
        ids.push(chat.last_interaction_id().unwrap().to_string());
    }
    assert!(chat.history().is_empty(), "a stored chat keeps only the id");
    let bodies = create_bodies(&server);
    assert_eq!(bodies.len(), 3);
    assert_eq!(image_blocks(&bodies[0]), 1);
    for (turn, body) in bodies.iter().enumerate().skip(1) {
        assert_eq!(image_blocks(body), 0, "turn {turn}: {body}");
        assert_eq!(body["previous_interaction_id"], ids[turn - 1].as_str());
        assert!(!body.to_string().contains("bytes, xxh3"), "{body}");
    }
}

#[tokio::test]
async fn a_stateless_chat_sends_the_steps_back_with_their_thought_signature() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut chat = InteractionChat::stateless(&client, InteractionRequest::new(PRO));
    let first = chat.send("draw a red bicycle").await.unwrap();
    assert_eq!(first.id, None, "store: false leaves no id");
    let signature = first
        .steps
        .iter()
        .find_map(|step| match step.known() {
            Some(InteractionStep::Thought { signature, .. }) => signature.clone(),
            _ => None,
        })
        .expect("a thought signature");
    let second = chat.send("make it blue").await.unwrap();

    let bodies = create_bodies(&server);
    assert_eq!(bodies[1]["store"], false);
    let input = bodies[1]["input"].as_array().unwrap();
    assert_eq!(input[0]["type"], "user_input");
    let thought = input.iter().find(|s| s["type"] == "thought").unwrap();
    assert_eq!(thought["signature"], signature.as_str());
    assert_eq!(input.last().unwrap()["content"][0]["text"], "make it blue");
    assert_eq!(
        chat.history().len(),
        1 + first.steps.len() + 1 + second.steps.len()
    );
}

#[tokio::test]
async fn a_stream_brings_the_image_whole_in_a_delta() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let request = InteractionRequest::new(MODEL)
        .text("a lighthouse")
        .response_format(ResponseFormat::image().size(ImageSize::X1k));
    let mut stream = client.interactions().create_stream(request).await.unwrap();
    let mut deltas = Vec::new();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        if let OpenUnion::Known(InteractionEvent::StepDelta {
            delta: Some(delta), ..
        }) = &event
            && let Some(data) = &delta.data
        {
            deltas.push(data.clone());
        }
        events.push(event);
    }
    assert_eq!(deltas.len(), 1);
    let decoded = image::load_from_memory(&deltas[0]).unwrap();
    assert_eq!(decoded.width(), 1024);
    let mut accumulator = gemini_image::InteractionAccumulator::default();
    for event in events {
        accumulator.push(event);
    }
    let interaction = accumulator.finish();
    assert_eq!(
        &interaction.output_image().unwrap().bytes[..],
        &deltas[0][..]
    );
    assert_eq!(
        interaction.status,
        Some(InteractionStatus::Completed.into())
    );
    assert_eq!(create_bodies(&server)[0]["stream"], true);

    // The same, collected; and without storing it, no id.
    let unstored = client
        .interactions()
        .create_stream(
            InteractionRequest::new(MODEL)
                .text("a lighthouse")
                .store(false),
        )
        .await
        .unwrap()
        .collect_interaction()
        .await
        .unwrap();
    assert_eq!(unstored.id, None);
    assert!(unstored.output_image().is_some());
}

#[tokio::test]
async fn store_false_answers_without_an_id() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let answer = client
        .interactions()
        .create(InteractionRequest::new(MODEL).text("a fox").store(false))
        .await
        .unwrap();
    assert_eq!(answer.id, None);
    assert!(answer.output_image().is_some());
}

#[tokio::test]
async fn a_background_run_is_waited_for_or_cancelled() {
    let server = MockServer::start_with(Config {
        interaction_background_latency: Duration::from_millis(600),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&server);
    let interactions = client.interactions();
    let request = InteractionRequest::new(MODEL)
        .text("a fox")
        .background(true);
    let started = interactions.create(request.clone()).await.unwrap();
    assert_eq!(started.status, Some(InteractionStatus::InProgress.into()));
    assert!(!started.is_finished());
    let id = started.id.unwrap();
    let done = interactions
        .wait(&id, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(done.status, Some(InteractionStatus::Completed.into()));
    assert!(done.output_image().is_some());

    let started = interactions.create(request).await.unwrap();
    let id = started.id.unwrap();
    let cancelled = interactions.cancel(&id).await.unwrap();
    assert_eq!(cancelled.status, Some(InteractionStatus::Cancelled.into()));
    let after = interactions
        .wait(&id, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(after.status, Some(InteractionStatus::Cancelled.into()));
    assert!(after.output_image().is_none());

    // A run that outlasts the deadline.
    let slow = MockServer::start_with(Config {
        interaction_background_latency: Duration::from_secs(60),
        ..Config::default()
    })
    .await
    .unwrap();
    let slow_client = support::quick_client(KEY, &slow.uri());
    let started = slow_client
        .interactions()
        .create(
            InteractionRequest::new(MODEL)
                .text("a fox")
                .background(true),
        )
        .await
        .unwrap();
    let waited = slow_client
        .interactions()
        .wait(started.id.as_deref().unwrap(), Duration::from_millis(700))
        .await;
    assert!(matches!(waited, Err(Error::Timeout(_))), "{waited:?}");
}

#[tokio::test]
async fn errors_in_the_interactions_shape_and_the_classic_one() {
    let server = MockServer::start_with(Config {
        api_keys: vec![KEY.to_string()],
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(&server);
    // Data plane: background without store.
    let refused = client
        .interactions()
        .create(
            InteractionRequest::new(MODEL)
                .text("a fox")
                .store(false)
                .background(true),
        )
        .await;
    let Err(Error::Api(api)) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(api.http_status, 400);
    assert_eq!(api.code.as_deref(), Some("invalid_request"));
    assert!(
        api.to_string().starts_with("400 invalid_request: "),
        "{api}"
    );

    // Control plane (the generated client): an id the mock does not keep.
    let missing = client.interactions().get("v1_nope").await;
    let Err(Error::Api(api)) = &missing else {
        panic!("{missing:?}");
    };
    assert_eq!(
        (api.http_status, api.code.as_deref()),
        (404, Some("not_found"))
    );
    let missing = client.interactions().delete("v1_nope").await;
    assert_eq!(missing.unwrap_err().status(), Some(404));

    // A key the server does not know: however the gate words it, it is read, with its status
    // and never the key.
    let wrong = support::quick_client("wrong-key-1234", &server.uri());
    for error in [
        wrong
            .interactions()
            .create(InteractionRequest::new(MODEL).text("a fox"))
            .await
            .unwrap_err(),
        wrong.interactions().get("v1_x").await.unwrap_err(),
    ] {
        let Error::Api(api) = &error else {
            panic!("{error:?}");
        };
        assert!(matches!(api.http_status, 400 | 401 | 403), "{api}");
        assert!(api.status.is_some() || api.code.is_some(), "{api:?}");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains("wrong-key-1234"), "{shown}");
        }
    }
    for shown in [
        format!("{client:?}"),
        format!("{:?}", client.interactions()),
        format!("{:?}", client.interactions().chat(MODEL)),
        format!("{refused:?}"),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
    }
}

#[tokio::test]
async fn a_cut_stream_is_an_error_never_a_short_answer() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    server.enqueue(Scenario::StreamTruncated);
    let outcome = match client
        .interactions()
        .create_stream(InteractionRequest::new(MODEL).text("a cut"))
        .await
    {
        Ok(stream) => stream.collect_interaction().await,
        Err(error) => Err(error),
    };
    assert!(
        matches!(outcome, Err(Error::Incomplete { .. } | Error::Transport(_))),
        "{outcome:?}"
    );
}

/// A whole stream, as the real server writes it, cut after `events` events.
fn recorded_stream(events: usize) -> Vec<u8> {
    let frames = [
        r#"{"interaction":{"id":"v1_s","status":"in_progress","object":"interaction","model":"gemini-3.1-flash-image"},"event_type":"interaction.created"}"#,
        r#"{"interaction_id":"v1_s","status":"in_progress","event_type":"interaction.status_update"}"#,
        r#"{"index":0,"step":{"type":"model_output"},"event_type":"step.start"}"#,
        r#"{"index":0,"delta":{"text":"Here it is.","type":"text"},"event_type":"step.delta"}"#,
        r#"{"index":0,"event_type":"step.stop"}"#,
        r#"{"interaction":{"id":"v1_s","status":"completed","object":"interaction"},"event_type":"interaction.completed"}"#,
    ];
    let mut body = String::new();
    for frame in frames.iter().take(events) {
        let kind: Value = serde_json::from_str(frame).unwrap();
        body.push_str(&format!(
            "event: {}\ndata: {frame}\n\n",
            kind["event_type"].as_str().unwrap()
        ));
    }
    if events >= frames.len() {
        body.push_str("event: done\ndata: [DONE]\n\n");
    }
    body.into_bytes()
}

#[tokio::test]
async fn a_stream_that_ends_cleanly_before_interaction_completed_is_incomplete() {
    for (events, whole) in [(6, true), (5, false), (1, false)] {
        let base = scripted::serve(Script {
            status: "200 OK",
            content_type: "text/event-stream",
            body: recorded_stream(events),
            piece: 13,
        })
        .await;
        let client = Client::builder()
            .api_key(KEY)
            .base_url(base)
            .retry(gemini_image::RetryPolicy::none())
            .build()
            .unwrap();
        let stream: Result<InteractionStream, Error> = client
            .interactions()
            .create_stream(InteractionRequest::new(MODEL).text("x"))
            .await;
        let collected = match stream {
            Ok(stream) => stream.collect_interaction().await,
            Err(error) => Err(error),
        };
        if whole {
            assert_eq!(collected.unwrap().output_text(), "Here it is.");
        } else {
            assert!(
                matches!(collected, Err(Error::Incomplete { .. })),
                "{events}: {collected:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_classic_google_error_on_an_interactions_route_keeps_its_status_and_details() {
    // Google's front end answers some refusals (quota, a bad key) in the classic shape, on the
    // Interactions routes too: both planes read it, details and all.
    let body = br#"{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}]}}"#;
    let base = scripted::serve(Script {
        status: "429 Too Many Requests",
        content_type: "application/json",
        body: body.to_vec(),
        piece: 4096,
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry(gemini_image::RetryPolicy::none())
        .build()
        .unwrap();
    let interactions = client.interactions();
    for error in [
        interactions.get("v1_x").await.unwrap_err(),
        interactions.cancel("v1_x").await.unwrap_err(),
        interactions
            .create(InteractionRequest::new(MODEL).text("x"))
            .await
            .unwrap_err(),
    ] {
        let Error::Api(api) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(api.http_status, 429);
        assert_eq!(api.status_name().as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(api.code, None);
        assert_eq!(api.retry_delay(), Some(Duration::from_secs(47)));
        assert_eq!(error.to_string(), "429 RESOURCE_EXHAUSTED: quota");
    }
}

#[tokio::test]
async fn an_image_past_the_inline_limit_is_uploaded_and_named_by_uri() {
    let server = MockServer::start().await.unwrap();
    // A limit of 2 000 bytes stands in for Google's 20 MB.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .inline_limit(2_000)
        .build()
        .unwrap();
    let original = photo(40);
    let answer = client
        .interactions()
        .create(
            InteractionRequest::new(PRO)
                .image(original.clone(), "image/png")
                .text("make it blue"),
        )
        .await
        .unwrap();
    assert!(answer.output_image().is_some());
    let body = &create_bodies(&server)[0];
    let block = &body["input"][0]["content"][0];
    assert_eq!(block["type"], "image");
    assert!(block.get("data").is_none(), "{block}");
    assert!(
        block["uri"].as_str().unwrap().contains("/files/"),
        "{block}"
    );
    assert_eq!(block["mime_type"], "image/png");

    // Refused before sending when uploads are off.
    let refused = client
        .with_auto_upload(false)
        .interactions()
        .create(InteractionRequest::new(PRO).image(original, "image/png"))
        .await;
    assert!(
        matches!(refused, Err(Error::RequestTooLarge { limit: 2_000, .. })),
        "{refused:?}"
    );
}
