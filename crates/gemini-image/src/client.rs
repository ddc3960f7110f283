//! [`Client`]: the key, the base URL, the HTTP client and the retry policy, and the calls.
//!
//! The calls send the generated request types and read the generated response types, but over
//! this module's own requests rather than the generated client's: the generated client
//! percent-encodes the `/` of `models/…`, sends an `api-version` header Google does not know,
//! loses the status of a non-JSON error from a proxy, and cannot stream SSE.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error};
use crate::images::image_part;
use crate::request::RequestBuilder;
use crate::retry::RetryPolicy;
use crate::stream::ResponseStream;
use crate::types::ListModelsResponse;
use crate::types::{
    CountTokensRequest, CountTokensResponse, GenerateContentRequest, GenerateContentResponse,
    ImagenInstance, ImagenParameters, Model, PredictRequest, PredictResponse,
};

/// Google's endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The API version the image models live in.
pub const DEFAULT_API_VERSION: &str = "v1beta";
const USER_AGENT: &str = concat!("gemini-image-rust/", env!("CARGO_PKG_VERSION"));

/// A Gemini API client. Cheap to clone: clones share one connection pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, ResponseExt};
///
/// let client = Client::builder().api_key("my-key").base_url(mock.uri()).build()?;
/// let response = client.generate_image("gemini-2.5-flash-image", "a red bicycle").await?;
/// let image = &response.images()[0];
/// assert_eq!(image.mime_type, "image/png");
/// assert!(!format!("{client:?}").contains("my-key"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    retry: RetryPolicy,
    deadline: Option<Duration>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    api_version: String,
    headers: HeaderMap,
    on_retry: Option<RetryHook>,
}

type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;

/// A retry about to happen, as [`ClientBuilder::on_retry`] hooks see it.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryEvent<'a> {
    /// The attempt that failed (1 for the first request).
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// Why the attempt failed.
    pub error: &'a Error,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_version", &self.inner.api_version)
            .field("api_key", &"<redacted>")
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    api_version: Option<String>,
    http: Option<reqwest::Client>,
    connect_timeout: Option<Duration>,
    deadline: Option<Duration>,
    headers: Vec<(String, String)>,
    retry: RetryPolicy,
    on_retry: Option<RetryHook>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key, sent in `x-goog-api-key` only.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Another endpoint, such as a `gemini-image-mock` (`http://127.0.0.1:8080`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// `v1beta` (the default) or `v1`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Your own `reqwest::Client` (proxies, TLS roots, pools). Its timeouts stay yours.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one attempt may take. A stream is limited only until its first byte, so that a
    /// long generation is never cut.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// A header sent with every request.
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
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// The retry policy (on by default; [`RetryPolicy::none`] turns it off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client; fails without a key or with a header that cannot be sent.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.filter(|k| !k.is_empty()).ok_or_else(|| {
            Error::Config("no API key: set GEMINI_API_KEY or call api_key()".into())
        })?;
        let mut headers = HeaderMap::new();
        let mut key = HeaderValue::from_str(&key).map_err(|_| {
            Error::Config("the API key contains characters a header cannot carry".into())
        })?;
        key.set_sensitive(true);
        headers.insert("x-goog-api-key", key);
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
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .build()
                .map_err(Error::Transport)?,
        };
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                api_version: self
                    .api_version
                    .unwrap_or_else(|| DEFAULT_API_VERSION.to_string()),
                headers,
                on_retry: self.on_retry,
            }),
            retry: self.retry,
            deadline: self.deadline,
        })
    }
}

/// `gemini-x` and `models/gemini-x` name the same model; the path takes it without the prefix
/// (and never percent-encodes the slash).
pub fn model_path(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

impl Client {
    /// A builder: key, base URL, API version, HTTP client, timeouts, headers, retries.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The key from `GEMINI_API_KEY` (else `GOOGLE_API_KEY`) and the base URL from
    /// `GOOGLE_GEMINI_BASE_URL` when set, as Google's SDKs read them.
    pub fn from_env() -> Result<Client, Error> {
        let mut builder = Self::builder();
        if let Some(key) = ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        {
            builder = builder.api_key(key);
        }
        if let Some(url) = std::env::var("GOOGLE_GEMINI_BASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// The same client with another retry policy, for one call or a few:
    /// `client.with_retry(RetryPolicy::none()).generate_image(..)`.
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            retry: policy,
            ..self.clone()
        }
    }

    /// The same client with another per-attempt deadline.
    pub fn with_deadline(&self, deadline: Duration) -> Client {
        Client {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// `{base}/{version}/models`: every URL of the API starts here.
    fn models_url(&self) -> String {
        format!("{}/{}/models", self.inner.base_url, self.inner.api_version)
    }

    fn url(&self, model: &str, method: &str) -> String {
        format!("{}/{}:{method}", self.models_url(), model_path(model))
    }

    /// A failure of the connection; reqwest's timeout is our deadline.
    fn transport(&self, error: reqwest::Error) -> Error {
        match self.deadline {
            Some(deadline) if error.is_timeout() => Error::Timeout(deadline),
            _ => Error::Transport(error),
        }
    }

    /// Sends one request, retrying as the policy says; returns the 200 response, whose body
    /// has not been read yet.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Bytes>,
        streaming: bool,
    ) -> Result<reqwest::Response, Error> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let mut request = self
                .inner
                .http
                .request(method.clone(), url)
                .headers(self.inner.headers.clone());
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let outcome = match self.deadline {
                // A stream's deadline covers the wait for its head, never the stream itself.
                Some(deadline) if streaming => {
                    match tokio::time::timeout(deadline, request.send()).await {
                        Ok(sent) => sent.map_err(Error::Transport),
                        Err(_) => Err(Error::Timeout(deadline)),
                    }
                }
                Some(deadline) => request
                    .timeout(deadline)
                    .send()
                    .await
                    .map_err(|e| self.transport(e)),
                None => request.send().await.map_err(Error::Transport),
            };
            let error = match outcome {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap_or_default();
                    Error::Api(ApiError::from_body(status, &body))
                }
                Err(error) => error,
            };
            match self.retry.wait(&error, attempt, started.elapsed()) {
                Some(wait) => {
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        status = error.status(),
                        "gemini-image retrying: {error}"
                    );
                    if let Some(hook) = &self.inner.on_retry {
                        hook(&RetryEvent {
                            attempt,
                            wait,
                            error: &error,
                        });
                    }
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: &str,
        request: Option<&Req>,
        what: &'static str,
    ) -> Result<Resp, Error> {
        let body = request.map(encode).transpose()?;
        let response = self.send(method, url, body, false).await?;
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        crate::codec::from_body(&bytes).map_err(|e| Error::Decode {
            what,
            message: e.to_string(),
        })
    }

    /// `POST {models}/{model}:{method}` with `request`, read as `what`.
    async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        model: &str,
        method: &str,
        request: &Req,
        what: &'static str,
    ) -> Result<Resp, Error> {
        let url = self.url(model, method);
        self.call(reqwest::Method::POST, &url, Some(request), what)
            .await
    }

    /// `generateContent`: any request the generated builder can express.
    pub async fn generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<GenerateContentResponse, Error> {
        self.post(model, "generateContent", request, "GenerateContentResponse")
            .await
    }

    /// `streamGenerateContent?alt=sse`: the answer in chunks as it is generated.
    ///
    /// Retries (as the policy says) happen before the first byte only: once this returns, the
    /// stream is never restarted, and the per-attempt deadline no longer applies.
    pub async fn stream_generate_content(
        &self,
        model: &str,
        request: &GenerateContentRequest,
    ) -> Result<ResponseStream, Error> {
        let url = format!("{}?alt=sse", self.url(model, "streamGenerateContent"));
        let body = encode(request)?;
        let response = self
            .send(reqwest::Method::POST, &url, Some(body), true)
            .await?;
        Ok(ResponseStream::from_response(response))
    }

    /// Text and image out for a prompt: `responseModalities: ["TEXT", "IMAGE"]`.
    pub async fn generate_image(
        &self,
        model: &str,
        prompt: &str,
    ) -> Result<GenerateContentResponse, Error> {
        let request = RequestBuilder::image().text(prompt).build();
        self.generate_content(model, &request).await
    }

    /// Edits `image` (its bytes; the MIME type is read from them) as `instruction` says.
    pub async fn edit_image(
        &self,
        model: &str,
        image: impl Into<Bytes>,
        instruction: &str,
    ) -> Result<GenerateContentResponse, Error> {
        let request = RequestBuilder::image()
            .parts(image_part(image)?)
            .text(instruction)
            .build();
        self.generate_content(model, &request).await
    }

    /// `countTokens`.
    pub async fn count_tokens(
        &self,
        model: &str,
        request: &CountTokensRequest,
    ) -> Result<CountTokensResponse, Error> {
        self.post(model, "countTokens", request, "CountTokensResponse")
            .await
    }

    /// One model of the catalogue.
    pub async fn get_model(&self, model: &str) -> Result<Model, Error> {
        let url = format!("{}/{}", self.models_url(), model_path(model));
        self.call::<(), Model>(reqwest::Method::GET, &url, None, "Model")
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
    /// assert!(models.iter().any(|m| m.name.as_deref() == Some("models/gemini-2.5-flash-image")));
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_models(
        &self,
        page_size: Option<u32>,
    ) -> impl futures_core::Stream<Item = Result<Model, Error>> + Send + 'static {
        struct Paging {
            client: Client,
            page_size: Option<u32>,
            next: Option<String>,
            buffered: std::vec::IntoIter<Model>,
            done: bool,
        }
        let state = Paging {
            client: self.clone(),
            page_size,
            next: None,
            buffered: Vec::new().into_iter(),
            done: false,
        };
        futures_util::stream::try_unfold(state, |mut state| async move {
            loop {
                if let Some(model) = state.buffered.next() {
                    return Ok(Some((model, state)));
                }
                if state.done {
                    return Ok(None);
                }
                let mut url = state.client.models_url();
                let mut query = Vec::new();
                if let Some(size) = state.page_size {
                    query.push(format!("pageSize={size}"));
                }
                if let Some(token) = &state.next {
                    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
                    query.push(format!("pageToken={token}"));
                }
                if !query.is_empty() {
                    url = format!("{url}?{}", query.join("&"));
                }
                let page: ListModelsResponse = state
                    .client
                    .call::<(), _>(reqwest::Method::GET, &url, None, "ListModelsResponse")
                    .await?;
                state.next = page.next_page_token.filter(|t| !t.is_empty());
                state.done = state.next.is_none();
                state.buffered = page.models.into_iter();
            }
        })
    }

    /// Imagen `:predict`: `parameters` as Imagen takes them (sample count, aspect ratio, …).
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

fn encode(request: &impl Serialize) -> Result<Bytes, Error> {
    crate::codec::to_body(request).map_err(|e| Error::Decode {
        what: "the request",
        message: e.to_string(),
    })
}
