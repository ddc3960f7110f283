//! A recording as the response it was: its status, its headers, its body byte for byte, or
//! its events frame for frame — at once, or paced as they arrived (scaled).

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::exchange::RecordedResponse;
use super::redact::FRAMING_HEADERS;
use super::tape;
use crate::error::ApiError;

/// The recorded response in `path`, its blobs read from beside it, within `limit` bytes; an
/// upload's URL pointed at `host` (the caller's `Host`).
pub fn respond(path: &Path, dir: &Path, limit: usize, pace: f64, host: Option<&str>) -> Response {
    match build(path, dir, limit, pace, host) {
        Ok(response) => response,
        Err(message) => ApiError::recording_precondition(format!(
            "The recording {} cannot be replayed: {message}",
            path.display()
        ))
        .into_response(),
    }
}

fn build(
    path: &Path,
    dir: &Path,
    limit: usize,
    pace: f64,
    host: Option<&str>,
) -> Result<Response, String> {
    let exchange = tape::read(path, limit).map_err(|e| e.to_string())?;
    let recorded = exchange.response;
    let mut budget = limit;
    let body = match &recorded.sse {
        None => Body::from(recorded.body.bytes(dir, &mut budget)?),
        Some(sse) => {
            let mut events = Vec::with_capacity(sse.events.len());
            for event in &sse.events {
                events.push((event.at_ms, event.bytes(sse, dir, &mut budget)?));
            }
            paced(events, pace)
        }
    };
    Ok(with_head(&recorded, body, host))
}

fn with_head(recorded: &RecordedResponse, body: Body, host: Option<&str>) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in &recorded.headers {
        if FRAMING_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    super::upload_url::point_at(headers, host);
    response
}

/// The events as a body: each after the recorded gap between it and the one before, times
/// `pace` (0, negative or not a number: at once).
fn paced(events: Vec<(u64, Bytes)>, pace: f64) -> Body {
    let pace = if pace.is_finite() && pace > 0.0 {
        pace
    } else {
        0.0
    };
    let stream = futures_util::stream::unfold(
        (events.into_iter(), 0u64),
        move |(mut events, previous)| async move {
            let (at_ms, bytes) = events.next()?;
            let gap = at_ms.saturating_sub(previous);
            if pace > 0.0 && gap > 0 {
                #[allow(clippy::cast_precision_loss)]
                tokio::time::sleep(Duration::from_secs_f64(gap as f64 / 1000.0 * pace)).await;
            }
            Some((Ok::<_, std::io::Error>(bytes), (events, at_ms)))
        },
    );
    Body::from_stream(stream)
}
