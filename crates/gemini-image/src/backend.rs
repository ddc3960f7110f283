//! Which service a [`Client`](crate::Client) calls — Google AI's Gemini API or Vertex AI — and
//! what follows from it: the default endpoint and API version, the URL prefix of every call,
//! what the environment says, which calls and fields exist.
//!
//! Vertex AI serves the same `generateContent`, `streamGenerateContent` and `countTokens` with
//! the same bodies under another prefix (`{base}/{version}/projects/{p}/locations/{l}/publishers/google`,
//! express mode `{base}/{version}/publishers/google`), so the rest of the client is the same
//! code with another base URL; the Files API, batch mode and the Interactions API are the
//! Gemini API's alone.

use std::fmt;

use crate::error::Error;
use crate::types::GenerateContentRequest;

/// The Gemini API's endpoint.
pub const GEMINI_API_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Vertex AI's global endpoint (the `global` location and express mode).
pub const VERTEX_AI_BASE_URL: &str = "https://aiplatform.googleapis.com";
/// The API version Vertex AI's image models are called in, as Google's SDKs call them.
pub const VERTEX_AI_API_VERSION: &str = "v1beta1";
/// The location a Vertex AI client uses when none is named, as Google's SDKs do.
pub const DEFAULT_VERTEX_LOCATION: &str = "global";

/// The service a client calls.
///
/// ```
/// use gemini_image::{Backend, Client};
///
/// let client = Client::builder().vertex_ai("my-project", "europe-west4").build()?;
/// assert_eq!(
///     client.backend(),
///     &Backend::VertexAi { project: "my-project".into(), location: "europe-west4".into() }
/// );
/// assert_eq!(client.base_url(), "https://europe-west4-aiplatform.googleapis.com");
/// # Ok::<(), gemini_image::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// Google AI's Gemini API (`generativelanguage.googleapis.com`), with an API key.
    GeminiApi,
    /// Vertex AI in a Google Cloud project, with Google Cloud credentials.
    VertexAi {
        /// The project (its id, `my-project`).
        project: String,
        /// The location: a region (`us-central1`), a multi-region (`us`, `eu`) or `global`.
        location: String,
    },
    /// Vertex AI's express mode: an API key, no project.
    VertexAiExpress,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::GeminiApi => f.write_str("the Gemini API"),
            Backend::VertexAi { project, location } => {
                write!(f, "Vertex AI (project {project}, location {location})")
            }
            Backend::VertexAiExpress => f.write_str("Vertex AI in express mode"),
        }
    }
}

impl Backend {
    /// Whether this is one of Vertex AI's forms.
    pub fn is_vertex_ai(&self) -> bool {
        !matches!(self, Backend::GeminiApi)
    }

    /// The endpoint Google serves this backend at: Vertex AI's regional endpoints are
    /// `{location}-aiplatform.googleapis.com`, its multi-regions `aiplatform.{us|eu}.rep.googleapis.com`.
    pub(crate) fn default_base_url(&self) -> String {
        match self {
            Backend::GeminiApi => GEMINI_API_BASE_URL.into(),
            Backend::VertexAiExpress => VERTEX_AI_BASE_URL.into(),
            Backend::VertexAi { location, .. } => match location.as_str() {
                "global" => VERTEX_AI_BASE_URL.into(),
                "us" | "eu" => format!("https://aiplatform.{location}.rep.googleapis.com"),
                region => format!("https://{region}-aiplatform.googleapis.com"),
            },
        }
    }

    pub(crate) fn default_api_version(&self) -> &'static str {
        match self {
            Backend::GeminiApi => crate::client::DEFAULT_API_VERSION,
            _ => VERTEX_AI_API_VERSION,
        }
    }

    /// What comes between `{base}/{version}` and `/models/{model}:{method}`.
    pub(crate) fn path_prefix(&self) -> String {
        match self {
            Backend::GeminiApi => String::new(),
            Backend::VertexAi { project, location } => {
                format!("/projects/{project}/locations/{location}/publishers/google")
            }
            Backend::VertexAiExpress => "/publishers/google".into(),
        }
    }

    /// `Err` with why, when `what` (the Files API, batch mode, …) is not served here.
    pub(crate) fn gemini_api_only(&self, what: &str) -> Result<(), Error> {
        if self.is_vertex_ai() {
            return Err(Error::Config(format!(
                "{what} is the Gemini API's, and this client calls {self}: Vertex AI has no such \
                 service (build a client with an API key for it)"
            )));
        }
        Ok(())
    }

    /// Refuses, in the Gemini API, the fields that only Vertex AI knows — before sending, as
    /// Google's SDKs do (Google's parser would answer 400 "Unknown name"). The spec lists
    /// them in `ImageConfig`'s `x-vertex-only`; a test holds the two lists together.
    pub(crate) fn check_request(&self, request: &GenerateContentRequest) -> Result<(), Error> {
        if self.is_vertex_ai() {
            return Ok(());
        }
        let Some(image) = request
            .generation_config
            .as_ref()
            .and_then(|config| config.image_config.as_ref())
        else {
            return Ok(());
        };
        let present = [
            image.person_generation.is_some(),
            image.prominent_people.is_some(),
            image.image_output_options.is_some(),
        ];
        match VERTEX_ONLY_IMAGE_FIELDS
            .iter()
            .zip(present)
            .find(|(_, set)| *set)
        {
            Some((field, _)) => Err(Error::Config(format!(
                "imageConfig.{field} is only supported on Vertex AI, not on the Gemini API"
            ))),
            None => Ok(()),
        }
    }
}

/// The fields [`Backend::check_request`] refuses in the Gemini API, as the spec names them.
const VERTEX_ONLY_IMAGE_FIELDS: [&str; 3] =
    ["personGeneration", "prominentPeople", "imageOutputOptions"];

/// What the environment says about the backend, read as Google's SDKs read it — what
/// [`Client::from_env`](crate::Client::from_env) builds from, for a program that adds its own
/// options on top (a command line's `--project`).
///
/// ```
/// let env = gemini_image::Environment::read();
/// if env.vertex_ai {
///     println!("Vertex AI in {:?}", env.project);
/// }
/// ```
#[derive(Default)]
#[non_exhaustive]
pub struct Environment {
    /// `GOOGLE_GENAI_USE_ENTERPRISE` (which wins) or `GOOGLE_GENAI_USE_VERTEXAI` is `true`/`1`.
    pub vertex_ai: bool,
    /// `GOOGLE_API_KEY`, else `GEMINI_API_KEY`.
    pub api_key: Option<String>,
    /// `GOOGLE_CLOUD_PROJECT`.
    pub project: Option<String>,
    /// `GOOGLE_CLOUD_LOCATION`.
    pub location: Option<String>,
    /// `GOOGLE_GEMINI_BASE_URL`.
    pub gemini_base_url: Option<String>,
    /// `GOOGLE_VERTEX_BASE_URL`.
    pub vertex_base_url: Option<String>,
    /// `GOOGLE_GENAI_API_VERSION`, with `beta` read as the backend's beta version.
    pub api_version: Option<String>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("vertex_ai", &self.vertex_ai)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("project", &self.project)
            .field("location", &self.location)
            .field("gemini_base_url", &self.gemini_base_url)
            .field("vertex_base_url", &self.vertex_base_url)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl Environment {
    /// The process's environment.
    pub fn read() -> Self {
        Self::read_from(|name| std::env::var(name).ok())
    }

    /// The base URL the environment names for the Gemini API or Vertex AI.
    pub fn base_url(&self, vertex_ai: bool) -> Option<&str> {
        if vertex_ai {
            self.vertex_base_url.as_deref()
        } else {
            self.gemini_base_url.as_deref()
        }
    }

    /// From `var` (the process's environment, or a test's).
    ///
    /// * Vertex AI when `GOOGLE_GENAI_USE_ENTERPRISE` (which wins) or `GOOGLE_GENAI_USE_VERTEXAI`
    ///   is `true` or `1`, in any case (google-genai's reading; @google/genai takes `true` only).
    /// * The key from `GOOGLE_API_KEY`, else `GEMINI_API_KEY` — both SDKs' order.
    /// * In Vertex AI, a project (`GOOGLE_CLOUD_PROJECT`) wins over a key: the key is then
    ///   not used; the location is `GOOGLE_CLOUD_LOCATION`, else `global`.
    /// * The base URL from `GOOGLE_VERTEX_BASE_URL` for Vertex AI, `GOOGLE_GEMINI_BASE_URL`
    ///   for the Gemini API (@google/genai's reading; google-genai reads the Gemini one when
    ///   only the environment chose Vertex AI, which is surely not meant).
    /// * `GOOGLE_GENAI_API_VERSION` overrides the version (`beta` is `v1beta`, `v1beta1` on
    ///   Vertex AI).
    pub(crate) fn read_from(var: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let flag = |name: &str| var(name).map(|v| v.eq_ignore_ascii_case("true") || v == "1");
        let vertex_ai = flag("GOOGLE_GENAI_USE_ENTERPRISE")
            .or_else(|| flag("GOOGLE_GENAI_USE_VERTEXAI"))
            .unwrap_or(false);
        let api_version =
            var("GOOGLE_GENAI_API_VERSION").map(|version| match (version.as_str(), vertex_ai) {
                ("beta", true) => VERTEX_AI_API_VERSION.into(),
                ("beta", false) => "v1beta".into(),
                _ => version,
            });
        Self {
            vertex_ai,
            api_key: var("GOOGLE_API_KEY").or_else(|| var("GEMINI_API_KEY")),
            project: var("GOOGLE_CLOUD_PROJECT"),
            location: var("GOOGLE_CLOUD_LOCATION"),
            gemini_base_url: var("GOOGLE_GEMINI_BASE_URL"),
            vertex_base_url: var("GOOGLE_VERTEX_BASE_URL"),
            api_version,
        }
    }

    /// The backend the environment names, and the key it uses (none in a project).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when it names Vertex AI with neither a project nor a key.
    pub fn backend(&self) -> Result<(Backend, Option<&str>), Error> {
        if !self.vertex_ai {
            return Ok((Backend::GeminiApi, self.api_key.as_deref()));
        }
        match (&self.project, &self.api_key) {
            (Some(project), _) => Ok((
                Backend::VertexAi {
                    project: project.clone(),
                    location: self
                        .location
                        .clone()
                        .unwrap_or_else(|| DEFAULT_VERTEX_LOCATION.into()),
                },
                None,
            )),
            (None, Some(key)) => Ok((Backend::VertexAiExpress, Some(key))),
            (None, None) => Err(Error::Config(
                "Vertex AI needs a project (GOOGLE_CLOUD_PROJECT, and GOOGLE_CLOUD_LOCATION) or, \
                 for express mode, an API key (GOOGLE_API_KEY)"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Environment::read_from(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_gemini_api_is_the_default_and_google_api_key_wins() {
        let env = env(&[("GEMINI_API_KEY", "g"), ("GOOGLE_API_KEY", "o")]);
        assert_eq!(env.backend().unwrap(), (Backend::GeminiApi, Some("o")));
    }

    #[test]
    fn vertex_ai_takes_the_project_over_a_key_and_defaults_to_global() {
        let env = env(&[
            ("GOOGLE_GENAI_USE_VERTEXAI", "True"),
            ("GOOGLE_CLOUD_PROJECT", "p"),
            ("GEMINI_API_KEY", "k"),
        ]);
        let vertex = Backend::VertexAi {
            project: "p".into(),
            location: "global".into(),
        };
        assert_eq!(env.backend().unwrap(), (vertex, None));
    }

    #[test]
    fn vertex_ai_without_a_project_is_express_mode_with_the_key() {
        let env = env(&[("GOOGLE_GENAI_USE_VERTEXAI", "1"), ("GOOGLE_API_KEY", "k")]);
        assert_eq!(
            env.backend().unwrap(),
            (Backend::VertexAiExpress, Some("k"))
        );
        let nothing = super::Environment::read_from(|name| {
            (name == "GOOGLE_GENAI_USE_VERTEXAI").then(|| "true".to_string())
        });
        let Err(Error::Config(message)) = nothing.backend() else {
            panic!("Vertex AI with neither a project nor a key must be refused");
        };
        assert!(message.contains("GOOGLE_CLOUD_PROJECT"), "{message}");
    }

    #[test]
    fn enterprise_wins_over_vertexai_and_each_backend_reads_its_base_url() {
        let env = env(&[
            ("GOOGLE_GENAI_USE_ENTERPRISE", "false"),
            ("GOOGLE_GENAI_USE_VERTEXAI", "true"),
            ("GOOGLE_VERTEX_BASE_URL", "http://vertex"),
            ("GOOGLE_GEMINI_BASE_URL", "http://gemini"),
            ("GOOGLE_GENAI_API_VERSION", "beta"),
        ]);
        assert!(!env.vertex_ai);
        assert_eq!(env.base_url(env.vertex_ai), Some("http://gemini"));
        assert_eq!(env.api_version.as_deref(), Some("v1beta"));
        let vertex = super::Environment::read_from(|name| match name {
            "GOOGLE_GENAI_USE_VERTEXAI" => Some("TRUE".into()),
            "GOOGLE_VERTEX_BASE_URL" => Some("http://vertex".into()),
            "GOOGLE_GEMINI_BASE_URL" => Some("http://gemini".into()),
            "GOOGLE_GENAI_API_VERSION" => Some("beta".into()),
            _ => None,
        });
        assert_eq!(vertex.base_url(vertex.vertex_ai), Some("http://vertex"));
        assert_eq!(vertex.api_version.as_deref(), Some("v1beta1"));
    }

    #[test]
    fn each_location_has_its_endpoint() {
        let at = |location: &str| {
            Backend::VertexAi {
                project: "p".into(),
                location: location.into(),
            }
            .default_base_url()
        };
        assert_eq!(at("global"), "https://aiplatform.googleapis.com");
        assert_eq!(at("us"), "https://aiplatform.us.rep.googleapis.com");
        assert_eq!(at("eu"), "https://aiplatform.eu.rep.googleapis.com");
        assert_eq!(
            at("us-central1"),
            "https://us-central1-aiplatform.googleapis.com"
        );
        assert_eq!(
            Backend::VertexAiExpress.default_base_url(),
            "https://aiplatform.googleapis.com"
        );
    }

    #[test]
    fn the_vertex_only_fields_are_the_specs() {
        let spec: serde_json::Value = serde_norway::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../openapi/gemini.yaml"
        )))
        .unwrap();
        let listed: Vec<&str> = spec["components"]["schemas"]["ImageConfig"]["x-vertex-only"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(listed, VERTEX_ONLY_IMAGE_FIELDS);
    }
}
