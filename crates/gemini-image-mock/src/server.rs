//! The router, read top to bottom: the admin API, Google's API behind its gate, and the layers
//! every request passes through.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::Uri;
use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::routing::{get, post};

use crate::batches::engine;
use crate::body::{self, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::routes::{admin, batches, files, interactions, model_call, models, upload};
use crate::state::{AppState, Config, SharedState};
use crate::{dashboard, error, gate, journal, record, trace};

/// The whole API, with the admin API under `/__mock/`.
///
/// ```
/// let app: axum::Router = gemini_image_mock::router(gemini_image_mock::Config::default());
/// ```
pub fn router(config: Config) -> Router {
    router_with_state(Arc::new(AppState::new(config)))
}

/// The whole API over existing state (the `MockServer` handle keeps a reference to it).
/// Batches an earlier run left unfinished (`--data-dir`) go on from here, in the runtime the
/// router is made in (made outside one, as a plain `Router` value, they wait).
pub(crate) fn router_with_state(state: SharedState) -> Router {
    if tokio::runtime::Handle::try_current().is_ok() {
        engine::resume(&state);
    } else {
        tracing::warn!("no async runtime: unfinished batches wait");
    }
    let body_idle = Some(state.config.body_idle_timeout).filter(|t| !t.is_zero());
    Router::new()
        .nest("/__mock", admin::router())
        .merge(dashboard::router())
        .merge(match state.config.recordings.clone() {
            // Recordings answer instead of the model (or the upstream does, recorded).
            Some(recordings) => record::serve::router(recordings),
            None => api(state.clone()),
        })
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        // The journal skips `/__mock/` itself; the log sees every request.
        .layer(from_fn_with_state(state.journal.clone(), journal::record))
        .layer(from_fn(trace::log_request))
        // Outermost: every body, on every route, is watched for a stall.
        .layer(map_request(move |request| {
            body::watch_idle(body_idle, request)
        }))
        .with_state(state)
}

/// Google's API. Every route here passes the gate (a known version, a custom method's
/// `name:verb`, the key) before its handler: a new endpoint gets the checks by being added here.
/// A route that reads its body whole sets its limit with `body::limit`; an upload streams
/// (its chunks are bounded by the handler, not by the 20 MB of model calls).
fn api(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/{version}/models", get(models::list))
        .route(
            "/{version}/models/{name}",
            get(models::get).post(model_call::serve.layer(body::limit(MAX_BODY_BYTES))),
        )
        // Vertex AI: a project's model calls, and the express form (also models.get's path).
        // Its versions, credentials and answers follow the `Backend` the gate reads from the
        // route; the Files, batch and Interactions routes have no Vertex form (a 404, as on
        // Vertex AI).
        .route(
            "/{version}/projects/{project}/locations/{location}/publishers/{publisher}/models/{name}",
            get(models::get_publisher_model)
                .post(model_call::serve.layer(body::limit(MAX_BODY_BYTES))),
        )
        .route(
            "/{version}/publishers/{publisher}/models",
            get(models::list_publisher_models),
        )
        .route(
            "/{version}/publishers/{publisher}/models/{name}",
            get(models::get_publisher_model)
                .post(model_call::serve.layer(body::limit(MAX_BODY_BYTES))),
        )
        .route("/{version}/files", get(files::list))
        .route(
            "/{version}/files/{file}",
            get(files::get).delete(files::delete),
        )
        .route(
            "/download/{version}/files/{file}",
            get(files::download_prefixed),
        )
        .route(gate::UPLOAD_ROUTE, post(upload::serve))
        .route("/{version}/batches", get(batches::list))
        // `{name}` as on the models route: the gate reads a POST's `id:cancel` as a custom
        // method.
        .route(
            "/{version}/batches/{name}",
            get(batches::batch)
                .delete(batches::batch)
                .post(batches::batch),
        )
        // A route layer runs only for a matched route and method: a 404 or 405 stays a 404.
        .route_layer(from_fn_with_state(state.clone(), gate::check))
        .merge(interactions_api(state))
}

/// The Interactions API: the same gate, and every error — the gate's included, so this layer
/// sits outside it — in the Interactions shape.
fn interactions_api(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route(
            "/{version}/interactions",
            post(interactions::create.layer(body::limit(MAX_BODY_BYTES))),
        )
        .route(
            "/{version}/interactions/{interaction}",
            get(interactions::get).delete(interactions::delete),
        )
        .route(
            "/{version}/interactions/{interaction}/cancel",
            post(interactions::cancel),
        )
        .route_layer(from_fn_with_state(state, gate::check))
        .route_layer(from_fn(error::in_interactions_shape))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}
