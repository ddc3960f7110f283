//! Vertex AI against the real `gemini-image-mock` over loopback: the URL forms, the credentials
//! (asked at each attempt, never shown), the calls Vertex AI has and the ones it has not.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt;
use gemini_image::auth::{AccessToken, HeadersFuture, TokenSource};
use gemini_image::types::{CountTokensRequest, ImagePersonGeneration};
use gemini_image::{Backend, Client, Error, RequestBuilder, ResponseExt, RetryPolicy};
use gemini_image_mock::{Config, MockServer, QueuedScenario, Scenario};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

const TOKEN: &str = "ya29.vertex-test-token-5678";
const MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

fn vertex(server: &MockServer) -> Client {
    Client::builder()
        .vertex_ai("my-proj", "us-central1")
        .credentials(AccessToken::new(TOKEN).quota_project("quota-proj"))
        .base_url(server.uri())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn each_call_goes_to_the_project_path_with_the_bearer_and_the_quota_project() {
    let server = MockServer::start().await.unwrap();
    let client = vertex(&server);

    let image = client.generate_image(MODEL, "a red bicycle").await.unwrap();
    assert_eq!(image.images().len(), 1);
    let request = RequestBuilder::image().text("a blue bicycle").build();
    let streamed = client
        .stream_generate_content(MODEL, &request)
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.images().len(), 1);
    let count = client
        .count_tokens(
            &format!("models/{MODEL}"),
            &CountTokensRequest {
                contents: request.contents.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(count.total_tokens.unwrap_or(0) > 0);

    let prefix =
        format!("/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/{MODEL}");
    let calls = server.received_requests();
    let paths: Vec<&str> = calls.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{prefix}:generateContent"),
            format!("{prefix}:streamGenerateContent"),
            format!("{prefix}:countTokens"),
        ]
    );
    for call in &calls {
        assert!(call.headers.contains_key("authorization"), "{call:?}");
        assert_eq!(
            call.headers.get("x-goog-user-project").map(String::as_str),
            Some("quota-proj")
        );
        assert!(
            !call.headers.contains_key("x-goog-api-key"),
            "no key in a project"
        );
    }
    // Vertex AI's answer: a creation time, no candidate index.
    assert!(image.create_time.is_some(), "{:?}", image.create_time);
    assert_eq!(image.candidates[0].index, None);
}

#[tokio::test]
async fn express_mode_sends_the_key_to_the_publisher_path() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .vertex_ai_express()
        .api_key("express-key")
        .base_url(server.uri())
        .build()
        .unwrap();
    client.generate_image(MODEL, "a kite").await.unwrap();
    let call = &server.received_requests()[0];
    assert_eq!(
        call.path,
        format!("/v1beta1/publishers/google/models/{MODEL}:generateContent")
    );
    assert!(call.headers.contains_key("x-goog-api-key"));
    assert!(!call.headers.contains_key("authorization"));
}

#[tokio::test]
async fn models_get_asks_outside_the_project_and_reads_a_publisher_model() {
    let server = MockServer::start().await.unwrap();
    let client = vertex(&server);
    let model = client.get_model(MODEL).await.unwrap();
    assert_eq!(
        model.name.as_deref(),
        Some(format!("publishers/google/models/{MODEL}").as_str())
    );
    assert_eq!(
        server.received_requests()[0].path,
        format!("/v1beta1/publishers/google/models/{MODEL}")
    );
    let listed: Vec<_> = client.list_models(Some(2)).try_collect().await.unwrap();
    let name = format!("publishers/google/models/{MODEL}");
    assert!(
        listed
            .iter()
            .any(|m| m.name.as_deref() == Some(name.as_str())),
        "{listed:?}"
    );
    assert!(
        server
            .received_requests()
            .iter()
            .skip(1)
            .all(|call| call.path == "/v1beta1/publishers/google/models"),
        "every page from the catalogue outside the project"
    );
    assert!(server.received_requests().len() > 2, "pages of 2");
    let retired = client
        .get_model("gemini-2.5-flash-image")
        .await
        .unwrap_err();
    assert_eq!(retired.status(), Some(404), "{retired}");
}

/// Counts the times it is asked, and hands out a new token each time.
#[derive(Default)]
struct Counting(AtomicU32);

impl TokenSource for Counting {
    fn headers(&self) -> HeadersFuture<'_> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            let mut headers = HeaderMap::new();
            let value = HeaderValue::try_from(format!("Bearer token-{n}"))
                .map_err(|e| Error::Auth(e.to_string()))?;
            headers.insert(AUTHORIZATION, value);
            Ok(headers)
        })
    }
}

#[tokio::test]
async fn the_credentials_are_asked_at_each_attempt_and_shared_by_clones() {
    let server = MockServer::start().await.unwrap();
    let tokens = Arc::new(Counting::default());
    let client = Client::builder()
        .vertex_ai("my-proj", "global")
        .credentials(SharedSource(tokens.clone()))
        .base_url(server.uri())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    server.enqueue(QueuedScenario::new(Scenario::Overloaded).times(1));
    client.clone().generate_image(MODEL, "a fox").await.unwrap();
    assert_eq!(tokens.0.load(Ordering::SeqCst), 2, "the retry asked again");
    assert_eq!(support::statuses(&server), [503, 200]);
    assert!(
        server.received_requests()[0]
            .path
            .contains("/locations/global/")
    );
}

/// A source behind an `Arc`, to look at it after the client took it.
struct SharedSource(Arc<Counting>);

impl TokenSource for SharedSource {
    fn headers(&self) -> HeadersFuture<'_> {
        self.0.headers()
    }
}

/// Fails as credentials without a token do.
struct Failing;

impl TokenSource for Failing {
    fn headers(&self) -> HeadersFuture<'_> {
        Box::pin(async { Err(Error::Auth("the metadata server did not answer".into())) })
    }
}

#[tokio::test]
async fn credentials_that_fail_fail_the_call_before_it_is_sent() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .vertex_ai("my-proj", "us-central1")
        .credentials(Failing)
        .base_url(server.uri())
        .build()
        .unwrap();
    let data_plane = client.generate_image(MODEL, "x").await.unwrap_err();
    assert!(matches!(data_plane, Error::Auth(_)), "{data_plane:?}");
    // The control plane (the generated client) gives back the same error.
    let control_plane = client
        .count_tokens(MODEL, &CountTokensRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(control_plane, Error::Auth(ref m) if m.contains("metadata")),
        "{control_plane:?}"
    );
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn the_gemini_apis_own_services_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await.unwrap();
    let client = vertex(&server);
    let files = client.files().list(None).try_collect::<Vec<_>>().await;
    let Err(Error::Config(message)) = files else {
        panic!("the Files API on Vertex AI: {files:?}");
    };
    assert!(message.contains("Vertex AI"), "{message}");
    let batches = client.batches().list(None).try_collect::<Vec<_>>().await;
    assert!(matches!(batches, Err(Error::Config(_))), "{batches:?}");
    let upload = client
        .files()
        .upload(bytes::Bytes::from_static(b"\x89PNG"), Default::default())
        .await;
    assert!(matches!(upload, Err(Error::Config(_))), "{upload:?}");
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn vertex_only_fields_go_to_vertex_ai_and_are_refused_for_the_gemini_api() {
    let server = MockServer::start().await.unwrap();
    let request = RequestBuilder::image()
        .text("a crowd")
        .person_generation(ImagePersonGeneration::AllowAdult)
        .output_format("image/png", None)
        .build();

    vertex(&server)
        .generate_content(MODEL, &request)
        .await
        .unwrap();
    let sent = server.received_requests()[0].body.clone().unwrap();
    assert_eq!(
        sent["generationConfig"]["imageConfig"],
        serde_json::json!({"personGeneration": "ALLOW_ADULT", "imageOutputOptions": {"mimeType": "image/png"}})
    );

    server.reset();
    let gemini = Client::builder()
        .api_key("k")
        .base_url(server.uri())
        .build()
        .unwrap();
    let refused = gemini.generate_content(MODEL, &request).await.unwrap_err();
    let Error::Config(message) = &refused else {
        panic!("{refused:?}");
    };
    assert!(message.contains("personGeneration"), "{message}");
    let streamed = gemini.stream_generate_content(MODEL, &request).await;
    assert!(matches!(streamed, Err(Error::Config(_))));
    // Batch mode is the Gemini API's: its requests are checked the same way.
    let batch = gemini
        .batches()
        .create_inline(MODEL, [("crowd", request.clone())], Default::default())
        .await;
    assert!(
        matches!(batch, Err(Error::Config(ref m)) if m.contains("personGeneration")),
        "{batch:?}"
    );
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
async fn the_token_is_never_shown() {
    // A mock that knows another token: ours is refused, with Vertex AI's 401.
    let server = MockServer::start_with(Config {
        bearer_tokens: vec!["another-token".into()],
        ..Config::default()
    })
    .await
    .unwrap();
    let client = vertex(&server);
    let builder = Client::builder()
        .vertex_ai("p", "l")
        .credentials(AccessToken::new(TOKEN));
    let refused = client.generate_image(MODEL, "x").await.unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused}");
    for shown in [
        format!("{client:?}"),
        format!("{builder:?}"),
        format!("{:?}", AccessToken::new(TOKEN)),
        format!("{refused:?}"),
        refused.to_string(),
        serde_json::to_string(&server.received_requests()).unwrap(),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("vertex-test-token"), "{shown}");
    }
}

#[tokio::test]
async fn the_builder_refuses_what_vertex_ai_cannot_take() {
    let keyed = Client::builder()
        .vertex_ai("p", "us-central1")
        .api_key("k")
        .build();
    assert!(
        matches!(keyed, Err(Error::Config(ref m)) if m.contains("express")),
        "{keyed:?}"
    );
    let no_project = Client::builder()
        .vertex_ai("", "us-central1")
        .credentials(AccessToken::new("t"))
        .build();
    assert!(matches!(no_project, Err(Error::Config(_))));
    let express_without_key = Client::builder().vertex_ai_express().build();
    assert!(matches!(express_without_key, Err(Error::Config(_))));
    let client = Client::builder()
        .vertex_ai("p", "eu")
        .credentials(AccessToken::new("t"))
        .build()
        .unwrap();
    assert_eq!(
        client.base_url(),
        "https://aiplatform.eu.rep.googleapis.com"
    );
    assert_eq!(
        client.backend(),
        &Backend::VertexAi {
            project: "p".into(),
            location: "eu".into()
        }
    );
}

#[cfg(feature = "adc")]
/// A user's Application Default Credentials file (what `gcloud auth application-default login`
/// writes), its token endpoint the mock's.
fn authorized_user(server: &MockServer) -> serde_json::Value {
    serde_json::json!({
        "type": "authorized_user",
        "client_id": "mock-client.apps.googleusercontent.com",
        "client_secret": "mock-secret",
        "refresh_token": "mock-refresh-token",
        "quota_project_id": "quota-from-file",
        "token_uri": format!("{}/__mock/oauth2/token", server.uri()),
    })
}

#[cfg(feature = "adc")]
#[tokio::test]
async fn google_cloud_auth_credentials_fetch_their_token_and_send_it() {
    let server = MockServer::start_with(Config {
        bearer_tokens: vec!["token-from-the-endpoint".into()],
        ..Config::default()
    })
    .await
    .unwrap();
    let credentials =
        google_cloud_auth::credentials::user_account::Builder::new(authorized_user(&server))
            .build()
            .unwrap();
    let client = Client::builder()
        .vertex_ai("my-proj", "us-central1")
        .credentials(credentials)
        .base_url(server.uri())
        .build()
        .unwrap();
    let response = client.generate_image(MODEL, "a heron").await.unwrap();
    assert_eq!(response.images().len(), 1);
    let call = &server.received_requests()[0];
    // The mock accepted the endpoint's token; the file's quota project came along.
    assert_eq!(call.user_project.as_deref(), Some("quota-from-file"));
    assert_eq!(call.status, 200);
}
