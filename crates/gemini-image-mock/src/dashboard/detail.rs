//! `GET /__mock/requests/{id}`: one journaled request — what was sent (headers redacted as
//! the journal keeps them, the body pretty-printed, images as thumbnails), what was answered,
//! and the request as a curl command. `Accept: application/json` gets the entry as JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::index::service;
use super::layout::{self, status, thumbnails};
use super::{curl, thumbnail};
use crate::state::SharedState;

pub async fn page(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let entry = id.parse::<u64>().ok().and_then(|id| state.journal.get(id));
    let Some(entry) = entry else {
        let body = html! {
            h2 { "No request " (id) }
            p { "The journal keeps the newest requests only, or this one never came." }
        };
        let mut response = layout::page("Not found", None, body);
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        return Json(entry).into_response();
    }
    let (carried, answered) = thumbnail::of_entry(&entry);
    let body_text = entry
        .body
        .as_ref()
        .and_then(|body| serde_json::to_string_pretty(body).ok());
    let command = curl::command(&entry);
    let body = html! {
        h2 { "Request " (entry.id) ": " (entry.method) " " code { (entry.path) } }
        dl {
            dt { "Status" } dd { (status(entry.status)) }
            dt { "Latency" } dd { (format!("{:.1} ms", entry.latency_ms)) }
            dt { "Model" } dd { (entry.model.as_deref().unwrap_or("—")) }
            dt { "Service" } dd { (entry.backend.as_ref().map(service).unwrap_or_else(|| "—".to_string())) }
            dt { "Scenarios" } dd { @if entry.scenarios.is_empty() { "none" } @else { (entry.scenarios.join(", ")) } }
            dt { "Test id" } dd { (entry.test_id.as_deref().unwrap_or("—")) }
            @if let Some(project) = &entry.user_project { dt { "User project" } dd { (project) } }
        }
        @if !entry.warnings.is_empty() {
            h2 { "Validation warnings" }
            ul { @for warning in &entry.warnings { li { (warning) } } }
        }
        @if !carried.is_empty() {
            h2 { "Images in" }
            div.images { (thumbnails(&carried)) }
        }
        h2 { "Request body" }
        @if let Some(text) = &body_text {
            pre { (text) }
        } @else if let Some(description) = &entry.body_description {
            p { "Not kept: " code { (description) } }
        } @else {
            p.muted { "No body." }
        }
        h2 { "Answer" }
        @if let Some(answer) = &entry.answer {
            dl {
                dt { "Finish" } dd { (answer.finish_reasons.join(", ")) }
                dt { "Text" } dd { (answer.text.as_deref().unwrap_or("—")) }
                dt { "Images" } dd { (answer.images.join(", ")) }
            }
            div.images { (thumbnails(&answered)) }
        } @else {
            p.muted { "Status " (entry.status) "; the journal summarises generateContent answers only." }
        }
        h2 { "Copy as curl" }
        p.muted { "The key is $GEMINI_API_KEY, never the one sent; image data is shown as the journal keeps it (its size and hash), so an image request needs its base64 put back." }
        pre id="curl" { (command) }
        button type="button" data-copy="curl" hidden { "Copy" }
        h2 { "Headers" }
        table { tbody {
            @for (name, value) in &entry.headers { tr { td { code { (name) } } td { code { (value) } } } }
        } }
        @if !entry.query.is_empty() {
            h2 { "Query" }
            table { tbody {
                @for (name, value) in &entry.query { tr { td { code { (name) } } td { code { (value) } } } }
            } }
        }
    };
    layout::page(&format!("Request {}", entry.id), None, body)
}
