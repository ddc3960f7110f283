//! Vertex AI's side of the mock, over loopback HTTP: its routes and versions, its credentials
//! and their 401s, what the journal records, the Vertex-only fields, the answers' shape, its
//! models.get and its 404.

mod support;

use gemini_image_mock::{Config, MockServer};
use reqwest::Method;
use serde_json::{Value, json};

const PROJECT: &str = "/projects/my-proj/locations/us-central1/publishers/google/models";
const MODEL: &str = "gemini-3.1-flash-image";
const TOKEN: &str = "FAKE-TOKEN";

fn prompt(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

/// A request to `path` with the bearer token (and a quota project).
fn with_token(server: &MockServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", server.uri()))
        .bearer_auth(TOKEN)
        .header("x-goog-user-project", "quota-proj")
}

async fn status_and_json(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the mock answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn project_call(version: &str, verb: &str) -> String {
    format!("/{version}{PROJECT}/{MODEL}:{verb}")
}

#[tokio::test]
async fn each_route_form_answers_on_vertex_versions_only() {
    let server = MockServer::start().await.unwrap();
    for version in ["v1", "v1beta1"] {
        let (status, body) = status_and_json(
            with_token(
                &server,
                Method::POST,
                &project_call(version, "generateContent"),
            )
            .json(&prompt("a red bicycle")),
        )
        .await;
        assert_eq!(status, 200, "{version}: {body}");
        let express = format!("/{version}/publishers/google/models/{MODEL}:countTokens");
        let (status, body) =
            status_and_json(support::with_key(&server, Method::POST, &express).json(&prompt("hi")))
                .await;
        assert_eq!(status, 200, "{version} express: {body}");
        assert!(body["totalTokens"].as_i64().unwrap() > 0);
    }
    // The Gemini API's versions are not Vertex's, and the other way round.
    for (request, what) in [
        (
            with_token(
                &server,
                Method::POST,
                &project_call("v1beta", "generateContent"),
            ),
            "v1beta on Vertex",
        ),
        (
            support::with_key(
                &server,
                Method::POST,
                &format!("/v1alpha/publishers/google/models/{MODEL}:generateContent"),
            ),
            "v1alpha on express",
        ),
        (
            support::with_key(
                &server,
                Method::POST,
                &format!("/v1beta1/models/{MODEL}:generateContent"),
            ),
            "v1beta1 on the Gemini API",
        ),
        // Files, batches, uploads and Interactions have no Vertex form.
        (
            with_token(
                &server,
                Method::GET,
                "/v1beta1/projects/my-proj/locations/us-central1/files",
            ),
            "files",
        ),
        (
            with_token(
                &server,
                Method::POST,
                "/upload/v1beta1/projects/my-proj/locations/us-central1/files",
            ),
            "upload",
        ),
        (
            with_token(
                &server,
                Method::POST,
                "/v1beta1/projects/my-proj/locations/us-central1/interactions",
            ),
            "interactions",
        ),
    ] {
        let (status, body) = status_and_json(request.json(&prompt("x"))).await;
        assert_eq!(status, 404, "{what}: {body}");
    }
    // Imagen's :predict is served on Vertex's routes too (a retired model: the legacy server).
    let legacy = support::legacy_server().await;
    let (status, body) = status_and_json(
        with_token(
            &legacy,
            Method::POST,
            "/v1/projects/p/locations/l/publishers/google/models/imagen-4.0-generate-001:predict",
        )
        .json(&json!({"instances": [{"prompt": "a fox"}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["predictions"][0]["bytesBase64Encoded"].is_string());
    // Batch mode is the Gemini API's.
    let (status, _) = status_and_json(
        with_token(
            &server,
            Method::POST,
            &project_call("v1beta1", "batchGenerateContent"),
        )
        .json(&json!({"batch": {}})),
    )
    .await;
    assert_eq!(status, 404);
}

fn assert_unauthenticated(body: &Value, message_start: &str, method: &str) {
    assert_eq!(body["error"]["code"], 401, "{body}");
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(message_start), "{message}");
    let info = &body["error"]["details"][0];
    assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(info["metadata"]["method"], method);
    assert_eq!(info["metadata"]["service"], "aiplatform.googleapis.com");
}

#[tokio::test]
async fn project_routes_take_a_bearer_token_and_answer_vertexs_401s() {
    let server = MockServer::start().await.unwrap();
    let url = format!("{}{}", server.uri(), project_call("v1", "countTokens"));
    let client = reqwest::Client::new();

    let (status, body) = status_and_json(client.post(&url).json(&prompt("x"))).await;
    assert_eq!(status, 401);
    assert_unauthenticated(
        &body,
        "Request is missing required authentication credential. Expected OAuth 2 access token",
        "google.cloud.aiplatform.v1.PredictionService.CountTokens",
    );
    assert_eq!(body["error"]["details"][0]["reason"], "CREDENTIALS_MISSING");

    let (status, body) = status_and_json(
        client
            .post(&url)
            .header("x-goog-api-key", "k")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 401);
    assert_unauthenticated(
        &body,
        "API keys are not supported by this API. Expected OAuth2 access token",
        "google.cloud.aiplatform.v1.PredictionService.CountTokens",
    );

    // An empty token is no token; another scheme is not a bearer token.
    let (status, body) = status_and_json(
        client
            .post(&url)
            .header("authorization", "Bearer ")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = status_and_json(
        client
            .post(&url)
            .header("authorization", "Basic Zm9vOmJhcg==")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 401);

    // Any non-empty token by default.
    let (status, _) =
        status_and_json(client.post(&url).bearer_auth("anything").json(&prompt("x"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn configured_tokens_are_the_only_ones_accepted() {
    let server = MockServer::start_with(Config {
        bearer_tokens: vec![TOKEN.to_string(), "second".to_string()],
        ..Config::default()
    })
    .await
    .unwrap();
    let path = project_call("v1beta1", "streamGenerateContent");
    let (status, body) = status_and_json(
        reqwest::Client::new()
            .post(format!("{}{path}?alt=sse", server.uri()))
            .bearer_auth("stolen")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 401);
    assert_unauthenticated(
        &body,
        "Request had invalid authentication credentials.",
        "google.cloud.aiplatform.v1beta1.PredictionService.StreamGenerateContent",
    );
    for token in [TOKEN, "second"] {
        let status = reqwest::Client::new()
            .post(format!("{}{path}?alt=sse", server.uri()))
            .bearer_auth(token)
            .json(&prompt("x"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{token}");
    }
    // models.get on the express path with the bearer, as both SDKs send it in project mode.
    let (status, _) = status_and_json(with_token(
        &server,
        Method::GET,
        &format!("/v1beta1/publishers/google/models/{MODEL}"),
    ))
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn express_routes_take_the_key_as_the_gemini_api_does() {
    let server = MockServer::start_with(Config {
        api_keys: vec!["right".to_string()],
        ..Config::default()
    })
    .await
    .unwrap();
    let url = format!(
        "{}/v1beta1/publishers/google/models/{MODEL}:generateContent",
        server.uri()
    );
    let client = reqwest::Client::new();
    let (status, _) = status_and_json(client.post(&url).json(&prompt("x"))).await;
    assert_eq!(status, 403);
    let (status, body) = status_and_json(
        client
            .post(&url)
            .header("x-goog-api-key", "wrong")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["details"][0]["reason"], "API_KEY_INVALID");
    let (status, _) = status_and_json(
        client
            .post(&url)
            .header("x-goog-api-key", "right")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_journal_names_the_service_and_the_quota_project_never_the_token() {
    let server = MockServer::start().await.unwrap();
    let calls = [
        with_token(
            &server,
            Method::POST,
            &project_call("v1beta1", "countTokens"),
        ),
        support::with_key(
            &server,
            Method::POST,
            &format!("/v1beta1/publishers/google/models/{MODEL}:countTokens"),
        ),
        support::with_key(
            &server,
            Method::POST,
            &format!("/v1beta/models/{MODEL}:countTokens"),
        ),
        // Refused for its token: still journaled with its service.
        reqwest::Client::new()
            .post(format!(
                "{}{}",
                server.uri(),
                project_call("v1", "countTokens")
            ))
            .header("authorization", format!("Bearer {TOKEN}-2")),
    ];
    for call in calls {
        call.json(&prompt("x")).send().await.unwrap();
    }
    let entries = server.received_requests();
    let backends: Vec<Value> = entries
        .iter()
        .map(|e| serde_json::to_value(&e.backend).unwrap())
        .collect();
    assert_eq!(
        backends,
        [
            json!({"api": "vertex", "project": "my-proj", "location": "us-central1"}),
            json!({"api": "vertex-express"}),
            json!({"api": "gemini"}),
            json!({"api": "vertex", "project": "my-proj", "location": "us-central1"}),
        ]
    );
    assert_eq!(entries[0].user_project.as_deref(), Some("quota-proj"));
    assert_eq!(entries[0].model.as_deref(), Some(MODEL));
    assert_eq!(entries[1].user_project, None);
    assert_eq!(entries[0].headers["authorization"], "<redacted>");
    let journal = serde_json::to_string(&entries).unwrap();
    assert!(!journal.contains(TOKEN), "{journal}");
    // The admin API serves the same entries.
    let admin = reqwest::get(format!("{}/__mock/requests", server.uri()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        admin.contains("\"vertex-express\"") && !admin.contains(TOKEN),
        "{admin}"
    );
}

fn image_config(config: Value) -> Value {
    json!({
        "contents": [{"parts": [{"text": "a lighthouse"}]}],
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": config},
    })
}

#[tokio::test]
async fn vertex_only_fields_are_refused_by_the_gemini_api_and_read_by_vertex() {
    let server = MockServer::start().await.unwrap();
    let config = json!({
        "aspectRatio": "1:1",
        "personGeneration": "ALLOW_ADULT",
        "prominentPeople": "BLOCK_PROMINENT_PEOPLE",
        "imageOutputOptions": {"mimeType": "image/png", "compressionQuality": 80},
    });
    let (status, body) = status_and_json(
        support::with_key(
            &server,
            Method::POST,
            &format!("/v1beta/models/{MODEL}:generateContent"),
        )
        .json(&image_config(config.clone())),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Invalid JSON payload received. Unknown name \"personGeneration\" at \
         'generation_config.image_config': Cannot find field."
    );
    // The same body on Vertex: a PNG, where this model draws JPEG by default.
    for (config, mime) in [
        (config, "image/png"),
        (json!({"aspectRatio": "1:1"}), "image/jpeg"),
    ] {
        let (status, body) = status_and_json(
            with_token(
                &server,
                Method::POST,
                &project_call("v1beta1", "generateContent"),
            )
            .json(&image_config(config)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let image = &body["candidates"][0]["content"]["parts"][0]["inlineData"];
        assert_eq!(image["mimeType"], mime);
    }
}

fn assert_create_time(value: &Value) -> &str {
    let text = value.as_str().unwrap_or_default();
    // RFC 3339 with microseconds: 2025-10-24T07:45:36.236077Z
    assert_eq!(text.len(), 27, "{text}");
    assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
    text
}

#[tokio::test]
async fn a_unary_answer_is_shaped_as_vertex_writes_it() {
    let server = MockServer::start().await.unwrap();
    let text = "a red bicycle";
    let body = prompt(text);
    let (_, vertex) = status_and_json(
        with_token(
            &server,
            Method::POST,
            &project_call("v1beta1", "generateContent"),
        )
        .json(&body),
    )
    .await;
    assert_create_time(&vertex["createTime"]);
    let candidate = &vertex["candidates"][0];
    assert!(candidate.get("index").is_none(), "{candidate}");
    let categories: Vec<&Value> = candidate["safetyRatings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r.get("probability").is_none());
            &r["category"]
        })
        .collect();
    assert_eq!(
        categories,
        [
            "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
            "HARM_CATEGORY_IMAGE_HARASSMENT",
            "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
            "HARM_CATEGORY_IMAGE_HATE",
        ]
    );
    let usage = &vertex["usageMetadata"];
    assert_eq!(usage["trafficType"], "ON_DEMAND");
    assert_eq!(
        usage["billablePromptUsage"],
        json!({"textCount": text.len()})
    );
    assert!(vertex.get("modelStatus").is_none());

    // The Gemini API's answer to the same request has none of it.
    let (_, gemini) = status_and_json(
        support::with_key(
            &server,
            Method::POST,
            &format!("/v1beta/models/{MODEL}:generateContent"),
        )
        .json(&body),
    )
    .await;
    assert!(gemini.get("createTime").is_none());
    assert_eq!(gemini["candidates"][0]["index"], 0);
    assert!(gemini["candidates"][0].get("safetyRatings").is_none());
    assert!(gemini["usageMetadata"].get("trafficType").is_none());
    // The picture is the same: only the envelope differs.
    assert_eq!(
        gemini["candidates"][0]["content"],
        vertex["candidates"][0]["content"]
    );
}

#[tokio::test]
async fn a_stream_is_shaped_as_vertex_writes_it() {
    let server = MockServer::start().await.unwrap();
    let body = json!({
        "contents": [{"parts": [{"text": "a kite"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    });
    let text = with_token(
        &server,
        Method::POST,
        &format!(
            "{}?alt=sse",
            project_call("v1beta1", "streamGenerateContent")
        ),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let chunks: Vec<Value> = text
        .split("\r\n\r\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    assert!(chunks.len() >= 3, "{text}");
    let create_time = assert_create_time(&chunks[0]["createTime"]);
    for (i, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk["createTime"], create_time);
        assert_eq!(chunk["usageMetadata"]["trafficType"], "ON_DEMAND");
        assert_eq!(
            chunk["usageMetadata"].get("billablePromptUsage").is_some(),
            i == 0,
            "chunk {i}"
        );
        let candidate = &chunk["candidates"][0];
        assert!(candidate.get("index").is_none());
        let has_image = candidate["content"]["parts"][0].get("inlineData").is_some();
        assert_eq!(candidate.get("safetyRatings").is_some(), has_image);
        let last = i + 1 == chunks.len();
        assert_eq!(candidate.get("finishReason").is_some(), last, "chunk {i}");
    }
    let end = chunks.last().unwrap();
    assert_eq!(
        end["candidates"][0]["content"],
        json!({"parts": [{"text": ""}], "role": "model"})
    );
    assert_eq!(end["candidates"][0]["finishReason"], "STOP");
    assert!(
        end["usageMetadata"]["candidatesTokenCount"]
            .as_i64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn models_get_answers_a_publisher_model_and_vertexs_404() {
    let server = MockServer::start().await.unwrap();
    for path in [
        format!("/v1beta1/publishers/google/models/{MODEL}"),
        format!("/v1{PROJECT}/{MODEL}"),
    ] {
        let (status, body) = status_and_json(with_token(&server, Method::GET, &path)).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            body,
            json!({
                "name": format!("publishers/google/models/{MODEL}"),
                "versionId": "default",
                "openSourceCategory": "PROPRIETARY",
                "launchStage": "GA",
            })
        );
    }
    // Today's preview models are retired: the legacy models show the stage.
    let legacy = support::legacy_server().await;
    let (_, preview) = status_and_json(support::with_key(
        &legacy,
        Method::GET,
        "/v1beta1/publishers/google/models/gemini-3-pro-image-preview",
    ))
    .await;
    assert_eq!(preview["launchStage"], "PUBLIC_PREVIEW");

    // A retired model, an unknown one, another publisher's: Vertex's 404.
    let not_found = |name: &str| {
        format!(
            "Publisher Model `{name}` was not found or your project does not have access to it. \
             Please ensure you are using a valid model version. For more information, see: \
             https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
        )
    };
    let cases = [
        (
            with_token(
                &server,
                Method::POST,
                "/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash-image:generateContent",
            ),
            "projects/p/locations/global/publishers/google/models/gemini-2.5-flash-image",
        ),
        (
            with_token(
                &server,
                Method::POST,
                "/v1/projects/p/locations/us/publishers/google/models/gemini-9:countTokens",
            ),
            "projects/p/locations/us/publishers/google/models/gemini-9",
        ),
        (
            with_token(
                &server,
                Method::GET,
                "/v1beta1/publishers/google/models/gemini-2.5-flash-image",
            ),
            "publishers/google/models/gemini-2.5-flash-image",
        ),
        (
            with_token(
                &server,
                Method::POST,
                &format!(
                    "/v1beta1/projects/p/locations/l/publishers/acme/models/{MODEL}:generateContent"
                ),
            ),
            "projects/p/locations/l/publishers/acme/models/gemini-3.1-flash-image",
        ),
    ];
    for (request, name) in cases {
        let (status, body) = status_and_json(request.json(&prompt("x"))).await;
        assert_eq!(status, 404, "{name}: {body}");
        assert_eq!(body["error"]["status"], "NOT_FOUND");
        assert_eq!(body["error"]["message"], not_found(name));
    }
}

#[tokio::test]
async fn the_catalogue_lists_googles_models_page_by_page() {
    let server = MockServer::start().await.unwrap();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = "/v1beta1/publishers/google/models?pageSize=2".to_string();
        if let Some(token) = &token {
            path.push_str(&format!("&pageToken={token}"));
        }
        let (status, page) = status_and_json(with_token(&server, Method::GET, &path)).await;
        assert_eq!(status, 200, "{page}");
        let models = page["publisherModels"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(models.len() <= 2, "{page}");
        names.extend(
            models
                .iter()
                .filter_map(|m| m["name"].as_str().map(str::to_string)),
        );
        match page["nextPageToken"].as_str() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    assert!(
        names.contains(&format!("publishers/google/models/{MODEL}")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("2.5-flash-image")),
        "retired: {names:?}"
    );
    // Another publisher's catalogue is empty here.
    let (status, other) = status_and_json(with_token(
        &server,
        Method::GET,
        "/v1beta1/publishers/acme/models",
    ))
    .await;
    assert_eq!((status, other), (200, json!({})));
}

#[tokio::test]
async fn the_token_endpoint_hands_out_an_accepted_token_for_googles_grants() {
    let server = MockServer::start_with(Config {
        bearer_tokens: vec!["issued-token".into()],
        ..Config::default()
    })
    .await
    .unwrap();
    let endpoint = format!("{}/__mock/oauth2/token", server.uri());
    let http = reqwest::Client::new();
    // google-cloud-auth sends JSON; google-auth and google-auth-library a form.
    let json_grant = http
        .post(&endpoint)
        .json(&json!({"grant_type": "refresh_token", "refresh_token": "r"}));
    let form_grant = http
        .post(&endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=x.y.z");
    for request in [json_grant, form_grant] {
        let (status, body) = status_and_json(request).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["access_token"], "issued-token");
        assert_eq!(body["token_type"], "Bearer");
        assert!(
            body["expires_in"].as_u64().is_some_and(|s| s > 60),
            "{body}"
        );
    }
    let (status, refused) =
        status_and_json(http.post(&endpoint).body("grant_type=password&username=u")).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "unsupported_grant_type");
    let (status, _) = status_and_json(http.post(&endpoint).body("not a grant")).await;
    assert_eq!(status, 400);
    // The issued token opens the Vertex AI routes; the journal kept no refresh token.
    let (status, _) = status_and_json(
        http.post(format!(
            "{}{}",
            server.uri(),
            project_call("v1beta1", "countTokens")
        ))
        .bearer_auth("issued-token")
        .json(&prompt("hi")),
    )
    .await;
    assert_eq!(status, 200);
    let journal = serde_json::to_string(&server.received_requests()).unwrap();
    assert!(
        !journal.contains("refresh_token") && !journal.contains("x.y.z"),
        "{journal}"
    );
}
