//! The dashboard at `GET /__mock/`: the journal live, each request's page with thumbnails of
//! its images and a "copy as curl", the scenario queue with forms to change it, the chaos and
//! validation settings, the Files API's files and the batch jobs.
//!
//! Server-rendered HTML (maud escapes everything it is given: a prompt may hold `<script>`),
//! readable without JavaScript; a small inline script only refreshes the live parts and copies
//! commands. Every list is cut to its newest [`MAX_ROWS`], with a link to the JSON admin API
//! for the rest. Nothing here shows a key or a token: it reads the journal, which redacts them.

mod curl;
mod detail;
mod forms;
mod index;
mod layout;
mod thumbnail;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::state::SharedState;

/// How many rows a list shows (the newest first).
pub const MAX_ROWS: usize = 100;

/// Where the dashboard lives.
pub const HOME: &str = "/__mock/";

/// The dashboard's routes, merged at the top level (`/__mock/` itself cannot be a nested
/// router's route: nesting maps `/` to `/__mock` without the slash).
pub fn router() -> Router<SharedState> {
    Router::new()
        .route(HOME, get(index::page))
        .route("/__mock", get(|| async { Redirect::permanent(HOME) }))
        .route("/__mock/requests/{id}", get(detail::page))
        .route("/__mock/thumbnails/{hash}", get(thumbnail::serve))
        .route("/__mock/dashboard/scenarios", post(forms::add_scenario))
        .route(
            "/__mock/dashboard/scenarios/remove",
            post(forms::remove_scenario),
        )
        .route(
            "/__mock/dashboard/scenarios/clear",
            post(forms::clear_scenarios),
        )
}
