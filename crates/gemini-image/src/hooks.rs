//! Progenitor's seam: the generated client ([`RawClient`]) carries a [`Transport`] as its inner
//! value, and these `ClientHooks` send every generated operation through it — `pre` puts the
//! client's headers on, `exec` runs [`Transport::execute`], the retry loop the hand-written data
//! plane uses too.
//!
//! `exec` may only return a response or a `reqwest::Error`, and the generated code then reads
//! every error answer as Google's JSON. So what the transport concluded travels as an answer
//! the generated code can read, marked where it was not Google's: `Error::from` (in `error.rs`)
//! reads it back into exactly the error the data plane would give.

use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;

use crate::error::{
    Error, ErrorShape, IDLE_TIMEOUT_HEADER, LOCAL_ERROR_HEADER, LocalKind, NOT_GOOGLE_HEADER,
    STATUS_HEADER, TIMEOUT_HEADER,
};
use crate::generated::Client as RawClient;
use crate::transport::{Answer, Refusal, Transport};

impl ClientHooks<Transport> for RawClient {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        self.inner.prepare(request);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let transport = &self.inner;
        let shape = error_shape(info.operation_id);
        let read_json_whole = |response: reqwest::Response| async move {
            if is_json(&response) {
                // A JSON answer (a model, a page, a count) is small: read inside the retry loop,
                // so that one cut in its body or stalled is asked for again, as the data plane's.
                let head = http::Response::builder()
                    .status(response.status())
                    .version(response.version());
                let headers = response.headers().clone();
                let body = transport.read_body(response).await?;
                let mut whole = head
                    .body(body)
                    .map_err(|e| Error::Config(format!("cannot rebuild an answer: {e}")))?;
                *whole.headers_mut() = headers;
                Ok(reqwest::Response::from(whole))
            } else {
                // File bytes (a download) are the caller's to stream.
                Ok(response)
            }
        };
        match transport
            .execute_reading(&self.client, request, false, read_json_whole)
            .await
        {
            Ok(Answer::Success(response)) => Ok(response),
            Ok(Answer::Refused(refusal)) => Ok(refusal_answer(refusal, shape)),
            Err(Error::Transport(error)) => Err(error),
            Err(Error::Timeout(deadline)) => Ok(timeout_answer(deadline, TimeoutKind::Deadline)),
            Err(Error::IdleTimeout(idle)) => Ok(timeout_answer(idle, TimeoutKind::Idle)),
            Err(Error::Config(message)) => Ok(local_answer(LocalKind::Config, &message)),
            Err(Error::Auth(message)) => Ok(local_answer(LocalKind::Auth, &message)),
            Err(Error::Decode { message, .. }) => Ok(local_answer(LocalKind::Decode, &message)),
            // `execute` fails with nothing else; should that change, the failure still reaches
            // the caller, as an error answer that is not Google's.
            Err(other) => Ok(refusal_answer(Refusal::local(other), shape)),
        }
    }
}

/// The error shape the spec declares for an operation: the Interactions operations read
/// `InteractionErrorResponse` (a string `code`), every other one Google's classic `Status`.
fn error_shape(operation_id: &str) -> ErrorShape {
    if operation_id.contains("interaction") {
        ErrorShape::Interactions
    } else {
        ErrorShape::Classic
    }
}

/// An error answer as the generated client reads it: Google's error JSON in the operation's
/// shape, rendered from what was read, so that `Error::from` gives back exactly the refusal's
/// error (a body that was not Google's is marked, and keeps its text as the message; a classic
/// error rendered in the Interactions shape carries its status beside it).
fn refusal_answer(refusal: Refusal, shape: ErrorShape) -> reqwest::Response {
    let (body, google) = refusal.error.render(shape);
    let classic_status = match shape {
        ErrorShape::Interactions => refusal.error.classic_status_header(),
        ErrorShape::Classic => None,
    };
    let mut answer = http::Response::new(Bytes::from(body));
    *answer.status_mut() = refusal.status;
    *answer.headers_mut() = refusal.headers;
    let headers = answer.headers_mut();
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if !google {
        headers.insert(NOT_GOOGLE_HEADER, HeaderValue::from_static("1"));
    }
    if let Some(value) = classic_status.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(STATUS_HEADER, value);
    }
    reqwest::Response::from(answer)
}

/// Whether an answer is JSON (`application/json`, with or without parameters).
fn is_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/json"))
}

/// Which timeout an answer from `timeout_answer` stands for.
enum TimeoutKind {
    Deadline,
    Idle,
}

/// The answer that stands for a timeout that passed: the deadline, or the idle timeout.
fn timeout_answer(after: Duration, kind: TimeoutKind) -> reqwest::Response {
    let mut answer = http::Response::new(Bytes::from_static(b"{}"));
    *answer.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    let millis = HeaderValue::from(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
    let header = match kind {
        TimeoutKind::Deadline => TIMEOUT_HEADER,
        TimeoutKind::Idle => IDLE_TIMEOUT_HEADER,
    };
    answer.headers_mut().insert(header, millis);
    reqwest::Response::from(answer)
}

/// The answer that stands for a request refused before it was sent (a call the backend does not
/// have, credentials that gave no token): the message in the `message` both error shapes
/// have, the kind in a header.
fn local_answer(kind: LocalKind, message: &str) -> reqwest::Response {
    let body = serde_json::json!({ "error": { "message": message } }).to_string();
    let mut answer = http::Response::new(Bytes::from(body));
    *answer.status_mut() = StatusCode::BAD_REQUEST;
    let headers = answer.headers_mut();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(LOCAL_ERROR_HEADER, HeaderValue::from_static(kind.as_str()));
    reqwest::Response::from(answer)
}
