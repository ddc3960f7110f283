//! Where a Vertex AI request's credentials come from: a [`TokenSource`] hands the transport the
//! headers that authorize each attempt (`authorization: Bearer …`, and `x-goog-user-project`
//! when the credentials name a quota project).
//!
//! * [`AccessToken`]: a token you already have (a test, `gcloud auth print-access-token`, a
//!   token your platform hands out). It is sent as it is and never refreshed.
//! * [`ApplicationDefault`] (feature `adc`, on by default): Google's Application Default
//!   Credentials through Google's own `google-cloud-auth` crate — `GOOGLE_APPLICATION_CREDENTIALS`
//!   (a service account, an authorized user, impersonation, workload identity), then gcloud's
//!   `application_default_credentials.json`, then the metadata server. Tokens are refreshed
//!   before they expire, in the background, once for every clone of the client.
//! * Any `google_cloud_auth::credentials::Credentials` you built yourself (feature `adc`), and
//!   your own implementation of the trait.
//!
//! The headers are marked sensitive and never shown: not in `Debug`, not in a log line, not in
//! an error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::error::Error;

/// The future a [`TokenSource`] returns.
pub type HeadersFuture<'a> = Pin<Box<dyn Future<Output = Result<HeaderMap, Error>> + Send + 'a>>;

/// The headers that authorize a Vertex AI request, asked for before each attempt (so that a
/// retry carries a refreshed token). An implementation that fetches tokens caches them: it is
/// called for every request.
///
/// ```
/// use gemini_image::auth::{HeadersFuture, TokenSource};
/// use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
///
/// /// Tokens from the platform this program runs on.
/// struct PlatformTokens;
///
/// impl TokenSource for PlatformTokens {
///     fn headers(&self) -> HeadersFuture<'_> {
///         Box::pin(async {
///             let mut headers = HeaderMap::new();
///             headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer from-the-platform"));
///             Ok(headers)
///         })
///     }
/// }
///
/// let client = gemini_image::Client::builder()
///     .vertex_ai("my-project", "us-central1")
///     .credentials(PlatformTokens)
///     .build()?;
/// # Ok::<(), gemini_image::Error>(())
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// The headers for one request. A failure is [`Error::Auth`] (or what the source says);
    /// its message must not contain a token.
    fn headers(&self) -> HeadersFuture<'_>;
}

/// An access token you already have, sent as it is (`authorization: Bearer {token}`), with
/// `x-goog-user-project` when you name a quota project. It is never refreshed: Google's tokens
/// live an hour.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, ResponseExt, auth::AccessToken, models};
///
/// let token = AccessToken::new("ya29.token").quota_project("billing-project");
/// let client = Client::builder()
///     .vertex_ai("my-project", "us-central1")
///     .credentials(token)
///     .base_url(mock.uri())
///     .build()?;
/// let response = client.generate_image(models::GEMINI_3_1_FLASH_IMAGE, "a red bicycle").await?;
/// assert_eq!(response.images().len(), 1);
/// assert!(!format!("{client:?}").contains("ya29"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AccessToken {
    token: String,
    quota_project: Option<String>,
}

impl AccessToken {
    /// The token (without `Bearer `).
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            quota_project: None,
        }
    }

    /// The project billed for the requests (`x-goog-user-project`), when it is not the one
    /// the requests name.
    #[must_use]
    pub fn quota_project(mut self, project: impl Into<String>) -> Self {
        self.quota_project = Some(project.into());
        self
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("quota_project", &self.quota_project)
            .finish()
    }
}

impl TokenSource for AccessToken {
    fn headers(&self) -> HeadersFuture<'_> {
        Box::pin(async move {
            let mut headers = HeaderMap::new();
            let mut bearer = HeaderValue::try_from(format!("Bearer {}", self.token))
                .ok()
                .filter(|_| !self.token.is_empty())
                .ok_or_else(|| {
                    Error::Auth(
                        "the access token is empty or holds characters a header cannot carry"
                            .into(),
                    )
                })?;
            bearer.set_sensitive(true);
            headers.insert(AUTHORIZATION, bearer);
            if let Some(project) = &self.quota_project {
                let project = HeaderValue::try_from(project.as_str()).map_err(|_| {
                    Error::Auth(format!(
                        "the quota project {project:?} holds characters a header cannot carry"
                    ))
                })?;
                headers.insert(QUOTA_PROJECT, project);
            }
            Ok(headers)
        })
    }
}

/// The header that names the project billed for a request.
const QUOTA_PROJECT: &str = "x-goog-user-project";

#[cfg(feature = "adc")]
pub use adc::ApplicationDefault;

#[cfg(feature = "adc")]
mod adc {
    use std::fmt;

    use google_cloud_auth::credentials::{self, CacheableResource, Credentials};
    use reqwest::header::HeaderMap;
    use tokio::sync::OnceCell;

    use super::{HeadersFuture, TokenSource};
    use crate::error::Error;

    /// Google's Application Default Credentials, found as `gcloud` and Google's SDKs find
    /// them: the file `GOOGLE_APPLICATION_CREDENTIALS` names (a service account, an
    /// authorized user, an impersonated service account, workload identity federation),
    /// else the one `gcloud auth application-default login` wrote, else the metadata server
    /// of the machine (Compute Engine, Cloud Run, GKE). `GOOGLE_CLOUD_QUOTA_PROJECT` names a
    /// quota project.
    ///
    /// They are looked for at the first request, not when the client is built (building
    /// them starts their refresh task, which needs a Tokio runtime); a failure then is
    /// [`Error::Auth`], and the next request looks again. Once found, tokens are refreshed in
    /// the background before they expire, once for every clone of the client.
    ///
    /// This is what a Vertex AI client uses when it is given no
    /// [`credentials`](crate::ClientBuilder::credentials).
    #[derive(Default)]
    pub struct ApplicationDefault {
        credentials: OnceCell<Credentials>,
    }

    impl ApplicationDefault {
        /// Credentials found at the first request.
        pub fn new() -> Self {
            Self::default()
        }
    }

    impl fmt::Debug for ApplicationDefault {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ApplicationDefault")
                .field("found", &self.credentials.initialized())
                .finish()
        }
    }

    impl TokenSource for ApplicationDefault {
        fn headers(&self) -> HeadersFuture<'_> {
            Box::pin(async move {
                let credentials = self
                    .credentials
                    .get_or_try_init(|| async {
                        credentials::Builder::default().build().map_err(|error| {
                            Error::Auth(format!(
                                "no Application Default Credentials: {error} (run `gcloud auth \
                                 application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS)"
                            ))
                        })
                    })
                    .await?;
                headers_of(credentials).await
            })
        }
    }

    /// Credentials you built with `google-cloud-auth` yourself: a service-account key you
    /// read, impersonation with delegates, other scopes.
    impl TokenSource for Credentials {
        fn headers(&self) -> HeadersFuture<'_> {
            Box::pin(headers_of(self))
        }
    }

    async fn headers_of(credentials: &Credentials) -> Result<HeaderMap, Error> {
        // Without an entity tag in the extensions, the answer is always `New`.
        match credentials.headers(http::Extensions::new()).await {
            Ok(CacheableResource::New { data, .. }) => Ok(data),
            Ok(CacheableResource::NotModified) => Err(Error::Auth(
                "the credentials answered \"not modified\" to a request for new headers".into(),
            )),
            // The crate's errors describe the failure (a refused refresh, an unreachable
            // metadata server), never the token.
            Err(error) => Err(Error::Auth(format!("cannot get an access token: {error}"))),
        }
    }
}
