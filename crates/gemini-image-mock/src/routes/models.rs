//! `GET /models` (paged) and `GET /models/{model}`, and Vertex AI's models.get
//! (`GET …/publishers/google/models/{model}`, a `PublisherModel`).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use gemini_image_types::types::{ListModelsResponse, ListPublisherModelsResponse, PublisherModel};

use super::{json_response, paging};
use crate::backend::Backend;
use crate::error::ApiError;
use crate::gate::{ApiQuery, ApiVersion};
use crate::model::catalogue;
use crate::state::SharedState;
use crate::wire;

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

/// `GET /{version}/models`, `pageSize` models at a time.
pub async fn list(
    State(state): State<SharedState>,
    ApiQuery(query): ApiQuery,
) -> Result<Response, ApiError> {
    let (models, next_page_token) = page(&state, &query)?;
    let body = ListModelsResponse {
        models: models.map(|m| m.describe()).collect(),
        next_page_token,
    };
    Ok(json_response(wire::pretty("ListModelsResponse", &body)))
}

/// Vertex AI's catalogue (`GET /{version}/publishers/{publisher}/models`): Google's models as
/// `PublisherModel`s, paged as the Gemini API's list; another publisher's is empty here.
pub async fn list_publisher_models(
    State(state): State<SharedState>,
    ApiQuery(query): ApiQuery,
    Path(params): Path<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (models, next_page_token) = page(&state, &query)?;
    let google = params.get("publisher").is_some_and(|p| p == "google");
    let body = ListPublisherModelsResponse {
        publisher_models: models
            .filter(|_| google)
            .map(|m| publisher_model(m.id))
            .collect(),
        next_page_token: next_page_token.filter(|_| google),
    };
    Ok(json_response(wire::pretty(
        "ListPublisherModelsResponse",
        &body,
    )))
}

/// The page of the served models `pageSize` and `pageToken` ask for, and the next page's token.
fn page(
    state: &SharedState,
    query: &std::collections::HashMap<String, String>,
) -> Result<
    (
        impl Iterator<Item = &'static catalogue::Model>,
        Option<String>,
    ),
    ApiError,
> {
    let page_size = paging::page_size(query, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let start = match paging::page_token(query) {
        None => 0,
        Some(token) => decode_page_token(token)
            .ok_or_else(|| ApiError::invalid_argument("Invalid page token."))?,
    };
    let legacy = state.config.legacy_models;
    let next = (start + page_size < catalogue::served(legacy).count())
        .then(|| encode_page_token(start + page_size));
    Ok((catalogue::served(legacy).skip(start).take(page_size), next))
}

/// `GET /{version}/models/{name}`.
pub async fn get(
    State(state): State<SharedState>,
    ApiVersion(version): ApiVersion,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path((_version, model)) = path?;
    let found = catalogue::find_served(&model, state.config.legacy_models)
        .ok_or_else(|| ApiError::model_not_found(&model, &version, "get"))?;
    Ok(json_response(wire::pretty("Model", &found.describe())))
}

/// Vertex AI's models.get: the model as a `PublisherModel`, or Vertex's 404 for a model it
/// does not serve (the gate has answered other publishers').
pub async fn get_publisher_model(
    State(state): State<SharedState>,
    backend: Backend,
    path: Result<Path<std::collections::HashMap<String, String>>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(params) = path?;
    let model = params.get("name").map(String::as_str).unwrap_or_default();
    let found = catalogue::find_served(model, state.config.legacy_models).ok_or_else(|| {
        ApiError::publisher_model_not_found(&backend.publisher_model("google", model))
    })?;
    Ok(json_response(wire::pretty(
        "PublisherModel",
        &publisher_model(found.id),
    )))
}

/// One of Google's models as Vertex AI describes it.
fn publisher_model(id: &str) -> PublisherModel {
    PublisherModel {
        name: Some(format!("publishers/google/models/{id}")),
        version_id: Some("default".to_string()),
        open_source_category: Some("PROPRIETARY".to_string()),
        launch_stage: Some(launch_stage(id).to_string()),
    }
}

/// Vertex AI's launch stage of a model: the preview models' `PUBLIC_PREVIEW`, the others `GA`.
fn launch_stage(id: &str) -> &'static str {
    if id.contains("preview") {
        "PUBLIC_PREVIEW"
    } else {
        "GA"
    }
}

/// Page tokens are opaque to clients; here they carry the offset of the next page.
fn encode_page_token(offset: usize) -> String {
    gemini_image_types::Base64Bytes::from(format!("models:{offset}").into_bytes()).encode()
}

fn decode_page_token(token: &str) -> Option<usize> {
    let bytes = gemini_image_types::Base64Bytes::decode(token.as_bytes()).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("models:")?
        .parse()
        .ok()
}
