//! One call to a model's method as the method's handler sees it: the model it names, the body
//! read as a request of the API, the scenarios chosen so far.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::backend::Backend;
use crate::body::RequestBody;
use crate::error::ApiError;
use crate::journal::Note;
use crate::model::catalogue::{self, Model};
use crate::scenarios::plan::Plan;
use crate::state::SharedState;
use crate::validate::read_as;

/// One call to a model's method, as the method's handler sees it.
pub struct Call<'a> {
    /// The server's state.
    pub state: &'a SharedState,
    /// The API version of the path.
    pub version: &'a str,
    /// The service the call came to.
    pub backend: &'a Backend,
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

impl Call<'_> {
    /// The model, if it exists and supports `method` (named as Google names it in its 404).
    pub fn model(&self, method: &str, shown_as: &str) -> Result<&'static Model, ApiError> {
        catalogue::find_served(self.model, self.state.config.legacy_models)
            .filter(|m| m.supports(method))
            .ok_or_else(|| match self.backend {
                Backend::Gemini => ApiError::model_not_found(
                    self.model.trim_start_matches("models/"),
                    self.version,
                    shown_as,
                ),
                vertex => ApiError::publisher_model_not_found(
                    &vertex.publisher_model("google", self.model),
                ),
            })
    }

    /// The body parsed as Google's JSON parser would, into the generated type of `schema`.
    ///
    /// Under `--validation warn|off` a body the spec refuses is still served when the generated
    /// type can read it; in warn mode the journal records the refusal.
    pub fn read<T: DeserializeOwned>(&mut self, schema: &str) -> Result<(T, Value), ApiError> {
        self.read_warned(schema)
            .map(|(typed, normalized, _)| (typed, normalized))
    }

    /// [`Call::read`], and the warning it journaled (in warn mode), for a caller that
    /// remembers the read.
    pub fn read_warned<T: DeserializeOwned>(
        &mut self,
        schema: &str,
    ) -> Result<(T, Value, Option<String>), ApiError> {
        let raw = self.body.take_json()?;
        let (typed, normalized, warning) = read_as(
            self.state.config.validation,
            self.backend.dialect(),
            schema,
            raw,
        )?;
        if let Some(warning) = &warning {
            self.note.warning(warning.clone());
        }
        Ok((typed, normalized, warning))
    }
}
