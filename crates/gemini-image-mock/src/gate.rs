//! The checks every API route passes before its handler runs, in Google's order: a URL the API
//! maps (a known version, and for a custom method a `name:verb`), then the credentials — the API
//! key on the Gemini API, an OAuth bearer token on Vertex AI's project routes (either on its
//! express routes).
//!
//! The gate is a layer on the API router (`server::api`), so a route gets it by being mounted
//! there. A handler reads what the gate found with the [`ApiVersion`], [`ApiQuery`] and
//! [`MethodCall`] extractors, so nothing is parsed twice.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::backend::Backend;
use crate::error::ApiError;
use crate::journal::Note;
use crate::state::{Config, SharedState};

/// The API version of the request path (`v1beta`), once the gate has let the request in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiVersion(pub String);

/// The query parameters, read once by the gate (which needs `key`) for the handler.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiQuery(pub HashMap<String, String>);

/// A custom method call, `POST /{version}/{collection}/{name}:{verb}` (Google's AIP-136):
/// the resource's name and the verb, split at the last colon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodCall {
    /// The resource, such as the model `gemini-3.1-flash-image`.
    pub name: String,
    /// The method, such as `generateContent`.
    pub verb: String,
}

/// Middleware on every API route: lets in the requests Google would serve, answers the others
/// with Google's error.
pub async fn check(
    State(state): State<SharedState>,
    path: Result<Path<HashMap<String, String>>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    note: Option<Extension<Note>>,
    mut request: Request,
    next: Next,
) -> Response {
    let note = note.map(|Extension(note)| note).unwrap_or_default();
    match admit(&state.config, path, query, &note, &mut request) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// The checks, one after the other; what passes is left in the request's extensions.
fn admit(
    config: &Config,
    path: Result<Path<HashMap<String, String>>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    note: &Note,
    request: &mut Request,
) -> Result<(), ApiError> {
    let Path(params) = path?;
    let Query(query) = query?;
    let not_found = || ApiError::not_found(request.uri().path());
    let backend = Backend::of_route(&params);
    note.backend(&backend);
    // Every API route has `{version}`; an unknown one is a URL Google does not map.
    let version = params
        .get("version")
        .filter(|v| backend.serves_version(v))
        .ok_or_else(not_found)?;
    // A POST to a named resource can only be a custom method (standard methods never POST to a
    // resource): without `:verb` it is a URL Google does not map, a 404 before the key is read.
    let call = match params.get("name") {
        Some(name) if request.method() == Method::POST => {
            let (name, verb) = name.rsplit_once(':').ok_or_else(not_found)?;
            Some(MethodCall {
                name: name.to_string(),
                verb: verb.to_string(),
            })
        }
        _ => None,
    };
    if let Some(call) = &call
        && calls_a_model(request.extensions().get::<MatchedPath>())
    {
        // Noted before the key is checked: a test filtering the journal by model sees the
        // attempts that were refused for their key too.
        note.model(&call.name);
    }
    authenticate(config, &backend, request, &query, || {
        rpc_method(version, call.as_ref())
    })?;
    // Vertex AI serves other publishers' models too; the mock only Google's, and answers the
    // others as Vertex answers a model it does not have.
    if let (Some(publisher), Some(model)) = (params.get("publisher"), params.get("name"))
        && publisher != "google"
    {
        let model = call.as_ref().map_or(model.as_str(), |c| c.name.as_str());
        return Err(ApiError::publisher_model_not_found(
            &backend.publisher_model(publisher, model),
        ));
    }
    let version = ApiVersion(version.clone());
    request.extensions_mut().insert(version);
    request.extensions_mut().insert(ApiQuery(query));
    if let Some(call) = call {
        request.extensions_mut().insert(call);
    }
    request.extensions_mut().insert(backend);
    Ok(())
}

/// The credentials the service of the route takes; `rpc_method` names the call in Vertex AI's
/// refusals (written only for a refusal: an admitted request never needs it).
fn authenticate(
    config: &Config,
    backend: &Backend,
    request: &Request,
    query: &HashMap<String, String>,
    rpc_method: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let headers = request.headers();
    match backend {
        // An upload chunk carries no key (the Python SDK sends none): its `upload_id` is the
        // credential, checked by the upload handler.
        Backend::Gemini if is_upload_chunk(request.extensions().get::<MatchedPath>(), query) => {
            Ok(())
        }
        Backend::Gemini => authorize(config, headers, query),
        Backend::Vertex { .. } => authorize_bearer(config, headers, query, rpc_method),
        // Express mode takes the key; both SDKs also send Vertex's models.get here in project
        // mode, with the bearer token.
        Backend::VertexExpress if bearer(headers).is_some() => {
            authorize_bearer(config, headers, query, rpc_method)
        }
        Backend::VertexExpress => authorize(config, headers, query),
    }
}

/// Whether the route is a model's custom method (`/{version}/models/{name}`), the calls the
/// journal names a model for.
fn calls_a_model(route: Option<&MatchedPath>) -> bool {
    route.is_some_and(|route| route.as_str().ends_with("/models/{name}"))
}

/// Whether the request is a chunk of a resumable upload: the upload route with an `upload_id`.
fn is_upload_chunk(route: Option<&MatchedPath>, query: &HashMap<String, String>) -> bool {
    route.is_some_and(|route| route.as_str() == UPLOAD_ROUTE) && query.contains_key("upload_id")
}

/// The route of resumable uploads, started with the key and continued with the upload id.
pub const UPLOAD_ROUTE: &str = "/upload/{version}/files";

/// Google's auth rules: the key in `x-goog-api-key` or `?key=`; none is 403, a wrong one 400.
fn authorize(
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

/// Vertex AI's rules on a project route: an OAuth bearer token, any non-empty one or one of
/// [`Config::bearer_tokens`]. An API key alone is refused with its own message.
fn authorize_bearer(
    config: &Config,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    rpc_method: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let Some(token) = bearer(headers) else {
        let has_key = headers.contains_key("x-goog-api-key") || query.contains_key("key");
        return Err(if has_key {
            ApiError::vertex_api_key_not_supported(&rpc_method())
        } else {
            ApiError::vertex_credentials_missing(&rpc_method())
        });
    };
    match token {
        Some(token)
            if config.bearer_tokens.is_empty()
                || config.bearer_tokens.iter().any(|t| t == token) =>
        {
            Ok(())
        }
        _ => Err(ApiError::vertex_token_invalid(&rpc_method())),
    }
}

/// The `Authorization` header's credential: `Some(Some(token))` for a non-empty bearer token,
/// `Some(None)` for any other credential there (another scheme, a value that is not text),
/// `None` without one.
fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?;
    let token = value.to_str().ok().and_then(|text| {
        let (scheme, token) = text.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    });
    Some(token)
}

/// The RPC method Vertex AI names in an error's metadata,
/// `google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent`; a GET is models.get.
fn rpc_method(version: &str, call: Option<&MethodCall>) -> String {
    match call {
        Some(call) => {
            let mut verb = call.verb.chars();
            let capitalised: String = verb
                .next()
                .map(|first| first.to_ascii_uppercase())
                .into_iter()
                .chain(verb)
                .collect();
            format!("google.cloud.aiplatform.{version}.PredictionService.{capitalised}")
        }
        None => format!("google.cloud.aiplatform.{version}.ModelGardenService.GetPublisherModel"),
    }
}

/// What the gate found, for a handler to extract. Missing only when a route was mounted outside
/// the API router: the mock's bug, answered as Google's 500 so that a test notices.
fn found<T: Clone + Send + Sync + 'static>(parts: &Parts) -> Result<T, ApiError> {
    parts.extensions.get::<T>().cloned().ok_or_else(|| {
        tracing::error!(
            path = parts.uri.path(),
            "an API handler runs outside the API router's gate"
        );
        ApiError::internal()
    })
}

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        found(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        found(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Backend {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        found(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MethodCall {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        found(parts)
    }
}
