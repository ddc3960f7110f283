//! The recording reverse proxy: a request is forwarded to the upstream with the caller's own
//! credentials, its answer returned unchanged (an SSE answer passed on piece by piece as it
//! arrives), and the exchange written as a recording. The body is asked for uncompressed, so
//! that the recording is text.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::blobs::Blob;
use super::exchange::{
    Exchange, FORMAT, RecordedBody, RecordedRequest, RecordedResponse, SseEvent, SseRecording,
};
use super::redact::{self, FRAMING_HEADERS};
use super::serve::Incoming;
use super::sse::Splitter;
use super::{Inner, Recordings};
use crate::error::ApiError;

/// How long connecting to the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The proxy's HTTP client (rustls; no overall timeout, a stream may take minutes).
///
/// # Errors
///
/// The TLS backend could not be set up.
pub fn client() -> std::io::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| std::io::Error::other(format!("the recording proxy's client: {e}")))
}

/// Forwards `incoming` to `upstream`, records the exchange, answers what the upstream answered.
pub async fn forward(
    recordings: &Recordings,
    client: &reqwest::Client,
    upstream: &str,
    incoming: Incoming,
) -> Response {
    let inner = &*recordings.inner;
    let secrets = redact::secrets(&incoming.headers, &incoming.query);
    // Refused before anything is sent upstream: its recording could never be written.
    if let Err(reason) = redact::check("the request body", &incoming.body, &secrets) {
        return not_recorded(inner, &incoming, &reason);
    }
    let mut blobs = Vec::new();
    let request = RecordedRequest {
        method: incoming.method.to_string(),
        path: incoming.path.clone(),
        query: redact::query(&incoming.query),
        headers: redact::headers(&incoming.headers),
        body: RecordedBody::capture(&incoming.body, &mut blobs),
    };
    let mut url = format!("{}{}", upstream.trim_end_matches('/'), incoming.path);
    if let Some(query) = &incoming.raw_query {
        url.push('?');
        url.push_str(query);
    }
    let mut outgoing = client
        .request(incoming.method.clone(), url)
        .body(incoming.body.clone());
    for (name, value) in &incoming.headers {
        if !FRAMING_HEADERS.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        // `without_url`: the URL may carry the caller's `key=`.
        Err(error) => return unavailable(upstream, &error.without_url().to_string()),
    };
    let status = answer.status();
    let head = answer.headers().clone();
    let is_sse = head
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let capture = Capture {
        request,
        blobs,
        secrets,
        status,
        head,
        host: incoming
            .headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    if is_sse {
        stream(recordings.clone(), capture, answer)
    } else {
        unary(inner, capture, answer, &incoming).await
    }
}

/// What is known of an exchange once the upstream's head arrived.
struct Capture {
    request: RecordedRequest,
    blobs: Vec<Blob>,
    secrets: Vec<String>,
    status: StatusCode,
    head: HeaderMap,
    /// The `Host` the caller reached this mock on (an upload's URL is pointed back at it).
    host: Option<String>,
}

impl Capture {
    /// Writes the recording.
    fn write(
        mut self,
        inner: &Inner,
        body: RecordedBody,
        sse: Option<SseRecording>,
        more_blobs: Vec<Blob>,
    ) -> Result<String, String> {
        self.blobs.extend(more_blobs);
        let exchange = Exchange {
            format: FORMAT.to_owned(),
            request: self.request,
            response: RecordedResponse {
                status: self.status.as_u16(),
                headers: redact::headers(&self.head),
                body,
                sse,
            },
        };
        inner.tape.write(&exchange, &self.blobs, &self.secrets)
    }

    /// The response's head as the caller gets it (framing headers are the server's own).
    fn response(&self, body: Body) -> Response {
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        for (name, value) in &self.head {
            if !FRAMING_HEADERS.contains(&name.as_str()) {
                response.headers_mut().append(name, value.clone());
            }
        }
        super::upload_url::point_at(response.headers_mut(), self.host.as_deref());
        response
    }
}

async fn unary(
    inner: &Inner,
    capture: Capture,
    mut answer: reqwest::Response,
    incoming: &Incoming,
) -> Response {
    let limit = inner.tape.max_exchange_bytes();
    let mut body = Vec::new();
    loop {
        match answer.chunk().await {
            Ok(Some(piece)) => {
                if body.len() + piece.len() > limit {
                    let reason = format!(
                        "the answer passes the recording bound of {limit} bytes; it was not \
                         recorded"
                    );
                    return not_recorded(inner, incoming, &reason);
                }
                body.extend_from_slice(&piece);
            }
            Ok(None) => break,
            Err(error) => {
                let upstream = inner.options.upstream().unwrap_or_default();
                return unavailable(upstream, &error.without_url().to_string());
            }
        }
    }
    let mut blobs = Vec::new();
    let recorded = RecordedBody::capture(&body, &mut blobs);
    let response = capture.response(Body::from(Bytes::from(body)));
    match capture.write(inner, recorded, None, blobs) {
        Ok(name) => {
            tracing::info!(recording = %name, "recorded");
            response
        }
        Err(reason) => not_recorded(inner, incoming, &reason),
    }
}

/// Passes the events on as they arrive and records them when the stream ends whole.
fn stream(recordings: Recordings, capture: Capture, mut answer: reqwest::Response) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(32);
    let body = Body::from_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    let response = capture.response(body);
    let limit = recordings.inner.tape.max_exchange_bytes();
    let started = Instant::now();
    tokio::spawn(async move {
        let mut splitter = Splitter::new(limit);
        let mut events = Vec::new();
        let mut blobs = Vec::new();
        let mut layout = None;
        let whole = loop {
            match answer.chunk().await {
                Ok(Some(piece)) => {
                    let at_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    for event in splitter.push(&piece) {
                        events.push(SseEvent::capture(
                            &event,
                            splitter.separator(),
                            &mut layout,
                            at_ms,
                            &mut blobs,
                        ));
                    }
                    // A caller that left does not stop the recording: the answer is paid for.
                    let _ = sender.send(Ok(piece)).await;
                }
                Ok(None) => break true,
                Err(error) => {
                    let message = error.without_url().to_string();
                    let _ = sender.send(Err(std::io::Error::other(message))).await;
                    break false;
                }
            }
        };
        let path = capture.request.path.clone();
        if !whole || splitter.over_budget() {
            tracing::error!(
                %path,
                "the stream broke off or passed the recording bound of {limit} bytes; not recorded"
            );
            let message = format!("not recorded: over the recording bound of {limit} bytes");
            let _ = sender.send(Err(std::io::Error::other(message))).await;
            return;
        }
        let separator = splitter.separator().to_owned();
        let at_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Some(rest) = splitter.finish() {
            events.push(SseEvent::capture(
                &rest,
                &separator,
                &mut layout,
                at_ms,
                &mut blobs,
            ));
        }
        let sse = SseRecording {
            separator,
            data_layout: layout.unwrap_or_default(),
            events,
        };
        // The caller's stream ends once the recording is written (so a replay right after
        // finds it), and breaks off instead when it could not be: a test run that recorded
        // nothing must not look like one that did.
        match capture.write(&recordings.inner, RecordedBody::default(), Some(sse), blobs) {
            Ok(name) => tracing::info!(recording = %name, "recorded"),
            Err(reason) => {
                tracing::error!(%path, "not recorded: {reason}");
                let _ = sender.send(Err(std::io::Error::other(reason))).await;
            }
        }
    });
    response
}

fn not_recorded(inner: &Inner, incoming: &Incoming, reason: &str) -> Response {
    ApiError::recording_precondition(format!(
        "gemini-image-mock did not record {} {} in {}: {reason}",
        incoming.method,
        incoming.path,
        inner.tape.dir().display()
    ))
    .into_response()
}

fn unavailable(upstream: &str, reason: &str) -> Response {
    ApiError::upstream_unavailable(format!(
        "gemini-image-mock could not reach the upstream {upstream}: {reason}"
    ))
    .into_response()
}
