//! `GET /__mock/`: the dashboard's home — the journal, the scenario queue, the settings, the
//! files and the batches, each cut to its newest [`MAX_ROWS`].

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, status, thumbnails};
use super::{MAX_ROWS, thumbnail};
use crate::files::resource;
use crate::state::SharedState;

/// The longest `?refresh=N` honoured, in seconds.
const MAX_REFRESH_SECONDS: u32 = 3600;

/// How many thumbnails a journal row shows, each way.
const ROW_THUMBNAILS: usize = 4;

pub async fn page(
    State(state): State<SharedState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let refresh = query
        .get("refresh")
        .and_then(|n| n.parse::<u32>().ok())
        .map(|n| n.clamp(1, MAX_REFRESH_SECONDS));
    let body = html! {
        p.muted {
            "Without JavaScript: "
            @if refresh.is_some() {
                a href="?" { "stop reloading" }
            } @else {
                a href="?refresh=5" { "reload every 5 s" }
            }
            ". The same data as JSON: "
            a href="/__mock/requests" { "requests" } ", "
            a href="/__mock/scenarios" { "scenarios" } ", "
            a href="/__mock/files" { "files" } ", "
            a href="/__mock/batches" { "batches" } "."
        }
        (journal(&state))
        (scenarios(&state))
        (settings(&state))
        (files(&state))
        (batches(&state))
    };
    layout::page("Dashboard", refresh, body)
}

fn journal(state: &SharedState) -> Markup {
    let (entries, kept) = state.journal.newest(MAX_ROWS);
    html! {
        section id="journal" data-live {
            h2 { "Requests " span.muted { "(" (entries.len()) " newest of " (kept) " kept, "
                (state.journal.bytes()) " bytes)" } }
            @if entries.is_empty() {
                p.muted { "No request yet." }
            } @else {
                table {
                    thead { tr {
                        th { "#" } th { "Method" } th { "Path" } th { "Model" } th { "Service" }
                        th { "Status" } th { "Latency" } th { "Scenarios" } th { "Images in" }
                        th { "Images out" }
                    } }
                    tbody {
                        @for entry in &entries {
                            @let (carried, answered) = thumbnail::of_entry(entry);
                            tr {
                                td.num { a href={ "/__mock/requests/" (entry.id) } { (entry.id) } }
                                td { (entry.method) }
                                td { code { (entry.path) } }
                                td { (entry.model.as_deref().unwrap_or("")) }
                                td { (entry.backend.as_ref().map(service).unwrap_or_default()) }
                                td { (status(entry.status)) }
                                td.num { (format!("{:.1} ms", entry.latency_ms)) }
                                td { (entry.scenarios.join(", ")) }
                                td.thumbs { (thumbnails(&carried[..carried.len().min(ROW_THUMBNAILS)])) }
                                td.thumbs { (thumbnails(&answered[..answered.len().min(ROW_THUMBNAILS)])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The service a request reached, in a few words.
pub fn service(backend: &crate::backend::Backend) -> String {
    match backend {
        crate::backend::Backend::Gemini => "Gemini API".to_string(),
        crate::backend::Backend::Vertex { project, location } => {
            format!("Vertex AI ({project}, {location})")
        }
        crate::backend::Backend::VertexExpress => "Vertex AI express".to_string(),
    }
}

fn scenarios(state: &SharedState) -> Markup {
    let queued = state.queue.list();
    html! {
        section id="scenarios" {
            h2 { "Scenario queue" }
            div id="queue" data-live {
                @if queued.is_empty() {
                    p.muted { "Nothing queued: requests are answered normally (chaos aside)." }
                } @else {
                    table {
                        thead { tr { th { "#" } th { "Scenario" } th { "Times left" } th { "Model" } th { "Test id" } th {} } }
                        tbody {
                            @for (index, entry) in queued.iter().enumerate() {
                                @let names = entry.scenario.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
                                tr {
                                    td.num { (index) }
                                    td { code { (names) } }
                                    td.num { (entry.times) }
                                    td { (entry.model.as_deref().unwrap_or("any")) }
                                    td { (entry.test_id.as_deref().unwrap_or("any")) }
                                    td {
                                        form.inline method="post" action="/__mock/dashboard/scenarios/remove" {
                                            input type="hidden" name="index" value=(index);
                                            input type="hidden" name="scenario" value=(names);
                                            button type="submit" { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    form.inline method="post" action="/__mock/dashboard/scenarios/clear" {
                        button type="submit" { "Clear the queue" }
                    }
                }
            }
            form.add method="post" action="/__mock/dashboard/scenarios" {
                label { "Scenario" input name="scenario" required placeholder="overloaded, rate_limit=3s, slow=1s,…"; }
                label { "Times" input name="times" type="number" min="1" value="1"; }
                label { "Model (optional)" input name="model"; }
                label { "Test id (optional)" input name="testId"; }
                button type="submit" { "Queue" }
            }
        }
    }
}

fn settings(state: &SharedState) -> Markup {
    let config = &state.config;
    let chaos = &config.chaos;
    html! {
        section id="settings" {
            h2 { "Settings " span.muted { "(read-only; set at start)" } }
            dl {
                dt { "Faults (--fault)" }
                dd { @if chaos.faults.is_empty() { "none" } @else {
                    (chaos.faults.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } }
                dt { "Latency (--latency)" }
                dd { (chaos.latency.as_ref().map_or_else(|| "none".to_string(), ToString::to_string)) }
                dt { "Seed (--seed)" } dd { (chaos.seed) }
                dt { "Validation" } dd { (format!("{:?}", config.validation).to_lowercase()) }
                dt { "Legacy models" } dd { (config.legacy_models) }
                dt { "API keys" } dd { @if config.api_keys.is_empty() { "any non-empty key" } @else {
                    (config.api_keys.len()) " configured (not shown)" } }
                dt { "Batch pace" } dd { (config.batch_pace) }
                dt { "Journal" } dd { (config.journal_entries) " entries, " (config.journal_bytes) " bytes" }
                dt { "Thumbnails" } dd { (state.journal.thumbnails().bytes()) " bytes held" }
                dt { "Mock clock" } dd { "moved " (format!("{:?}", state.clock.offset())) " forward" }
            }
        }
    }
}

fn files(state: &SharedState) -> Markup {
    let now = state.clock.now();
    let all = state.files.list(now);
    html! {
        section id="files" data-live {
            h2 { "Files " span.muted { "(" (all.len().min(MAX_ROWS)) " of " (all.len()) ")" } }
            @if all.is_empty() { p.muted { "No file." } } @else {
                table {
                    thead { tr { th { "Name" } th { "Display name" } th { "Type" } th { "Bytes" } th { "State" } th { "Source" } } }
                    tbody {
                        @for file in all.iter().take(MAX_ROWS) {
                            @let shown = resource::describe(file, now, state.config.file_processing);
                            tr {
                                td { code { (shown.name.unwrap_or_default()) } }
                                td { (shown.display_name.unwrap_or_default()) }
                                td { (shown.mime_type.unwrap_or_default()) }
                                td.num { (shown.size_bytes.unwrap_or_default()) }
                                td { (shown.state.map(|s| s.to_string()).unwrap_or_default()) }
                                td { (shown.source.map(|s| s.to_string()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn batches(state: &SharedState) -> Markup {
    let now = state.clock.now();
    let jobs = state.batches.list(now);
    html! {
        section id="batches" data-live {
            h2 { "Batches " span.muted { "(" (jobs.len().min(MAX_ROWS)) " of " (jobs.len()) ", pace " (state.config.batch_pace) ")" } }
            @if jobs.is_empty() { p.muted { "No batch." } } @else {
                table {
                    thead { tr { th { "Name" } th { "Display name" } th { "Model" } th { "State" } th { "Lines" } th { "Succeeded" } th { "Failed" } th { "Pending" } } }
                    tbody {
                        @for job in jobs.iter().take(MAX_ROWS) {
                            @let operation = job.operation(now, false);
                            @let meta = operation.metadata.unwrap_or_default();
                            @let stats = meta.batch_stats.unwrap_or_default();
                            tr {
                                td { code { (operation.name.unwrap_or_default()) } }
                                td { (meta.display_name.unwrap_or_default()) }
                                td { (meta.model.unwrap_or_default()) }
                                td { (meta.state.map(|s| s.to_string()).unwrap_or_default()) }
                                td.num { (stats.request_count.unwrap_or_default()) }
                                td.num { (stats.successful_request_count.unwrap_or_default()) }
                                td.num { (stats.failed_request_count.unwrap_or_default()) }
                                td.num { (stats.pending_request_count.unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}
