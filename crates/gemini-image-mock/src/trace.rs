//! One tracing span per request. It records the method, the path (never the query string, which
//! may carry `?key=`), the status and the time taken — never a header, a key or a body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

static NEXT_REQUEST_ID: AtomicU64 = AtomicU64::new(1);

/// Middleware: runs the request inside a `request` span and logs its outcome.
pub async fn log_request(request: Request, next: Next) -> Response {
    let id = NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!(
        "request",
        id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = Instant::now();
        let response = next.run(request).await;
        let status = response.status().as_u16();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 400 {
            // The status only: error messages may quote request values, such as bad base64.
            tracing::info!(status, millis, "refused");
        } else {
            tracing::info!(status, millis, "answered");
        }
        response
    }
    .instrument(span)
    .await
}
