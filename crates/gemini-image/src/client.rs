//! [`Client`]: the key, the base URL, the HTTP client and the retry policy, and the calls.
//!
//! Two planes, one [`Transport`] (headers, deadline, retries):
//!
//! * **Control plane — the generated client.** Every operation whose body is small (the model
//!   catalogue, `countTokens`, and every operation the spec gains) is sent by the
//!   progenitor-generated client, [`RawClient`], which [`Client::raw`] hands out configured:
//!   the base URL with the API version, the transport as its inner value, progenitor's
//!   `ClientHooks` for the headers and the retries. The typed methods here (`get_model`,
//!   `list_models`, `count_tokens`) are that client plus paging and the `models/` prefix.
//! * **Data plane — hand-written.** The calls whose bodies are megabytes of base64
//!   (`generateContent`, `streamGenerateContent`, `predict`) write and read their bodies with
//!   the [`codec`](crate::codec), which decodes images once, straight from the body, and read
//!   `streamGenerateContent` as SSE as it arrives — neither of which a generated client does.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::TokenSource;
use crate::backend::{Backend, Environment};
use crate::error::Error;
use crate::generated::Client as RawClient;
use crate::lifecycle;
use crate::request::RequestBuilder;
use crate::retry::{RetryEvent, RetryPolicy};
use crate::stream::ResponseStream;
use crate::transport::{Answer, RetryHook, Transport};
use crate::types::{
    CountTokensRequest, CountTokensResponse, GenerateContentRequest, GenerateContentResponse,
    ImagenInstance, ImagenParameters, ListPublisherModelsResponse, Model, PredictRequest,
    PredictResponse, PublisherModel,
};

/// Google's endpoint of the Gemini API.
pub const DEFAULT_BASE_URL: &str = crate::backend::GEMINI_API_BASE_URL;
/// The Gemini API's version the image models live in (Vertex AI's is
/// [`VERTEX_AI_API_VERSION`](crate::VERTEX_AI_API_VERSION)).
pub const DEFAULT_API_VERSION: &str = "v1beta";
const USER_AGENT: &str = concat!("gemini-image-rust/", env!("CARGO_PKG_VERSION"));

/// How long connecting may take by default: a TCP and TLS handshake with Google takes well
/// under a second; 10 s allows a slow network without leaving a dead address waiting long.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one attempt may take by default — a unary answer whole, a stream until its head.
/// Ten minutes: a 4K image takes over a minute on Google's side, several with a Pro model
/// thinking first under load, and giving up on an answer Google is still making wastes the call
/// and its quota; ten minutes leaves that room many times over and still ends the wait on a
/// server that accepted and never answered.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10 * 60);
/// How long an answer may go without a byte by default, once it began: between a unary body's
/// pieces and between a stream's events (before its first too). Five minutes: a stream's
/// longest legitimate silence is the generation of an image between two events — a whole
/// unary call's worth, over a minute at 4K — and the stream's framing has no keep-alive event
/// to fill it; a unary body, once its head came, flows at network speed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The most a 2xx answer's body may hold by default: 256 MiB. An answer with several 4K images
/// is some 100 MB of base64; past this, what the server sends is no answer, and reading on
/// would only fill memory.
pub const DEFAULT_MAX_BODY: usize = 256 * 1024 * 1024;

/// A Gemini API client. Cheap to clone: clones share one connection pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, ResponseExt, models};
///
/// let client = Client::builder().api_key("my-key").base_url(mock.uri()).build()?;
/// let response = client.generate_image(models::GEMINI_3_1_FLASH_IMAGE, "a red bicycle").await?;
/// let image = &response.images()[0];
/// assert_eq!(image.mime_type, "image/jpeg");
/// assert!(!format!("{client:?}").contains("my-key"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    /// The generated client, configured: base URL with the version (and Vertex AI's prefix),
    /// HTTP client, transport.
    pub(crate) raw: RawClient,
    /// The service called: the Gemini API or Vertex AI.
    pub(crate) backend: Arc<Backend>,
    /// The base URL without the version (`https://generativelanguage.googleapis.com`): uploads
    /// go to `{base}/upload/{version}/files`, outside the versioned URL.
    pub(crate) base_url: Arc<str>,
    /// The API version (`v1beta`).
    pub(crate) api_version: Arc<str>,
    /// Whether `edit_image` and a `Chat` upload the images that would push a request past
    /// the inline limit (`inline_limit.rs`), or refuse such a request.
    pub(crate) auto_upload: bool,
    /// The largest request sent with its images inline; `None` is Google's (`INLINE_LIMIT`).
    pub(crate) inline_limit: Option<u64>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.backend)
            .field("base_url", &self.raw.baseurl)
            .field("credentials", &"<redacted>")
            .field("retry", &self.raw.inner.retry)
            .field("deadline", &self.raw.inner.deadline)
            .field("idle_timeout", &self.raw.inner.idle_timeout)
            .field("auto_upload", &self.auto_upload)
            .field("inline_limit", &self.inline_limit)
            .finish()
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder {
    api_key: Option<String>,
    backend: Backend,
    credentials: Option<Arc<dyn TokenSource>>,
    base_url: Option<String>,
    api_version: Option<String>,
    http: Option<reqwest::Client>,
    connect_timeout: Duration,
    deadline: Duration,
    idle_timeout: Duration,
    max_body: usize,
    headers: Vec<(String, String)>,
    retry: RetryPolicy,
    on_retry: Option<RetryHook>,
    /// `None`: on in the Gemini API, off in Vertex AI (which has no Files API).
    auto_upload: Option<bool>,
    inline_limit: Option<u64>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            backend: Backend::GeminiApi,
            credentials: None,
            base_url: None,
            api_version: None,
            http: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            on_retry: None,
            // On in the Gemini API: an edit or a chat with large images works instead of failing
            // at Google.
            auto_upload: None,
            inline_limit: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("backend", &self.backend)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key, sent in `x-goog-api-key` only.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Vertex AI in a Google Cloud project and location (a region such as `us-central1`, a
    /// multi-region `us` or `eu`, or `global`), instead of the Gemini API: the same calls with
    /// Google Cloud credentials — Application Default Credentials unless
    /// [`credentials`](Self::credentials) names others. The endpoint is the location's and
    /// the API version `v1beta1`, as in Google's SDKs. The Files API, batch mode and the
    /// Interactions API are the Gemini API's: their calls fail with [`Error::Config`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use gemini_image::{Client, Error, auth::AccessToken, models};
    ///
    /// let client = Client::builder()
    ///     .vertex_ai("my-project", "us-central1")
    ///     .credentials(AccessToken::new("ya29.token"))
    ///     .base_url(mock.uri())
    ///     .build()?;
    /// client.generate_image(models::GEMINI_3_1_FLASH_IMAGE, "a red bicycle").await?;
    /// let file = client.files().get("files/abc123").await;
    /// assert!(matches!(file, Err(Error::Config(_))));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn vertex_ai(mut self, project: impl Into<String>, location: impl Into<String>) -> Self {
        self.backend = Backend::VertexAi {
            project: project.into(),
            location: location.into(),
        };
        self
    }

    /// Vertex AI's express mode: an [API key](Self::api_key) of Vertex AI, no project.
    #[must_use]
    pub fn vertex_ai_express(mut self) -> Self {
        self.backend = Backend::VertexAiExpress;
        self
    }

    /// Where a Vertex AI client's credentials come from: an
    /// [`AccessToken`](crate::auth::AccessToken), credentials built with `google-cloud-auth`,
    /// or your own [`TokenSource`]. Without it, Application Default Credentials (feature
    /// `adc`).
    #[must_use]
    pub fn credentials(mut self, source: impl TokenSource) -> Self {
        self.credentials = Some(Arc::new(source));
        self
    }

    /// Another endpoint, such as a `gemini-image-mock` (`http://127.0.0.1:8080`).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// `v1beta` (the default) or `v1`; on Vertex AI `v1beta1` (the default) or `v1`.
    #[must_use]
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Your own `reqwest::Client` (proxies, TLS roots, pools). Its own timeouts apply too, and
    /// its connect timeout replaces [`connect_timeout`](Self::connect_timeout); the client's
    /// [`deadline`](Self::deadline) and [`idle_timeout`](Self::idle_timeout) still hold.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long connecting may take ([`DEFAULT_CONNECT_TIMEOUT`]: 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take ([`DEFAULT_DEADLINE`]: 10 minutes): a unary answer
    /// whole, a stream until its head arrives — a stream that has begun is watched by the
    /// [`idle_timeout`](Self::idle_timeout) instead, so that a long generation is never cut.
    /// An attempt past it fails with [`Error::Timeout`], which the retry policy may try again.
    /// [`Client::with_deadline`] changes it for a call or a few.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use std::time::Duration;
    /// use gemini_image::{Client, models};
    ///
    /// let client = Client::builder()
    ///     .api_key("k")
    ///     .base_url(mock.uri())
    ///     .deadline(Duration::from_secs(120))
    ///     .idle_timeout(Duration::from_secs(60))
    ///     .build()?;
    /// client.generate_image(models::GEMINI_3_1_FLASH_IMAGE, "a red bicycle").await?;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long an answer that began may go without a byte ([`DEFAULT_IDLE_TIMEOUT`]: 5
    /// minutes): between the pieces of a unary body or a download, and between a stream's
    /// events. Past it the answer fails with [`Error::IdleTimeout`] — retried like a cut while
    /// nothing was handed out, an item of the stream after that. It never ends a stream that
    /// keeps sending, however long it runs. [`Client::with_idle_timeout`] changes it for a call
    /// or a few.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The most bytes a 2xx answer's body — and each event of a stream, which may run for
    /// ever — may hold ([`DEFAULT_MAX_BODY`]: 256 MiB). A body that goes past it fails with
    /// [`Error::Decode`] as soon as it does, and the connection is dropped: a server that sends
    /// an endless body costs this much memory at most, never more. A lower bound suits a
    /// caller that knows its answers are small.
    ///
    /// ```
    /// let client = gemini_image::Client::builder()
    ///     .api_key("k")
    ///     .max_body(64 * 1024 * 1024)
    ///     .build()?;
    /// # Ok::<(), gemini_image::Error>(())
    /// ```
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// A header sent with every request.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Called before each retry waits: to show "rate limited, retrying in 47 s", to count
    /// retries. (Each retry is also logged with `tracing`.)
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    ///
    /// let retries = Arc::new(AtomicU32::new(0));
    /// let counted = retries.clone();
    /// let client = gemini_image::Client::builder()
    ///     .api_key("k")
    ///     .on_retry(move |event| {
    ///         counted.fetch_add(1, Ordering::Relaxed);
    ///         eprintln!("{}; retrying in {:?}", event.error, event.wait);
    ///     })
    ///     .build()?;
    /// # Ok::<(), gemini_image::Error>(())
    /// ```
    #[must_use]
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// The retry policy (on by default; [`RetryPolicy::none`] turns it off).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether [`Client::edit_image`] and a [`Chat`](crate::Chat) turn whose request would pass
    /// the inline limit (Google refuses a request over 20 MB, base64 images included) first
    /// upload its largest inline images through the Files API and name them by URI — on by
    /// default in the Gemini API (Vertex AI has no Files API). Off, such a request is refused before anything is sent, with
    /// [`Error::RequestTooLarge`]. [`Client::with_auto_upload`] changes it for a call or a few.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// # let mut png = std::io::Cursor::new(Vec::new());
    /// # let mut seed = 7u32; // noise, which PNG cannot make smaller than 1 000 bytes
    /// # image::RgbImage::from_fn(32, 32, |_, _| {
    /// #     seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
    /// #     image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    /// # })
    /// # .write_to(&mut png, image::ImageFormat::Png)?;
    /// # let photo = png.into_inner();
    /// use gemini_image::{Client, Error, models};
    ///
    /// // A limit of 1 000 bytes stands in for Google's 20 MB.
    /// let client = Client::builder()
    ///     .api_key("k")
    ///     .base_url(mock.uri())
    ///     .inline_limit(1_000)
    ///     .auto_upload(false)
    ///     .build()?;
    /// let refused = client.edit_image(models::GEMINI_3_1_FLASH_IMAGE, photo, "make it blue").await;
    /// assert!(matches!(refused, Err(Error::RequestTooLarge { .. })));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn auto_upload(mut self, upload: bool) -> Self {
        self.auto_upload = Some(upload);
        self
    }

    /// The largest request body, in bytes, that [`Client::edit_image`] and a
    /// [`Chat`](crate::Chat) send with their images inline (default [`INLINE_LIMIT`](crate::INLINE_LIMIT):
    /// Google's 20 MB less a margin). Past it, images are uploaded (see
    /// [`auto_upload`](Self::auto_upload)). A lower limit suits a proxy that accepts less.
    #[must_use]
    pub fn inline_limit(mut self, bytes: u64) -> Self {
        self.inline_limit = Some(bytes);
        self
    }

    /// Builds the client; fails without a key (in the Gemini API and Vertex AI's express
    /// mode) or a project (in Vertex AI), or with a header that cannot be sent.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] without a key or project, with a key in a Vertex AI project (which
    /// takes credentials), with a key or header that a header cannot carry, or with a base URL
    /// that is not http(s); [`Error::Transport`] when the HTTP client cannot be built (its TLS
    /// roots).
    pub fn build(self) -> Result<Client, Error> {
        let backend = self.backend;
        let mut headers = HeaderMap::new();
        let tokens = match &backend {
            Backend::VertexAi { project, .. } => {
                if project.is_empty() {
                    return Err(Error::Config("Vertex AI needs a project".into()));
                }
                if self.api_key.is_some() {
                    return Err(Error::Config(
                        "a Vertex AI project takes credentials, not an API key: for an API key, \
                         use Vertex AI's express mode (vertex_ai_express)"
                            .into(),
                    ));
                }
                Some(self.credentials.map_or_else(default_credentials, Ok)?)
            }
            Backend::GeminiApi | Backend::VertexAiExpress => {
                let key = self.api_key.filter(|k| !k.is_empty()).ok_or_else(|| {
                    Error::Config("no API key: set GEMINI_API_KEY or call api_key()".into())
                })?;
                let mut key = HeaderValue::from_str(&key).map_err(|_| {
                    Error::Config("the API key contains characters a header cannot carry".into())
                })?;
                key.set_sensitive(true);
                headers.insert("x-goog-api-key", key);
                None
            }
        };
        headers.insert("x-goog-api-client", HeaderValue::from_static(USER_AGENT));
        for (name, value) in self.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| Error::Config(format!("bad header name {name:?}")))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| Error::Config(format!("bad value for header {name}")))?;
            headers.insert(name, value);
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(Error::Transport)?,
        };
        let base_url = self.base_url.unwrap_or_else(|| backend.default_base_url());
        // Said here, plainly, rather than as reqwest's "builder error" at the first call.
        let is_http = reqwest::Url::parse(&base_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        if !is_http {
            return Err(Error::Config(format!(
                "the base URL {base_url:?} is not an http:// or https:// URL"
            )));
        }
        let base_url = base_url.trim_end_matches('/');
        let version = self
            .api_version
            .as_deref()
            .unwrap_or(backend.default_api_version())
            .trim_matches('/');
        let transport = Transport::new(
            headers,
            tokens,
            self.on_retry,
            self.retry,
            self.deadline,
            self.idle_timeout,
            self.max_body,
        );
        Ok(Client {
            raw: RawClient {
                baseurl: format!("{base_url}/{version}{}", backend.path_prefix()),
                client: http,
                inner: transport,
            },
            auto_upload: self.auto_upload.unwrap_or(!backend.is_vertex_ai()),
            backend: Arc::new(backend),
            base_url: base_url.into(),
            api_version: version.into(),
            inline_limit: self.inline_limit,
        })
    }
}

/// A Vertex AI project's credentials when none were named: Application Default Credentials.
#[cfg(feature = "adc")]
fn default_credentials() -> Result<Arc<dyn TokenSource>, Error> {
    Ok(Arc::new(crate::auth::ApplicationDefault::new()))
}

#[cfg(not(feature = "adc"))]
fn default_credentials() -> Result<Arc<dyn TokenSource>, Error> {
    Err(Error::Config(
        "Vertex AI needs credentials: name them with credentials(), or build with the `adc` \
         feature for Application Default Credentials"
            .into(),
    ))
}

/// `gemini-x` and `models/gemini-x` name the same model; the path takes it without the prefix
/// (and never percent-encodes the slash).
pub fn model_path(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

impl Client {
    /// A builder: key, base URL, API version, HTTP client, timeouts, headers, retries,
    /// automatic uploads of images past the inline limit.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client as the environment describes it, read as Google's SDKs read it:
    ///
    /// * the Gemini API with the key from `GOOGLE_API_KEY`, else `GEMINI_API_KEY`, and the
    ///   base URL from `GOOGLE_GEMINI_BASE_URL` when set;
    /// * Vertex AI when `GOOGLE_GENAI_USE_VERTEXAI` (or `GOOGLE_GENAI_USE_ENTERPRISE`) is
    ///   `true`: in the project `GOOGLE_CLOUD_PROJECT` at `GOOGLE_CLOUD_LOCATION` (else
    ///   `global`) with Application Default Credentials, or, without a project, in express
    ///   mode with the key; the base URL from `GOOGLE_VERTEX_BASE_URL` when set;
    /// * `GOOGLE_GENAI_API_VERSION` overrides the API version.
    ///
    /// # Errors
    ///
    /// What [`ClientBuilder::build`] fails with: [`Error::Config`] when no variable holds a
    /// key (or, for Vertex AI, a project).
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from(&Environment::read())?.build()
    }

    /// The builder [`Client::from_env`] builds, to change before building.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when Vertex AI is asked for with neither a project nor a key.
    pub fn builder_from_env() -> Result<ClientBuilder, Error> {
        Self::builder_from(&Environment::read())
    }

    fn builder_from(env: &Environment) -> Result<ClientBuilder, Error> {
        let (backend, key) = env.backend()?;
        let mut builder = Self::builder();
        if let Some(key) = key {
            builder = builder.api_key(key);
        }
        if let Some(url) = env.base_url(backend.is_vertex_ai()) {
            builder = builder.base_url(url);
        }
        if let Some(version) = &env.api_version {
            builder = builder.api_version(version);
        }
        builder.backend = backend;
        Ok(builder)
    }

    /// The service this client calls.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The endpoint, without the API version (`https://generativelanguage.googleapis.com`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// This client for a call of the Gemini API's alone (the Files API, batch mode, the
    /// Interactions API): on Vertex AI, its every request is refused before it is sent.
    pub(crate) fn for_gemini_api_only(&self, what: &str) -> Client {
        let mut client = self.clone();
        if let Err(Error::Config(why)) = self.backend.gemini_api_only(what) {
            client.raw.inner.refusal = Some(why.into());
        }
        client
    }

    /// The same client with another retry policy, for one call or a few:
    /// `client.with_retry(RetryPolicy::none()).generate_image(..)`.
    #[must_use]
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        let mut client = self.clone();
        client.raw.inner.retry = policy;
        client
    }

    /// The same client with another per-attempt [deadline](ClientBuilder::deadline), for one
    /// call or a few: `client.with_deadline(Duration::from_secs(30)).generate_image(..)`.
    #[must_use]
    pub fn with_deadline(&self, deadline: Duration) -> Client {
        let mut client = self.clone();
        client.raw.inner.deadline = deadline;
        client
    }

    /// The same client with another [idle timeout](ClientBuilder::idle_timeout), for one call
    /// or a few.
    #[must_use]
    pub fn with_idle_timeout(&self, timeout: Duration) -> Client {
        let mut client = self.clone();
        client.raw.inner.idle_timeout = timeout;
        client
    }

    /// The same client with [automatic uploads](ClientBuilder::auto_upload) on or off, for one
    /// call or a few: `client.with_auto_upload(false).edit_image(..)`.
    #[must_use]
    pub fn with_auto_upload(&self, upload: bool) -> Client {
        let mut client = self.clone();
        client.auto_upload = upload;
        client
    }

    /// The generated client for every operation of the spec, configured as this client is:
    /// base URL and API version, the key in `x-goog-api-key` only, the retry policy, the
    /// deadline. An operation added to the spec (`cargo xtask regen`) can be called here at
    /// once; its error converts into [`Error`] with `?`, exactly as the same failure of a
    /// hand-written method.
    ///
    /// A model id goes without its `models/` prefix (the generated client percent-encodes a
    /// `/`); [`model_path`] strips it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), gemini_image::Error> {
    /// # let mock = gemini_image_mock::MockServer::start().await.unwrap();
    /// let client = gemini_image::Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let model = client.raw().get_model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE).await?.into_inner();
    /// assert_eq!(model.name.as_deref(), Some("models/gemini-3.1-flash-image"));
    ///
    /// let missing = client.raw().get_model("gemini-0-nope").await.map_err(gemini_image::Error::from);
    /// assert_eq!(missing.unwrap_err().status(), Some(404));
    /// # Ok(())
    /// # }
    /// ```
    pub fn raw(&self) -> &RawClient {
        &self.raw
    }

    /// `{base}/{version}/models/{model}:{method}`.
    fn url(&self, model: &str, method: &str) -> String {
        format!("{}/models/{}:{method}", self.raw.baseurl, model_path(model))
    }

    /// Sends one data-plane request and reads its 2xx answer with `read`, retrying as the
    /// policy says — a failure while reading too, since nothing of it was handed out.
    pub(crate) async fn send<T, F, Fut>(
        &self,
        url: &str,
        body: Bytes,
        streaming: bool,
        read: F,
    ) -> Result<T, Error>
    where
        F: FnMut(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let request = self
            .raw
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .build()
            .map_err(Error::Transport)?;
        self.execute(request, streaming, read).await
    }

    /// Sends `request` with the client's headers and reads its 2xx answer with `read`, retrying
    /// as the policy says.
    async fn execute<T, F, Fut>(
        &self,
        mut request: reqwest::Request,
        streaming: bool,
        read: F,
    ) -> Result<T, Error>
    where
        F: FnMut(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let transport = &self.raw.inner;
        transport.prepare(&mut request);
        match transport
            .execute_reading(&self.raw.client, request, streaming, read)
            .await?
        {
            Answer::Success(answer) => Ok(answer),
            Answer::Refused(refusal) => Err(Error::Api(refusal.error)),
        }
    }

    /// `POST {models}/{model}:{method}` with `request`, read as `what`: the data plane. The body
    /// is read inside the retry loop, so an answer cut in the middle is asked for again.
    async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        model: &str,
        method: &str,
        request: &Req,
        what: &'static str,
    ) -> Result<Resp, Error> {
        lifecycle::warn_once(model);
        let transport = &self.raw.inner;
        self.send(
            &self.url(model, method),
            encode(request)?,
            false,
            |response| transport.read_json(response, what),
        )
        .await
    }

    /// `generateContent`: any request the generated builder can express.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with Google's status and details (after the retries the policy allows),
    /// [`Error::Transport`], [`Error::Timeout`], or [`Error::Decode`] for an answer that is not a
    /// `GenerateContentResponse`.
    pub async fn generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse, Error> {
        self.backend.check_request(request)?;
        self.post(model, "generateContent", request, "GenerateContentResponse")
            .await
    }

    /// `streamGenerateContent?alt=sse`: the answer in chunks as it is generated.
    ///
    /// This returns once the first chunk arrived, and retries (as the policy says) until then:
    /// a failure before the head, and a stream that breaks off, stalls or ends before its first
    /// chunk, are sent again, since nothing of them was handed out. Once this returns, the
    /// stream is never restarted: the [deadline](ClientBuilder::deadline) covered the wait for
    /// the head, and the [idle timeout](ClientBuilder::idle_timeout) watches each wait after it.
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with, before the first chunk; later failures (an
    /// error inside the stream, a stream cut short or stalled) are items of the stream.
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<ResponseStream, Error> {
        lifecycle::warn_once(model);
        self.backend.check_request(request)?;
        let url = format!("{}?alt=sse", self.url(model, "streamGenerateContent"));
        let transport = &self.raw.inner;
        self.send(&url, encode(request)?, true, |response| async move {
            ResponseStream::from_response(response, transport)
                .first_chunk_arrived()
                .await
        })
        .await
    }

    /// Text and image out for a prompt: `responseModalities: ["TEXT", "IMAGE"]`.
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with. An answer without an image is not an error:
    /// see [`ResponseExt::outcome`](crate::ResponseExt::outcome).
    pub async fn generate_image(
        &self,
        model: &str,
        prompt: &str,
    ) -> Result<GenerateContentResponse, Error> {
        let request = RequestBuilder::image().text(prompt).build();
        self.generate_content(model, &request).await
    }

    /// `countTokens`.
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with.
    pub async fn count_tokens(
        &self,
        model: &str,
        request: &CountTokensRequest,
    ) -> Result<CountTokensResponse, Error> {
        lifecycle::warn_once(model);
        let answer = self.raw.count_tokens(model_path(model), request).await?;
        Ok(answer.into_inner())
    }

    /// One model of the catalogue.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for a model that does not exist, else what [`Client::generate_content`]
    /// fails with.
    pub async fn get_model(&self, model: &str) -> Result<Model, Error> {
        if self.backend.is_vertex_ai() {
            return self.get_publisher_model(model).await;
        }
        Ok(self.raw.get_model(model_path(model)).await?.into_inner())
    }

    /// Vertex AI's models.get: `GET {base}/{version}/publishers/google/models/{model}` — outside
    /// the project, as Google's SDKs send it — answering a [`PublisherModel`], told as a
    /// [`Model`] (its name and version; Vertex AI gives no limits or methods).
    async fn get_publisher_model(&self, model: &str) -> Result<Model, Error> {
        let path = format!("models/{}", model_path(model));
        let publisher: PublisherModel = self.get_publisher(&path, &[], "PublisherModel").await?;
        Ok(publisher_model(publisher))
    }

    /// `GET {base}/{version}/publishers/google/{path}` (Vertex AI's catalogue, outside any
    /// project), read as `what`.
    async fn get_publisher<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &'static str,
    ) -> Result<T, Error> {
        let url = format!(
            "{}/{}/publishers/google/{path}",
            self.base_url, self.api_version
        );
        let request = self
            .raw
            .client
            .get(url)
            .query(query)
            .build()
            .map_err(Error::Transport)?;
        let transport = &self.raw.inner;
        self.execute(request, false, |response| async move {
            let bytes = transport.read_body(response).await?;
            serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
                what,
                message: e.to_string(),
            })
        })
        .await
    }

    /// Every model of the catalogue, page after page as the stream is read (`page_size` per
    /// request; Google's default is 50).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use futures_util::TryStreamExt;
    ///
    /// let client = gemini_image::Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let models: Vec<_> = client.list_models(Some(3)).try_collect().await?;
    /// assert!(models.iter().any(|m| m.name.as_deref() == Some("models/gemini-3.1-flash-image")));
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_models(
        &self,
        page_size: Option<u32>,
    ) -> impl futures_core::Stream<Item = Result<Model, Error>> + Send + 'static {
        use futures_util::StreamExt;

        let page_size = crate::paging::page_size(page_size);
        if self.backend.is_vertex_ai() {
            return crate::paging::items(self, move |client, token| async move {
                let mut query = Vec::new();
                if let Some(size) = page_size {
                    query.push(("pageSize", size.to_string()));
                }
                if let Some(token) = token {
                    query.push(("pageToken", token));
                }
                let page: ListPublisherModelsResponse = client
                    .get_publisher("models", &query, "ListPublisherModelsResponse")
                    .await?;
                Ok(crate::paging::Page {
                    items: page
                        .publisher_models
                        .into_iter()
                        .map(publisher_model)
                        .collect(),
                    next: page.next_page_token,
                })
            })
            .left_stream();
        }
        crate::paging::items(self, move |client, token| async move {
            let page = client
                .raw
                .list_models(page_size, token.as_deref())
                .await?
                .into_inner();
            Ok(crate::paging::Page {
                items: page.models,
                next: page.next_page_token,
            })
        })
        .right_stream()
    }

    /// Imagen `:predict`: `parameters` as Imagen takes them (sample count, aspect ratio, …).
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with; Imagen models answer 404 on Google since their
    /// shutdown.
    pub async fn generate_images(
        &self,
        model: &str,
        prompt: &str,
        parameters: Option<ImagenParameters>,
    ) -> Result<PredictResponse, Error> {
        let request = PredictRequest {
            instances: vec![ImagenInstance {
                prompt: prompt.to_string(),
            }],
            parameters,
        };
        self.post(model, "predict", &request, "PredictResponse")
            .await
    }
}

/// Vertex AI's model as a [`Model`]: its name (`publishers/google/models/…`) and version; Vertex
/// AI gives no limits or methods.
fn publisher_model(publisher: PublisherModel) -> Model {
    Model {
        name: publisher.name,
        version: publisher.version_id,
        ..Model::default()
    }
}

pub(crate) fn encode(request: &impl Serialize) -> Result<Bytes, Error> {
    crate::codec::to_body(request).map_err(|e| Error::Decode {
        what: "the request",
        message: e.to_string(),
    })
}
