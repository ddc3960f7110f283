//! `POST /{version}/models/{model}:{method}` (and Vertex AI's forms of it,
//! `…/publishers/google/models/{model}:{method}`): the scenarios a call gets, its body, the method
//! that answers it, and how the answer travels (whole, slowly, cut).
//!
//! The gate has already checked the version and the key; the order here is Google's for what
//! follows: the scenario header, then the body, then the method.

use std::collections::HashMap;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::Answer;
use super::call::Call;
use crate::backend::Backend;
use crate::body::UnreadBody;
use crate::delivery::{self, Delivery, Framing};
use crate::error::ApiError;
use crate::gate::{ApiQuery, ApiVersion, MethodCall};
use crate::journal::Note;
use crate::scenarios::pick;
use crate::scenarios::plan::Plan;
use crate::state::SharedState;

/// The handler: serves the call, then delivers the answer as the scenarios say.
///
/// Not an `async fn`: its future is boxed whole. axum's handler future holds the future of the
/// function it calls and moves it as it goes from one extractor to the next (a callgrind
/// profile showed five copies of some 2 KB per request: the request's extractors, the plan,
/// the delivery's timer); boxed, what moves is a pointer.
#[allow(clippy::too_many_arguments)] // one extractor per argument is how axum reads
pub fn serve(
    State(state): State<SharedState>,
    ApiVersion(version): ApiVersion,
    backend: Backend,
    method: MethodCall,
    ApiQuery(query): ApiQuery,
    uri: Uri,
    headers: HeaderMap,
    note: Option<Extension<Note>>,
    body: UnreadBody,
) -> impl Future<Output = Response> + Send {
    Box::pin(async move {
        let note = note.map(|Extension(n)| n).unwrap_or_default();
        let mut plan = Plan::default();
        let request = Incoming {
            state: &state,
            version: &version,
            backend: &backend,
            method: &method,
            uri: &uri,
            headers: &headers,
            note: &note,
        };
        let answer = request.answer(query, &mut plan, body).await;
        note.scenarios(plan.names());
        deliver(answer, Delivery::of(&plan)).await
    })
}

/// What the gate and axum read of the request.
struct Incoming<'a> {
    state: &'a SharedState,
    version: &'a str,
    backend: &'a Backend,
    method: &'a MethodCall,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    note: &'a Note,
}

impl Incoming<'_> {
    async fn answer(
        &self,
        query: HashMap<String, String>,
        plan: &mut Plan,
        body: UnreadBody,
    ) -> Result<Answer, ApiError> {
        let model = self.method.name.as_str();
        plan.extend(pick::from_headers(self.headers)?);
        plan.extend(
            self.state
                .queue
                .take(model, pick::test_id(self.headers).as_deref()),
        );
        plan.extend(self.state.chaos.draw());
        let mut body = body.read().await?;
        self.note.body(&mut body);
        if let Some(error) = plan.error(model.trim_start_matches("models/")) {
            return Err(error);
        }
        let mut call = Call {
            state: self.state,
            version: self.version,
            backend: self.backend,
            model,
            query: &query,
            body,
            plan,
            note: self.note,
        };
        let answer = match self.method.verb.as_str() {
            "generateContent" => super::generate::unary(&mut call).await,
            "streamGenerateContent" => super::generate::stream(&mut call).await,
            "countTokens" => super::tokens::count(&mut call),
            // Boxed, as a render in `generate`: inline, the largest future of these arms
            // would be this future's size, copied into its box on every request.
            "predict" => Box::pin(super::predict::predict(&mut call)).await,
            // Batch mode is the Gemini API's; Vertex AI's is another API.
            "batchGenerateContent" if !self.backend.is_vertex() => {
                Box::pin(super::batches::create(&mut call)).await
            }
            _ => Err(ApiError::not_found(self.uri.path())),
        }?;
        // Directives in the prompt may have asked for an error.
        match call.plan.error(model.trim_start_matches("models/")) {
            Some(error) => Err(error),
            None => Ok(answer),
        }
    }
}

/// Sends the answer or the error the way the transport scenarios say (the Interactions routes
/// deliver theirs here too): after a delay, with a
/// mid-stream error, or cut.
pub async fn deliver(answer: Result<Answer, ApiError>, delivery: Delivery) -> Response {
    if !delivery.delay.is_zero() && !delivery.reset {
        // Latency before the first byte; streamed frames get theirs in `delivery::body`.
        tokio::time::sleep(delivery.delay).await;
    }
    let plain = Delivery {
        delay: Duration::ZERO,
        ..delivery.clone()
    };
    match answer {
        Err(error) if delivery.reset => {
            let mut response = error.into_response();
            *response.body_mut() = delivery::body(Bytes::new(), Framing::Unary, &plain);
            response
        }
        Err(error) => error.into_response(),
        Ok(answer)
            if answer.framing == Framing::Unary && delivery.stream_error && !delivery.reset =>
        {
            // There is no stream to break: a unary call gets the error as its answer.
            ApiError::overloaded().into_response()
        }
        Ok(answer) => {
            let between_frames = Delivery {
                delay: if answer.framing == Framing::Unary {
                    Duration::ZERO
                } else {
                    delivery.delay
                },
                ..delivery
            };
            let mut response = answer.response();
            *response.body_mut() = delivery::body(answer.body, answer.framing, &between_frames);
            response
        }
    }
}
