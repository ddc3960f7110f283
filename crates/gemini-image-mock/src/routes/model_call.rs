//! `POST /{version}/models/{model}:{method}`: the scenarios a call gets, its body, the method
//! that answers it, and how the answer travels (whole, slowly, cut).
//!
//! The gate has already checked the version and the key; the order here is Google's for what
//! follows: the scenario header, then the body, then the method.

use std::collections::HashMap;
use std::time::Duration;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Answer;
use crate::body::{RequestBody, UnreadBody};
use crate::delivery::{self, Delivery, Framing};
use crate::error::ApiError;
use crate::gate::{ApiVersion, MethodCall};
use crate::journal::Note;
use crate::model::catalogue::{self, Model};
use crate::scenarios::pick;
use crate::scenarios::plan::Plan;
use crate::state::{SharedState, Validation};
use crate::validate::SPEC;

/// One call to a model's method, as the method's handler sees it.
pub struct Call<'a> {
    /// The server's state.
    pub state: &'a SharedState,
    /// The API version of the path.
    pub version: &'a str,
    /// The model, as named in the path.
    pub model: &'a str,
    /// The query parameters (`alt=sse`).
    pub query: &'a HashMap<String, String>,
    /// The body as sent; [`Call::read`] reads it as a request of the API.
    pub body: RequestBody,
    /// The scenarios chosen so far; prompt directives add to it.
    pub plan: &'a mut Plan,
    /// What the journal will say of this call.
    pub note: &'a Note,
}

/// The handler: serves the call, then delivers the answer as the scenarios say.
#[allow(clippy::too_many_arguments)] // one extractor per argument is how axum reads
pub async fn serve(
    State(state): State<SharedState>,
    ApiVersion(version): ApiVersion,
    method: MethodCall,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    uri: Uri,
    headers: HeaderMap,
    note: Option<Extension<Note>>,
    body: UnreadBody,
) -> Response {
    let note = note.map(|Extension(n)| n).unwrap_or_default();
    let mut plan = Plan::default();
    let request = Incoming {
        state: &state,
        version: &version,
        method: &method,
        uri: &uri,
        headers: &headers,
        note: &note,
    };
    let answer = request.answer(query, &mut plan, body).await;
    note.scenarios(plan.names());
    deliver(answer, Delivery::of(&plan)).await
}

/// What the gate and axum read of the request.
struct Incoming<'a> {
    state: &'a SharedState,
    version: &'a str,
    method: &'a MethodCall,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    note: &'a Note,
}

impl Incoming<'_> {
    async fn answer(
        &self,
        query: Result<Query<HashMap<String, String>>, QueryRejection>,
        plan: &mut Plan,
        body: UnreadBody,
    ) -> Result<Answer, ApiError> {
        let Query(query) = query?;
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
            "predict" => super::predict::predict(&mut call).await,
            _ => Err(ApiError::not_found(self.uri.path())),
        }?;
        // Directives in the prompt may have asked for an error.
        match call.plan.error(model.trim_start_matches("models/")) {
            Some(error) => Err(error),
            None => Ok(answer),
        }
    }
}

/// Sends the answer or the error the way the transport scenarios say: after a delay, with a
/// mid-stream error, or cut.
async fn deliver(answer: Result<Answer, ApiError>, delivery: Delivery) -> Response {
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

impl Call<'_> {
    /// The model, if it exists and supports `method` (named as Google names it in its 404).
    pub fn model(&self, method: &str, shown_as: &str) -> Result<&'static Model, ApiError> {
        catalogue::find(self.model)
            .filter(|m| m.supports(method))
            .ok_or_else(|| {
                ApiError::model_not_found(
                    self.model.trim_start_matches("models/"),
                    self.version,
                    shown_as,
                )
            })
    }

    /// The body parsed as Google's JSON parser would, into the generated type of `schema`.
    ///
    /// Under `--validation warn|off` a body the spec refuses is still served when the generated
    /// type can read it; in warn mode the journal records the refusal.
    pub fn read<T: DeserializeOwned>(&mut self, schema: &str) -> Result<(T, Value), ApiError> {
        let raw = self.body.take_json()?;
        let validation = self.state.config.validation;
        let normalized = if validation == Validation::Strict {
            SPEC.normalize(schema, raw)?
        } else {
            // Keeping a copy of the body costs memory: only the lenient modes need one.
            match SPEC.normalize(schema, raw.clone()) {
                Ok(normalized) => normalized,
                Err(error) => {
                    if validation == Validation::Warn {
                        self.note.warning(error.message);
                    }
                    raw
                }
            }
        };
        let typed = T::deserialize(&normalized).map_err(|e| {
            ApiError::invalid_argument(format!("Invalid JSON payload received. {e}"))
        })?;
        Ok((typed, normalized))
    }
}
