//! Scenarios over real loopback HTTP: each asked for in each of the three ways gives the same
//! Google-shaped answer (snapshotted); transport scenarios really delay or cut; chaos replays;
//! the journal and the admin API tell what happened.

use std::time::{Duration, Instant};

use gemini_image_mock::{
    ChaosConfig, Config, JournalFilter, MockServer, QueuedScenario, Validation,
};
use reqwest::Method;
use serde_json::{Value, json};
use support::{read, with_key};

mod support;

const GEMINI: &str = "gemini-3.1-flash-image";
const IMAGEN: &str = "imagen-4.0-generate-001";

/// How a test asks for a scenario.
#[derive(Clone, Copy, Debug)]
enum Way {
    Header,
    Directive,
    Queue,
}

fn gemini_body(prompt: &str) -> Value {
    json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}
    })
}

fn imagen_body(prompt: &str) -> Value {
    json!({"instances": [{"prompt": prompt}], "parameters": {"sampleCount": 2}})
}

/// Sends a request asking for `scenario` in `way`; returns status, content type and body text
/// (or the transport error).
async fn ask(
    server: &MockServer,
    scenario: &str,
    way: Way,
    model: &str,
    method: &str,
) -> Result<(u16, String, String), reqwest::Error> {
    let prompt = "a red bicycle";
    let prompt = match way {
        Way::Directive => format!("{prompt} [mock:{scenario}]"),
        _ => prompt.to_string(),
    };
    let body = if model == IMAGEN {
        imagen_body(&prompt)
    } else {
        gemini_body(&prompt)
    };
    let mut request = with_key(
        server,
        Method::POST,
        &format!("/v1beta/models/{model}:{method}"),
    )
    .json(&body);
    match way {
        Way::Header => request = request.header("x-mock-scenario", scenario),
        Way::Queue => server.enqueue(QueuedScenario {
            scenario: gemini_image_mock::Scenario::parse_list(scenario).unwrap(),
            ..QueuedScenario::new(gemini_image_mock::Scenario::Overloaded)
        }),
        Way::Directive => {}
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await?;
    Ok((status, content_type, text))
}

/// Image data replaced by its length, so that snapshots stay readable.
fn elide(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest
        .find(r#""data": ""#)
        .or_else(|| rest.find(r#""bytesBase64Encoded": ""#))
    {
        let open = at + rest[at..].find(": \"").unwrap() + 3;
        let close = open + rest[open..].find('"').unwrap();
        out.push_str(&rest[..open]);
        out.push_str(&format!("<{} base64 chars>", close - open));
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Every answer-shaping and error scenario, asked for in each way, gives one same answer.
#[tokio::test]
async fn each_scenario_each_way_gives_googles_answer() {
    let cases: &[(&str, &str, &str)] = &[
        ("rate_limit", GEMINI, "generateContent"),
        ("rate_limit=3s", GEMINI, "generateContent"),
        ("daily_quota", GEMINI, "generateContent"),
        ("overloaded", GEMINI, "generateContent"),
        ("internal", GEMINI, "generateContent"),
        ("deadline", GEMINI, "generateContent"),
        ("image_safety", GEMINI, "generateContent"),
        ("image_prohibited_content", GEMINI, "generateContent"),
        ("image_other", GEMINI, "generateContent"),
        ("image_recitation", GEMINI, "generateContent"),
        ("no_image", GEMINI, "generateContent"),
        ("safety", GEMINI, "generateContent"),
        ("recitation", GEMINI, "generateContent"),
        ("max_tokens", GEMINI, "generateContent"),
        ("prompt_blocked", GEMINI, "generateContent"),
        ("prompt_blocked=SAFETY", GEMINI, "generateContent"),
        ("text_only", GEMINI, "generateContent"),
        ("stream_error", GEMINI, "streamGenerateContent?alt=sse"),
        ("stream_error", GEMINI, "generateContent"),
        ("rai_filtered", IMAGEN, "predict"),
    ];
    // Imagen is retired: its scenarios are served with the legacy models.
    let server = MockServer::start_with(Config {
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();
    for (scenario, model, method) in cases {
        let mut answers = Vec::new();
        for way in [Way::Header, Way::Directive, Way::Queue] {
            let (status, content_type, text) = ask(&server, scenario, way, model, method)
                .await
                .unwrap_or_else(|e| panic!("{scenario} by {way:?}: {e}"));
            assert!(
                content_type.starts_with("application/json") || content_type == "text/event-stream",
                "{scenario}: {content_type}"
            );
            answers.push((status, elide(&text)));
        }
        assert_eq!(
            answers[0], answers[1],
            "{scenario}: header and directive differ"
        );
        assert_eq!(
            answers[0], answers[2],
            "{scenario}: header and queue differ"
        );
        let (status, text) = &answers[0];
        let name = format!(
            "{}_{}",
            scenario.replace('=', "_"),
            method.split(['?', ':']).next().unwrap()
        );
        insta::assert_snapshot!(name, format!("{status}\n{text}"));
    }
    // The queue was used up: the next request is normal.
    let (status, _, text) = ask(&server, "", Way::Directive, GEMINI, "generateContent")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("\"inlineData\""));
}

#[tokio::test]
async fn the_rate_limit_is_googles_byte_for_byte_and_has_no_retry_after_header() {
    let server = MockServer::start().await.unwrap();
    let response = with_key(
        &server,
        Method::POST,
        &format!("/v1beta/models/{GEMINI}:generateContent"),
    )
    .header("x-mock-scenario", "rate_limit")
    .json(&gemini_body("x"))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_none());
    let body: Value = response.json().await.unwrap();
    // The spec's RateLimitError example is a real capture, for another model.
    let spec: Value = serde_norway::from_str(include_str!("../../../openapi/gemini.yaml")).unwrap();
    let real = serde_json::to_string(&spec["components"]["examples"]["RateLimitError"]["value"])
        .unwrap()
        .replace("gemini-2.5-flash-preview-image", GEMINI);
    assert_eq!(body, serde_json::from_str::<Value>(&real).unwrap());
}

#[tokio::test]
async fn slow_delays_the_first_byte_and_every_frame() {
    let server = MockServer::start().await.unwrap();
    for way in [Way::Header, Way::Directive, Way::Queue] {
        let started = Instant::now();
        let (status, _, text) = ask(
            &server,
            "slow=60ms",
            way,
            GEMINI,
            "streamGenerateContent?alt=sse",
        )
        .await
        .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(status, 200);
        let frames = text.matches("\r\n\r\n").count();
        assert_eq!(frames, 3);
        // One delay before the head, one before each frame.
        assert!(
            elapsed >= Duration::from_millis(60 * (frames as u64 + 1)),
            "{way:?}: {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn truncation_and_reset_really_cut_the_connection() {
    let server = MockServer::start().await.unwrap();
    for (scenario, method) in [
        ("stream_truncated", "streamGenerateContent?alt=sse"),
        ("stream_truncated", "generateContent"),
        ("connection_reset", "generateContent"),
        ("connection_reset", "streamGenerateContent?alt=sse"),
    ] {
        for way in [Way::Header, Way::Directive, Way::Queue] {
            let outcome = ask(&server, scenario, way, GEMINI, method).await;
            let error =
                outcome.expect_err(&format!("{scenario} by {way:?} on {method} ended cleanly"));
            assert!(
                error.is_body() || error.is_request() || error.is_decode(),
                "{scenario}: {error:?}"
            );
        }
    }
    // A truncated stream delivered its first event whole before the cut.
    let response = with_key(
        &server,
        Method::POST,
        &format!("/v1beta/models/{GEMINI}:streamGenerateContent?alt=sse"),
    )
    .header("x-mock-scenario", "stream_truncated")
    .json(&gemini_body("a red bicycle"))
    .send()
    .await
    .unwrap();
    let mut response = response;
    let first = response.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: {") && first.ends_with(b"\r\n\r\n"));
    let mut received = first.len();
    let cut = loop {
        match response.chunk().await {
            Ok(Some(more)) => received += more.len(),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(
        cut && received > first.len(),
        "half of the next event, then the cut"
    );
}

/// The statuses of 40 countTokens calls in a row.
async fn forty_statuses(server: &MockServer) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let response = with_key(
            server,
            Method::POST,
            "/v1beta/models/gemini-3.5-flash:countTokens",
        )
        .json(&json!({"contents": [{"parts": [{"text": "hello"}]}]}))
        .send()
        .await
        .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn chaos_with_a_seed_replays_the_same_outcomes() {
    let chaos = ChaosConfig {
        faults: vec![
            "overloaded@30%".parse().unwrap(),
            "rate_limit=1s@20%".parse().unwrap(),
        ],
        latency: Some("uniform:0ms..2ms".parse().unwrap()),
        seed: 42,
    };
    let config = Config {
        chaos: chaos.clone(),
        ..Config::default()
    };
    let first = MockServer::start_with(config.clone()).await.unwrap();
    let outcomes = forty_statuses(&first).await;
    first.reset();
    assert_eq!(
        forty_statuses(&first).await,
        outcomes,
        "reset replays the sequence"
    );
    let second = MockServer::start_with(config).await.unwrap();
    assert_eq!(
        forty_statuses(&second).await,
        outcomes,
        "the same seed, the same sequence"
    );
    for status in [200, 429, 503] {
        assert!(outcomes.contains(&status), "{outcomes:?} lacks {status}");
    }
    let other = MockServer::start_with(Config {
        chaos: ChaosConfig { seed: 43, ..chaos },
        ..Config::default()
    })
    .await
    .unwrap();
    assert_ne!(
        forty_statuses(&other).await,
        outcomes,
        "another seed, another sequence"
    );
}

/// The journal after a known sequence, with the fields that vary by machine left out.
#[tokio::test]
async fn the_journal_tells_what_was_sent_and_answered() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let png = {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(8, 8, image::Rgb([9, 99, 199]))
            .write_to(&mut bytes, image::ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    };
    let edit = json!({"contents": [{"parts": [
        {"inline_data": {"mime_type": "image/png", "data": gemini_image_types::Base64Bytes::from(png).encode()}},
        {"text": "make it blue [mock:slow=1ms]"}
    ]}]});
    client
        .post(format!(
            "{}/v1beta/models/{GEMINI}:generateContent",
            server.uri()
        ))
        .header("x-goog-api-key", "secret-key-1")
        .header("x-mock-test-id", "journal-test")
        .json(&edit)
        .send()
        .await
        .unwrap();
    client
        .post(format!(
            "{}/v1/models/gemini-3.5-flash:countTokens?key=secret-key-2",
            server.uri()
        ))
        .header("x-mock-scenario", "overloaded")
        .json(&json!({"contents": [{"parts": [{"text": "hi"}]}], "bogus": 1}))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}/v1beta/models?pageSize=2", server.uri()))
        .header("x-goog-api-key", "secret-key-3")
        .send()
        .await
        .unwrap();
    client
        .get(format!("{}/__mock/health", server.uri()))
        .send()
        .await
        .unwrap();

    let journal = server.received_requests();
    let shown: Vec<Value> = journal
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "method": e.method, "path": e.path, "query": e.query,
                "apiKey": e.headers.get("x-goog-api-key"), "testId": e.test_id,
                "model": e.model, "body": e.body, "scenarios": e.scenarios,
                "warnings": e.warnings, "status": e.status,
            })
        })
        .collect();
    insta::assert_json_snapshot!(shown);
    let text = serde_json::to_string(&journal).unwrap();
    for secret in ["secret-key-1", "secret-key-2", "secret-key-3"] {
        assert!(!text.contains(secret), "{secret} leaked into the journal");
    }

    let by_test = server.received_requests_matching(&JournalFilter {
        test_id: Some("journal-test".into()),
        ..JournalFilter::default()
    });
    assert_eq!(by_test.len(), 1);
    let by_model = server.received_requests_matching(&JournalFilter {
        model: Some("models/gemini-3.5-flash".into()),
        ..JournalFilter::default()
    });
    assert_eq!(by_model.len(), 1);
    server.reset();
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn the_admin_api_queues_lists_filters_and_resets() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let admin = |path: &str| format!("{}/__mock/{path}", server.uri());
    let queued: Value = read(client.post(admin("scenarios")).json(&json!([
        {"scenario": "rate_limit=2s", "times": 2, "model": GEMINI},
        {"scenario": "overloaded", "testId": "t-1"}
    ])))
    .await;
    assert_eq!(queued["scenarios"].as_array().unwrap().len(), 2);
    let wrong = client
        .post(admin("scenarios"))
        .json(&json!({"scenario": "meltdown"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().await.unwrap().contains("unknown scenario"));

    let generate = |model: &str, test_id: Option<&str>| {
        let mut request = with_key(
            &server,
            Method::POST,
            &format!("/v1beta/models/{model}:generateContent"),
        )
        .json(&gemini_body("a cat"));
        if let Some(id) = test_id {
            request = request.header("x-mock-test-id", id);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        generate("gemini-3.5-flash", None).await,
        400,
        "text model, not the queued one"
    );
    assert_eq!(generate(GEMINI, None).await, 429);
    assert_eq!(generate(GEMINI, Some("t-1")).await, 429);
    assert_eq!(generate(GEMINI, None).await, 200);
    assert_eq!(generate(GEMINI, Some("t-1")).await, 503);

    let listed: Value = read(client.get(admin(&format!(
        "requests?model={GEMINI}&path=generateContent"
    ))))
    .await;
    let statuses: Vec<u64> = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [429, 429, 200, 503]);
    let by_test: Value = read(client.get(admin("requests?testId=t-1"))).await;
    assert_eq!(by_test["requests"].as_array().unwrap().len(), 2);

    client
        .post(admin("scenarios"))
        .json(&json!({"scenario": "internal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .delete(admin("scenarios"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(generate(GEMINI, None).await, 200, "the queue was cleared");
    assert_eq!(
        client
            .delete(admin("requests"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(server.received_requests().is_empty());
    generate(GEMINI, None).await;
    assert_eq!(
        client.post(admin("reset")).send().await.unwrap().status(),
        204
    );
    assert!(server.received_requests().is_empty());
    let spec = client
        .get(admin("openapi.yaml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(spec.starts_with("openapi: 3.0"));
}

#[tokio::test]
async fn warn_mode_serves_and_notes_what_strict_mode_refuses() {
    let body =
        json!({"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"fooBar": 1}});
    let send = |server: &MockServer| {
        with_key(
            server,
            Method::POST,
            "/v1beta/models/gemini-3.5-flash:generateContent",
        )
        .json(&body)
        .send()
    };
    let strict = MockServer::start().await.unwrap();
    assert_eq!(send(&strict).await.unwrap().status(), 400);
    for (mode, noted) in [(Validation::Warn, true), (Validation::Off, false)] {
        let server = MockServer::start_with(Config {
            validation: mode,
            ..Config::default()
        })
        .await
        .unwrap();
        assert_eq!(send(&server).await.unwrap().status(), 200, "{mode:?}");
        let warnings = &server.received_requests()[0].warnings;
        assert_eq!(!warnings.is_empty(), noted, "{mode:?}: {warnings:?}");
        if noted {
            assert!(
                warnings[0].contains("Unknown name \"fooBar\" at 'generation_config'"),
                "{warnings:?}"
            );
        }
    }
}

/// The README's `curl -d '{"scenario": "overloaded"}' …/__mock/scenarios` sends no JSON
/// content type (curl says it is a form): the admin API reads the body as JSON all the same.
#[tokio::test]
async fn a_scenario_posted_without_a_content_type_is_queued() {
    let server = MockServer::start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/__mock/scenarios", server.uri()))
        .body(r#"{"scenario": "overloaded"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["scenarios"][0]["scenario"], "overloaded");
    let malformed = reqwest::Client::new()
        .post(format!("{}/__mock/scenarios", server.uri()))
        .body("{\"scenario\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let generate = with_key(
        &server,
        Method::POST,
        &format!("/v1beta/models/{GEMINI}:generateContent"),
    )
    .json(&gemini_body("a cat"));
    assert_eq!(generate.send().await.unwrap().status(), 503);
}

/// A body that is not JSON is journaled as its size, type and hash; JSON as JSON.
#[tokio::test]
async fn the_journal_describes_a_body_that_is_not_json() {
    let server = MockServer::start().await.unwrap();
    let path = format!("/v1beta/models/{GEMINI}:generateContent");
    let not_json = with_key(&server, Method::POST, &path)
        .header("content-type", "text/plain")
        .body("hello");
    assert_eq!(not_json.send().await.unwrap().status(), 400);
    let untyped = with_key(&server, Method::POST, &path).body("{\"contents\": [");
    assert_eq!(untyped.send().await.unwrap().status(), 400);
    let empty = with_key(&server, Method::POST, &path);
    assert_eq!(empty.send().await.unwrap().status(), 400);
    let journal = server.received_requests();
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].body, None);
    let typed = journal[0].body_description.as_deref().unwrap_or_default();
    assert!(
        typed.starts_with("<5 bytes, text/plain, xxh3 ") && typed.ends_with('>'),
        "{typed}"
    );
    let untyped = journal[1].body_description.as_deref().unwrap_or_default();
    assert!(untyped.starts_with("<14 bytes, xxh3 "), "{untyped}");
    assert_eq!(
        (&journal[2].body, &journal[2].body_description),
        (&None, &None)
    );
}

/// A body sent again is answered from what its first read remembered (`memo.rs`): the answer,
/// the journal's entry (body, scenarios from its directives, the warn-mode warning, the
/// answer's summary) must be those of the first, and a body differing only in its directive
/// must not share them.
#[tokio::test]
async fn a_repeated_body_is_journaled_and_answered_as_the_first() {
    let server = MockServer::start_with(Config {
        validation: Validation::Warn,
        ..Config::default()
    })
    .await
    .unwrap();
    let body = |prompt: &str| {
        let mut body = gemini_body(prompt);
        body["generationConfig"]["fooBar"] = json!(1);
        body
    };
    let send = |body: Value| {
        with_key(
            &server,
            Method::POST,
            &format!("/v1beta/models/{GEMINI}:generateContent"),
        )
        .json(&body)
        .send()
    };
    let mut answers = Vec::new();
    for prompt in ["a cat [mock:image_safety]"; 3]
        .into_iter()
        .chain(["a cat", "a cat"])
    {
        let response = send(body(prompt)).await.unwrap();
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(answers[3], answers[4]);
    assert_ne!(answers[0], answers[3], "the directive shapes the answer");
    let entries = server.received_requests();
    let seen = |e: &gemini_image_mock::JournalEntry| {
        json!({
            "body": e.body, "scenarios": e.scenarios, "warnings": e.warnings,
            "status": e.status, "answer": e.answer,
        })
    };
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].scenarios, ["image_safety"]);
    assert!(!entries[0].warnings.is_empty());
    assert!(entries[0].answer.is_some());
    for (first, again) in [(0, 1), (0, 2), (3, 4)] {
        assert_eq!(
            seen(&entries[first]),
            seen(&entries[again]),
            "entry {again}"
        );
    }
    assert!(entries[3].scenarios.is_empty());
}
