//! Which of Google's two services a request came to: the Gemini API, Vertex AI with a project
//! and location, or Vertex AI's express mode (an API key, no project). The gate reads it from the
//! route's path parameters once; the journal records it, the validator and the answer's shape
//! follow it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Which fields a request may use (`validate.rs` reads a body in one). Vertex AI reads every property of a schema; the Gemini API
/// does not have those the schema lists in `x-vertex-only` and refuses them as unknown fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// The Gemini API's fields (every route but Vertex AI's).
    #[default]
    GeminiApi,
    /// Vertex AI's: the Gemini API's and the `x-vertex-only` ones.
    VertexAi,
}

/// The service a request was addressed to, read from its route; each journal entry names it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use gemini_image_mock::{Backend, MockServer};
///
/// let server = MockServer::start().await?;
/// let url = format!(
///     "{}/v1beta1/projects/my-proj/locations/global/publishers/google/models/gemini-3.1-flash-image:countTokens",
///     server.uri()
/// );
/// let response = reqwest::Client::new()
///     .post(url)
///     .bearer_auth("any-token")
///     .body(r#"{"contents": [{"parts": [{"text": "hello"}]}]}"#)
///     .send()
///     .await?;
/// assert_eq!(response.status(), 200);
/// let entry = &server.received_requests()[0];
/// let vertex = Backend::Vertex { project: "my-proj".into(), location: "global".into() };
/// assert_eq!(entry.backend, Some(vertex));
/// assert_eq!(entry.headers["authorization"], "<redacted>");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "api", rename_all = "kebab-case")]
pub enum Backend {
    /// The Gemini API: `/{version}/models/…`, the API key.
    Gemini,
    /// Vertex AI: `/{version}/projects/{project}/locations/{location}/publishers/…`, an OAuth
    /// bearer token.
    Vertex {
        /// The project of the path.
        project: String,
        /// The location of the path (`us-central1`, `global`).
        location: String,
    },
    /// Vertex AI's express mode: `/{version}/publishers/…` with an API key (also where both
    /// SDKs send Vertex's models.get, with the bearer token in project mode).
    VertexExpress,
}

/// The API versions the Gemini API routes serve (Python google-genai 3.x calls `/v1/`).
const GEMINI_VERSIONS: &[&str] = &["v1", "v1beta", "v1alpha"];

/// The API versions Vertex AI serves (both SDKs default to `v1beta1`).
const VERTEX_VERSIONS: &[&str] = &["v1", "v1beta1"];

impl Backend {
    /// The service of a route with these path parameters: a `{project}` is Vertex AI's, a
    /// `{publisher}` without one its express mode, anything else the Gemini API's.
    pub(crate) fn of_route(params: &HashMap<String, String>) -> Self {
        match (params.get("project"), params.get("location")) {
            (Some(project), Some(location)) => Backend::Vertex {
                project: project.clone(),
                location: location.clone(),
            },
            _ if params.contains_key("publisher") => Backend::VertexExpress,
            _ => Backend::Gemini,
        }
    }

    /// Whether the request came to Vertex AI (with a project or in express mode).
    pub(crate) fn is_vertex(&self) -> bool {
        !matches!(self, Backend::Gemini)
    }

    /// Whether the service maps `version`; any other is a 404.
    pub(crate) fn serves_version(&self, version: &str) -> bool {
        let known = if self.is_vertex() {
            VERTEX_VERSIONS
        } else {
            GEMINI_VERSIONS
        };
        known.contains(&version)
    }

    /// The request fields the service reads.
    pub(crate) fn dialect(&self) -> Dialect {
        if self.is_vertex() {
            Dialect::VertexAi
        } else {
            Dialect::GeminiApi
        }
    }

    /// A model's resource name as Vertex AI quotes it in its 404:
    /// `projects/{p}/locations/{l}/publishers/{publisher}/models/{model}`, without the project
    /// part in express mode.
    pub(crate) fn publisher_model(&self, publisher: &str, model: &str) -> String {
        let model = model.trim_start_matches("models/");
        match self {
            Backend::Vertex { project, location } => {
                format!(
                    "projects/{project}/locations/{location}/publishers/{publisher}/models/{model}"
                )
            }
            _ => format!("publishers/{publisher}/models/{model}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_route_names_the_service_and_its_versions() {
        let vertex = Backend::of_route(&params(&[
            ("version", "v1beta1"),
            ("project", "p"),
            ("location", "l"),
            ("publisher", "google"),
        ]));
        assert_eq!(
            vertex,
            Backend::Vertex {
                project: "p".into(),
                location: "l".into()
            }
        );
        assert!(vertex.serves_version("v1beta1") && !vertex.serves_version("v1beta"));
        let express = Backend::of_route(&params(&[("publisher", "google")]));
        assert_eq!(express, Backend::VertexExpress);
        let gemini = Backend::of_route(&params(&[("version", "v1beta")]));
        assert!(gemini.serves_version("v1alpha") && !gemini.serves_version("v1beta1"));
        assert_eq!(
            vertex.publisher_model("google", "models/m"),
            "projects/p/locations/l/publishers/google/models/m"
        );
        assert_eq!(
            express.publisher_model("google", "m"),
            "publishers/google/models/m"
        );
    }
}
