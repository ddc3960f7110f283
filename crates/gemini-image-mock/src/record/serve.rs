//! The handler of every API route when the mock has recordings: the request is read (within
//! the recording bound), keyed as Google reads it, and answered by its recording, or forwarded
//! and recorded, or refused with the nearest recording and what differs. The admin API is
//! mounted apart (`/__mock/…`), so it is never recorded or forwarded.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::Bytes;
use serde_json::Value;

use super::normalise::{KeyBody, RequestKey};
use super::tape::{Lookup, Missed};
use super::{RecordMode, Recordings, replay};
use crate::error::ApiError;

/// A request as read: what the proxy forwards and the recording keeps.
pub struct Incoming {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: String,
    /// The query as sent (forwarded unchanged).
    pub raw_query: Option<String>,
    /// The query's pairs.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Every path but the admin API's, answered from `recordings`.
pub fn router<S: Clone + Send + Sync + 'static>(recordings: Recordings) -> Router<S> {
    Router::new().route(
        "/{*path}",
        any(move |request: Request| {
            let recordings = recordings.clone();
            async move { serve(recordings, request).await }
        }),
    )
}

async fn serve(recordings: Recordings, request: Request) -> Response {
    let incoming = match read(&recordings, request).await {
        Ok(incoming) => incoming,
        Err(response) => return *response,
    };
    let tape = &recordings.inner.tape;
    let parsed: Option<Value> = serde_json::from_slice(&incoming.body).ok();
    let body = match (&parsed, incoming.body.is_empty()) {
        (_, true) => KeyBody::Empty,
        (Some(value), false) => KeyBody::Json(value),
        (None, false) => KeyBody::Bytes(&incoming.body),
    };
    let accept = incoming.headers.get("accept").and_then(|v| v.to_str().ok());
    let key = RequestKey::new(
        incoming.method.as_str(),
        &incoming.path,
        &incoming.query,
        accept,
        &body,
        tape.rules(),
    );
    let (replays, upstream) = match &recordings.inner.options.mode {
        RecordMode::Replay => (true, None),
        RecordMode::Record { upstream } => (false, Some(upstream.as_str())),
        RecordMode::ReplayOrRecord { upstream } => (true, Some(upstream.as_str())),
    };
    if replays {
        let lookup = tape.lookup(&key);
        match (lookup, upstream) {
            (Lookup::Hit(path), _) => {
                let options = &recordings.inner.options;
                let host = incoming.headers.get("host").and_then(|v| v.to_str().ok());
                return replay::respond(
                    &path,
                    tape.dir(),
                    options.max_exchange_bytes,
                    options.replay_pace,
                    host,
                );
            }
            (miss, None) => return missed(&recordings, &incoming, miss),
            (_, Some(_)) => {}
        }
    }
    match upstream {
        Some(upstream) => forward(&recordings, upstream, incoming).await,
        None => ApiError::internal().into_response(),
    }
}

#[cfg(feature = "record")]
async fn forward(recordings: &Recordings, upstream: &str, incoming: Incoming) -> Response {
    match &recordings.inner.client {
        Some(client) => super::proxy::forward(recordings, client, upstream, incoming).await,
        None => ApiError::internal().into_response(),
    }
}

/// Without the `record` feature no mode forwards (`Recordings::open` refuses them).
#[cfg(not(feature = "record"))]
async fn forward(_: &Recordings, _: &str, _: Incoming) -> Response {
    ApiError::internal().into_response()
}

/// The request's parts and its body, read whole within the recording bound.
async fn read(recordings: &Recordings, request: Request) -> Result<Incoming, Box<Response>> {
    let (parts, body): (_, Body) = request.into_parts();
    let limit = recordings.inner.tape.max_exchange_bytes();
    let body = axum::body::to_bytes(body, limit).await.map_err(|error| {
        Box::new(
            ApiError::recording_precondition(format!(
                "gemini-image-mock could not read the request body within the recording bound \
                 of {limit} bytes: {error}"
            ))
            .into_response(),
        )
    })?;
    let raw_query = parts.uri.query().map(str::to_owned);
    let query = raw_query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    Ok(Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        raw_query,
        query,
        headers: parts.headers,
        body,
    })
}

/// The error of a request no recording answers: the directory, and the nearest recording
/// with what differs.
fn missed(recordings: &Recordings, incoming: &Incoming, lookup: Lookup) -> Response {
    let dir = recordings.dir().display();
    let what = format!("{} {}", incoming.method, incoming.path);
    let (nearest, diff) = match &lookup {
        Lookup::Miss(Some((nearest, diff))) => (Some(nearest.clone()), Some(diff.clone())),
        Lookup::Exhausted(count) => (None, Some(format!("its {count} recordings were all used"))),
        Lookup::Miss(None) | Lookup::Hit(_) => (None, None),
    };
    recordings.inner.tape.note_miss(Missed {
        method: incoming.method.to_string(),
        path: incoming.path.clone(),
        nearest,
        diff,
    });
    let message = match lookup {
        Lookup::Exhausted(count) => format!(
            "gemini-image-mock is replaying {dir}: the {count} recordings of {what} were all \
             replayed, and repeat_last is off."
        ),
        Lookup::Miss(Some((nearest, diff))) => format!(
            "gemini-image-mock is replaying {dir}: no recording answers {what}. The nearest \
             recorded request is {nearest}; what differs (as Google reads a request):\n{diff}"
        ),
        Lookup::Miss(None) | Lookup::Hit(_) => format!(
            "gemini-image-mock is replaying {dir}: no recording answers {what}, and the \
             directory has none. Record them first with --record DIR --upstream URL."
        ),
    };
    ApiError::recording_precondition(message).into_response()
}
