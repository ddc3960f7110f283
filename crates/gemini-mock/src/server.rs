//! The router, read top to bottom, and the state every handler shares.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;

use crate::cache::{DEFAULT_CACHE_BYTES, ResponseCache};
use crate::canned::CannedImages;
use crate::error::ApiError;
use crate::routes;

/// Google refuses request bodies above 20 MB.
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// How the server behaves. Start from `Config::default()` and set what you need:
///
/// ```
/// let config = gemini_mock::Config {
///     api_keys: vec!["my-test-key".to_string()],
///     ..gemini_mock::Config::default()
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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            images: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// State shared by all handlers.
pub struct AppState {
    pub config: Config,
    /// Encoded answers to recent requests: a repeated request costs a copy, not a render.
    pub cache: ResponseCache,
}

pub type SharedState = Arc<AppState>;

/// The whole API.
pub fn router(config: Config) -> Router {
    let state = Arc::new(AppState {
        cache: ResponseCache::new(config.cache_bytes),
        config,
    });
    Router::new()
        .route(
            "/__mock/health",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/__mock/openapi.yaml", get(routes::spec))
        .route("/{version}/models", get(routes::models::list))
        .route(
            "/{version}/models/{target}",
            get(routes::models::get).post(post_model),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
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
async fn post_model(
    State(state): State<SharedState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Path((version, target)) = path?;
    let Query(query) = query?;
    check_version(&version, &uri)?;
    let (model, action) = target
        .rsplit_once(':')
        .ok_or_else(|| ApiError::not_found(uri.path()))?;
    authorize(&state.config, &headers, &query)?;
    let body = read_body(&headers, body).await?;
    let call = routes::Call {
        state: &state,
        version: &version,
        model,
        query: &query,
        body,
    };
    match action {
        "generateContent" => routes::generate::unary(call).await,
        "streamGenerateContent" => routes::generate::stream(call).await,
        "countTokens" => routes::tokens::count(call),
        "predict" => routes::predict::predict(call).await,
        _ => Err(ApiError::not_found(uri.path())),
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
