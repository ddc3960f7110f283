//! The dashboard's forms, which work without JavaScript: each takes an HTML form's fields,
//! changes the scenario queue as the JSON admin API would, and sends the browser back to the
//! queue (303), or shows what was wrong (400).

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{HOME, layout};
use crate::scenarios::parse_list;
use crate::scenarios::queue::QueuedScenario;
use crate::state::SharedState;

/// Where a form sends the browser back to.
const BACK: &str = "/__mock/#scenarios";

/// The add form's fields; empty optional fields are absent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddScenario {
    scenario: String,
    #[serde(default)]
    times: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    test_id: String,
}

pub async fn add_scenario(
    State(state): State<SharedState>,
    form: Result<Form<AddScenario>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => return refused(&rejection.body_text()),
    };
    let scenario = match parse_list(&form.scenario) {
        Ok(list) if !list.is_empty() => list,
        Ok(_) => return refused("no scenario named"),
        Err(error) => return refused(&error.to_string()),
    };
    let times = match form.times.trim() {
        "" => 1,
        text => match text.parse::<u32>() {
            Ok(times) if times > 0 => times,
            _ => return refused("times: expected a whole number from 1"),
        },
    };
    let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    let mut entry = QueuedScenario {
        scenario,
        times,
        model: None,
        test_id: optional(&form.test_id),
    };
    if let Some(model) = optional(&form.model) {
        entry = entry.for_model(model);
    }
    state.queue.push(entry);
    Redirect::to(BACK).into_response()
}

/// The remove button's fields: the entry's place and what it was, so that a queue changed
/// since the page was drawn is not cut in the wrong place.
#[derive(Deserialize)]
pub struct RemoveScenario {
    index: usize,
    scenario: String,
}

pub async fn remove_scenario(
    State(state): State<SharedState>,
    form: Result<Form<RemoveScenario>, FormRejection>,
) -> Response {
    match form {
        Ok(Form(form)) => {
            // Gone already (used up, or removed in another tab): nothing to do.
            state.queue.remove(form.index, &form.scenario);
            Redirect::to(BACK).into_response()
        }
        Err(rejection) => refused(&rejection.body_text()),
    }
}

pub async fn clear_scenarios(State(state): State<SharedState>) -> Redirect {
    state.queue.clear();
    Redirect::to(BACK)
}

/// A 400 page saying what was wrong, with the way back.
fn refused(message: &str) -> Response {
    let body = html! {
        h2 { "Not queued" }
        p { (message) }
        p { a href=(HOME) { "Back to the dashboard" } }
    };
    let mut response = layout::page("Not queued", None, body);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}
