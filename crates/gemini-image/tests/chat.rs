//! `Chat` against `gemini-image-mock`: turn after turn, the model's parts (images and
//! `thoughtSignature`) go back exactly as they came; a failed turn leaves the history alone.

use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use gemini_image::types::Content;
use gemini_image::{Client, ResponseExt, RetryPolicy};
use gemini_image_mock::{MockServer, Scenario};
use serde_json::Value;

const MODEL: &str = "gemini-3-pro-image";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("chat-test-key")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The `thoughtSignature`s of a content, base64 as Google writes them.
fn signatures(content: &Content) -> Vec<String> {
    content
        .parts
        .iter()
        .filter_map(|p| p.thought_signature.as_ref())
        .map(|s| base64::engine::general_purpose::STANDARD.encode(s.as_ref()))
        .collect()
}

#[tokio::test]
async fn three_edits_send_every_image_and_signature_back() {
    let server = MockServer::start().await.unwrap();
    let mut chat = client(&server).chat(MODEL);
    let mut answers = Vec::new();
    for turn in ["draw a red bicycle", "make it blue", "add a basket"] {
        let response = chat.send(turn).await.unwrap();
        assert_eq!(response.images().len(), 1, "{turn}");
        answers.push(response);
    }
    assert_eq!(chat.history().len(), 6);
    let roles: Vec<_> = chat
        .history()
        .iter()
        .map(|c| c.role.as_deref().unwrap())
        .collect();
    assert_eq!(roles, ["user", "model", "user", "model", "user", "model"]);
    // Each edit starts from the picture before it, so each turn's image differs.
    assert_ne!(answers[0].images(), answers[1].images());
    assert_ne!(answers[1].images(), answers[2].images());

    // What the mock received on the third turn: the whole history, model parts verbatim.
    let sent = server.received_requests();
    assert_eq!(sent.len(), 3);
    let contents = sent[2].body.as_ref().unwrap()["contents"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(contents.len(), 5);
    for (turn, answer) in [(1, &answers[0]), (3, &answers[1])] {
        let model_turn = answer.candidates[0].content.as_ref().unwrap();
        let expected = signatures(model_turn);
        assert!(!expected.is_empty(), "a Gemini 3 image comes signed");
        let sent_back: Vec<String> = contents[turn]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["thoughtSignature"].as_str().map(str::to_string))
            .collect();
        assert_eq!(sent_back, expected, "turn {turn}");
        assert_eq!(contents[turn]["role"], "model");
        // The image went back too (the journal shows its size and hash).
        let image = answer.images()[0].bytes.len();
        let described = contents[turn]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|p| p["inlineData"]["data"].as_str())
            .unwrap();
        assert!(
            described.starts_with(&format!("<{image} bytes")),
            "{described}"
        );
    }
    assert_eq!(contents[4]["parts"][0]["text"], "add a basket");
}

#[tokio::test]
async fn a_failed_or_empty_turn_leaves_the_history_alone() {
    let server = MockServer::start().await.unwrap();
    let mut chat = client(&server).chat(MODEL);
    chat.send("draw a kite").await.unwrap();

    server.enqueue(Scenario::Internal);
    assert!(chat.send("make it green").await.is_err());
    assert_eq!(chat.history().len(), 2);

    // A filtered image: an answer, but nothing to continue from.
    server.enqueue(Scenario::ImageSafety);
    let filtered = chat.send("make it green").await.unwrap();
    assert!(filtered.images().is_empty());
    assert_eq!(chat.history().len(), 2);

    chat.send("make it green").await.unwrap();
    assert_eq!(chat.history().len(), 4);
    let body: &Value = &server.received_requests()[3].body.clone().unwrap();
    assert_eq!(body["contents"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_streamed_turn_joins_the_history_once_read_to_the_end() {
    let server = MockServer::start().await.unwrap();
    let mut chat = client(&server).chat(MODEL);
    {
        let mut stream = chat.send_stream("draw a boat").await.unwrap();
        let mut chunks = 0;
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
            chunks += 1;
        }
        assert!(chunks >= 2);
    }
    assert_eq!(chat.history().len(), 2);
    let model_turn = &chat.history()[1];
    assert_eq!(
        model_turn
            .parts
            .iter()
            .filter(|p| p.inline_data.is_some())
            .count(),
        1
    );
    assert!(!signatures(model_turn).is_empty());

    // A stream that fails half-way records nothing.
    server.enqueue(Scenario::StreamError);
    {
        let mut stream = chat.send_stream("make it red").await.unwrap();
        let mut failed = false;
        while let Some(chunk) = stream.next().await {
            failed |= chunk.is_err();
        }
        assert!(failed);
    }
    assert_eq!(chat.history().len(), 2);

    // The next turn edits from the streamed image.
    tokio::time::timeout(Duration::from_secs(30), chat.send("make it red"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chat.history().len(), 4);
}

#[tokio::test]
async fn undo_drops_the_last_exchange_and_the_next_turn_edits_the_one_before() {
    let server = MockServer::start().await.unwrap();
    let mut chat = client(&server).chat(MODEL);
    assert!(!chat.undo(), "nothing to undo yet");
    let first = chat.send("draw a red bicycle").await.unwrap();
    chat.send("make it green").await.unwrap();
    assert!(chat.undo());
    assert_eq!(chat.history().len(), 2);
    chat.send("make it blue").await.unwrap();

    // The third request carried the first exchange and the new turn, not the undone one.
    let sent = server.received_requests();
    let contents = sent[2].body.as_ref().unwrap()["contents"]
        .as_array()
        .unwrap()
        .clone();
    let texts: Vec<&str> = contents
        .iter()
        .filter_map(|c| c["parts"][0]["text"].as_str())
        .collect();
    assert_eq!(contents.len(), 3);
    assert!(!texts.contains(&"make it green"), "{texts:?}");
    assert_eq!(contents[2]["parts"][0]["text"], "make it blue");
    let model_turn = first.candidates[0].content.as_ref().unwrap();
    let sent_back: Vec<&str> = contents[1]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["thoughtSignature"].as_str())
        .collect();
    assert_eq!(sent_back, signatures(model_turn));

    assert!(chat.undo() && chat.undo());
    assert!(chat.history().is_empty());
    assert!(!chat.undo());
}
