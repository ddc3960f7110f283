//! The router, read top to bottom, and the state every handler shares.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;

use crate::cache::{DEFAULT_CACHE_BYTES, ResponseCache};
use crate::canned::CannedImages;
use crate::chaos::{Chaos, ChaosConfig};
use crate::delivery::{self, Framing};
use crate::error::ApiError;
use crate::journal::{self, DEFAULT_JOURNAL_ENTRIES, Journal, Note};
use crate::routes;
use crate::scenarios::pick::{self, Plan};
use crate::scenarios::queue::ScenarioQueue;

/// Google refuses request bodies above 20 MB.
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// How the server behaves. Start from `Config::default()` and set what you need:
///
/// ```
/// let config = gemini_image_mock::Config {
///     api_keys: vec!["my-test-key".to_string()],
///     ..gemini_image_mock::Config::default()
/// };
/// assert!(config.images.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// When not empty, only these API keys are accepted; otherwise any non-empty key is.
    pub api_keys: Vec<String>,
    /// When set, these files are served instead of drawn pictures (`--images DIR`).
    pub images: Option<CannedImages>,
    /// How many bytes of encoded answers to keep for repeated requests (0 turns caching off).
    pub cache_bytes: usize,
    /// Faults and latency injected into a share of requests, reproducibly.
    pub chaos: ChaosConfig,
    /// How strictly requests are checked against the spec.
    pub validation: Validation,
    /// How many requests the journal keeps (0 turns it off).
    pub journal_entries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            images: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
            chaos: ChaosConfig::default(),
            validation: Validation::Strict,
            journal_entries: DEFAULT_JOURNAL_ENTRIES,
        }
    }
}

/// How strictly requests are checked against the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Validation {
    /// Refuse what Google refuses, with Google's message (the default, like Google).
    #[default]
    Strict,
    /// Serve what can be served, and record in the journal what would have been refused.
    Warn,
    /// Serve what can be served, silently.
    Off,
}

impl std::str::FromStr for Validation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "strict" => Ok(Self::Strict),
            "warn" => Ok(Self::Warn),
            "off" => Ok(Self::Off),
            _ => Err(format!("{text}: expected strict, warn or off")),
        }
    }
}

/// State shared by all handlers.
pub struct AppState {
    pub config: Config,
    /// Encoded answers to recent requests: a repeated request costs a copy, not a render.
    pub cache: ResponseCache,
    /// Scenarios queued for the next matching requests.
    pub queue: ScenarioQueue,
    /// What was asked and answered.
    pub journal: Journal,
    /// The seeded fault injector.
    pub chaos: Chaos,
}

impl AppState {
    /// Fresh state for `config`.
    pub fn new(config: Config) -> Self {
        Self {
            cache: ResponseCache::new(config.cache_bytes),
            queue: ScenarioQueue::default(),
            journal: Journal::new(config.journal_entries),
            chaos: Chaos::new(config.chaos.clone()),
            config,
        }
    }

    /// Back to the state of a fresh start: queue, journal, cache and chaos sequence.
    pub fn reset(&self) {
        self.cache.clear();
        self.queue.clear();
        self.journal.clear();
        self.chaos.reset();
    }
}

pub type SharedState = Arc<AppState>;

/// The whole API, with the admin API under `/__mock/`.
///
/// ```
/// let app: axum::Router = gemini_image_mock::router(gemini_image_mock::Config::default());
/// ```
pub fn router(config: Config) -> Router {
    router_with_state(Arc::new(AppState::new(config)))
}

/// The whole API over existing state (the `MockServer` handle keeps a reference to it).
pub(crate) fn router_with_state(state: SharedState) -> Router {
    Router::new()
        .nest("/__mock", routes::admin::router())
        .route("/{version}/models", get(routes::models::list))
        .route(
            "/{version}/models/{target}",
            get(routes::models::get).post(post_model),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            journal::record,
        ))
        .layer(axum::middleware::from_fn(crate::trace::log_request))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

/// The API versions the mock serves (Python google-genai 3.x calls `/v1/` by default).
pub fn check_version(version: &str, uri: &Uri) -> Result<(), ApiError> {
    match version {
        "v1" | "v1beta" | "v1alpha" => Ok(()),
        _ => Err(ApiError::not_found(uri.path())),
    }
}

/// Google's auth rules: the key in `x-goog-api-key` or `?key=`; none is 403, a wrong one 400.
pub fn authorize(
    config: &Config,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query.get("key").map(String::as_str))
        .filter(|k| !k.is_empty())
        .ok_or_else(ApiError::api_key_missing)?;
    if config.api_keys.is_empty() || config.api_keys.iter().any(|k| k == key) {
        Ok(())
    } else {
        Err(ApiError::api_key_invalid())
    }
}

/// `POST /{version}/models/{model}:{method}`.
#[allow(clippy::too_many_arguments)] // one extractor per argument is how axum reads
async fn post_model(
    State(state): State<SharedState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    uri: Uri,
    headers: HeaderMap,
    note: Option<axum::Extension<Note>>,
    body: Body,
) -> Response {
    let note = note.map(|axum::Extension(n)| n).unwrap_or_default();
    let mut plan = Plan::default();
    let answer = serve_model(&state, path, query, &uri, &headers, &note, &mut plan, body).await;
    note.scenarios(plan.names());
    let delivery = delivery::Delivery::of(&plan);
    if !delivery.delay.is_zero() && !delivery.reset {
        // Latency before the first byte; streamed frames get theirs in `delivery::body`.
        tokio::time::sleep(delivery.delay).await;
    }
    let plain = delivery::Delivery {
        delay: std::time::Duration::ZERO,
        ..delivery.clone()
    };
    match answer {
        Err(error) if delivery.reset => {
            let mut response = error.into_response();
            *response.body_mut() = delivery::body(Bytes::new(), Framing::Unary, &plain);
            response
        }
        Err(error) => error.into_response(),
        Ok(answer)
            if answer.framing == Framing::Unary && delivery.stream_error && !delivery.reset =>
        {
            // There is no stream to break: a unary call gets the error as its answer.
            ApiError::overloaded().into_response()
        }
        Ok(answer) => {
            let between_frames = delivery::Delivery {
                delay: if answer.framing == Framing::Unary {
                    std::time::Duration::ZERO
                } else {
                    delivery.delay
                },
                ..delivery
            };
            let mut response = answer.response();
            *response.body_mut() = delivery::body(answer.body, answer.framing, &between_frames);
            response
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_model(
    state: &SharedState,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    uri: &Uri,
    headers: &HeaderMap,
    note: &Note,
    plan: &mut Plan,
    body: Body,
) -> Result<routes::Answer, ApiError> {
    let Path((version, target)) = path?;
    let Query(query) = query?;
    check_version(&version, uri)?;
    let (model, action) = target
        .rsplit_once(':')
        .ok_or_else(|| ApiError::not_found(uri.path()))?;
    note.model(model);
    authorize(&state.config, headers, &query)?;
    plan.extend(pick::from_headers(headers)?);
    plan.extend(state.queue.take(model, pick::test_id(headers).as_deref()));
    plan.extend(state.chaos.draw());
    let body = read_body(headers, body).await?;
    // Parsed once: the journal keeps a copy without the images, the handler reads the rest.
    let body = routes::parse_json(&body);
    if let Ok(json) = &body {
        note.body(json);
    }
    if let Some(error) = plan.error(model.trim_start_matches("models/")) {
        return Err(error);
    }
    let mut call = routes::Call {
        state,
        version: &version,
        model,
        query: &query,
        body: Some(body),
        plan,
        note,
    };
    let answer = match action {
        "generateContent" => routes::generate::unary(&mut call).await,
        "streamGenerateContent" => routes::generate::stream(&mut call).await,
        "countTokens" => routes::tokens::count(&mut call),
        "predict" => routes::predict::predict(&mut call).await,
        _ => Err(ApiError::not_found(uri.path())),
    }?;
    // Directives in the prompt may have asked for an error.
    match call.plan.error(model.trim_start_matches("models/")) {
        Some(error) => Err(error),
        None => Ok(answer),
    }
}

/// Reads at most Google's limit; a larger body is refused without being read.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::payload_too_large(MAX_BODY_BYTES))
}
