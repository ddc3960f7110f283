//! The one way a request leaves the client: the key and the other headers on, the deadline,
//! the retry policy.
//!
//! Both planes of the client go through [`Transport::execute`]:
//!
//! * the **control plane** — the progenitor-generated client ([`crate::RawClient`]), which sends
//!   every operation whose body is small — reaches it through progenitor's seams: the
//!   generated client carries a `Transport` as its inner value, and the `ClientHooks` of
//!   `hooks.rs` set the headers (`pre`) and run the retries (`exec`);
//! * the **data plane** — the hand-written calls whose bodies are megabytes of base64
//!   (`generateContent`, `streamGenerateContent`, `predict`) or file bytes (the Files API's
//!   download) — calls it directly with a body the codec wrote; the upload sends each chunk once
//!   ([`Transport::once`]) and resumes a failed one through the same [`Retries`].
//!
//! So a retry, a header or a deadline behaves the same whichever plane sends the request.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use gemini_image_types::json_lines::{JsonLinesDecoder, Line};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::auth::TokenSource;
use crate::error::{ApiError, Error};
use crate::image_room::ImageRoom;
use crate::retry::{RetryEvent, RetryPolicy};

/// At most this much of an error answer is read: Google's are under 2 KB, a proxy's page a few
/// KB; a server that streams an endless error body must not fill memory.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The most room made ahead for a body, whatever its `content-length` says: a generateContent
/// answer with a 4K image is some 30 MB of base64.
const MAX_BODY_RESERVATION: u64 = 64 * 1024 * 1024;

pub(crate) type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;

/// What every request of one [`crate::Client`] shares: its headers (the key among them), its
/// retry policy, its timeouts and its retry hook.
#[derive(Clone)]
pub struct Transport {
    shared: Arc<Shared>,
    pub(crate) retry: RetryPolicy,
    /// How long one attempt may take: a unary answer whole, a stream's head.
    pub(crate) deadline: Duration,
    /// How long an answer's body may go without a byte: between a unary body's pieces, and
    /// between a stream's events (and before its first).
    pub(crate) idle_timeout: Duration,
    /// The most bytes a 2xx answer's body may hold (`ClientBuilder::max_body`).
    pub(crate) max_body: usize,
    /// Why every request of this transport is refused before it is sent: the Files API of a
    /// Vertex AI client (`Backend::gemini_api_only`).
    pub(crate) refusal: Option<Arc<str>>,
}

struct Shared {
    headers: HeaderMap,
    /// Vertex AI's credentials, asked before each attempt.
    tokens: Option<Arc<dyn TokenSource>>,
    on_retry: Option<RetryHook>,
    image_room: ImageRoom,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The headers hold the key: they are never shown.
        f.debug_struct("Transport")
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// A request's final answer, after the retries the policy allows.
// One per call, moved once or twice: the size of its refusal costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Answer<T = reqwest::Response> {
    /// A 2xx answer: its head with the body unread, or what was read of it.
    Success(T),
    /// An error answer, read.
    Refused(Refusal),
}

/// An error answer: what arrived, and what it means.
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) error: ApiError,
}

impl Transport {
    pub(crate) fn new(
        headers: HeaderMap,
        tokens: Option<Arc<dyn TokenSource>>,
        on_retry: Option<RetryHook>,
        retry: RetryPolicy,
        deadline: Duration,
        idle_timeout: Duration,
        max_body: usize,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                headers,
                tokens,
                on_retry,
                image_room: ImageRoom::default(),
            }),
            retry,
            deadline,
            idle_timeout,
            max_body,
            refusal: None,
        }
    }

    /// The size of the last image a stream of this client decoded (see [`ImageRoom`]).
    pub(crate) fn image_room(&self) -> ImageRoom {
        self.shared.image_room.clone()
    }

    /// Puts the client's headers on `request`.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        // Progenitor sends the spec's version as `api-version`, a header Google does not know:
        // the version is in the URL.
        headers.remove("api-version");
        for (name, value) in &self.shared.headers {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Puts the credentials' headers on `request`, asked for again at each attempt so that a
    /// retry carries a refreshed token; or refuses it, when this transport serves a call its
    /// backend does not have.
    async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        if let Some(why) = &self.refusal {
            return Err(Error::Config(why.to_string()));
        }
        if let Some(tokens) = &self.shared.tokens {
            let authorization = tokens.headers().await?;
            let headers = request.headers_mut();
            for (name, value) in &authorization {
                let mut value = value.clone();
                value.set_sensitive(true);
                headers.insert(name.clone(), value);
            }
        }
        Ok(())
    }

    /// Sends `request`, retrying as the policy says, and hands out a 2xx answer's head (its
    /// body not read). A request whose body cannot be sent twice (a stream) is sent once. The
    /// error is [`Error::Transport`] or [`Error::Timeout`]: an answer, even an error answer, is
    /// an [`Answer`].
    ///
    /// `streaming`: the deadline covers the wait for the head only, so that a long generation
    /// is never cut.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        streaming: bool,
    ) -> Result<Answer, Error> {
        self.execute_reading(http, request, streaming, |response| async { Ok(response) })
            .await
    }

    /// Sends `request` and reads a 2xx answer with `read`, retrying as the policy says: a
    /// failure while reading (a body cut in the middle, a stall, an error `read` finds) is
    /// retried as a failure before the head is, the request sent again with the same attempts,
    /// budget and backoff. Only what `read` returns reaches the caller, so nothing of a failed
    /// attempt was handed out; the requests sent this way change no state on the server, so
    /// sending one twice is safe.
    pub(crate) async fn execute_reading<T, F, Fut>(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        streaming: bool,
        mut read: F,
    ) -> Result<Answer<T>, Error>
    where
        F: FnMut(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut retries = self.retries();
        loop {
            let again = request.try_clone();
            let (error, refusal) = match self.once(http, request, streaming).await {
                Ok(Answer::Success(response)) => match read(response).await {
                    Ok(answer) => return Ok(Answer::Success(answer)),
                    Err(error) => (error, None),
                },
                Ok(Answer::Refused(refusal)) => (Error::Api(refusal.error.clone()), Some(refusal)),
                Err(error) => (error, None),
            };
            let retried = match again {
                Some(again) if retries.again(&error).await => again,
                _ => {
                    return match refusal {
                        Some(refusal) => Ok(Answer::Refused(refusal)),
                        None => Err(error),
                    };
                }
            };
            request = retried;
        }
    }

    /// One attempt without retries: the answer (an error answer read), or the failure of the
    /// connection. The upload sends its chunks with it, and resumes them itself through
    /// [`Retries`].
    pub(crate) async fn once(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        streaming: bool,
    ) -> Result<Answer, Error> {
        let response = self.attempt(http, request, streaming).await?;
        if response.status().is_success() {
            Ok(Answer::Success(response))
        } else {
            Ok(Answer::Refused(Refusal::read(response).await))
        }
    }

    /// The retries of one call, as the client's policy allows them.
    pub(crate) fn retries(&self) -> Retries<'_> {
        Retries {
            transport: self,
            started: Instant::now(),
            attempt: 1,
        }
    }

    /// One attempt, within the deadline. A unary answer's deadline is reqwest's timeout, which
    /// covers its body too; a stream's covers the wait for its head only, so that a long
    /// generation is never cut (the idle timeout watches it from there).
    async fn attempt(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        streaming: bool,
    ) -> Result<reqwest::Response, Error> {
        self.authorize(&mut request).await?;
        let deadline = self.deadline;
        if streaming {
            match tokio::time::timeout(deadline, http.execute(request)).await {
                Ok(sent) => sent.map_err(Error::Transport),
                Err(_) => Err(Error::Timeout(deadline)),
            }
        } else {
            *request.timeout_mut() = Some(deadline);
            http.execute(request)
                .await
                .map_err(|error| self.transport_error(error))
        }
    }

    /// The next piece of a 2xx answer's body (`None` at its end), within the idle timeout.
    pub(crate) async fn next_piece(
        &self,
        response: &mut reqwest::Response,
    ) -> Result<Option<Bytes>, Error> {
        match tokio::time::timeout(self.idle_timeout, response.chunk()).await {
            Ok(piece) => piece.map_err(|error| self.transport_error(error)),
            Err(_) => Err(Error::IdleTimeout(self.idle_timeout)),
        }
    }

    /// A 2xx answer's body as it arrives, each piece within the idle timeout of the one before:
    /// a stream that stalls ends with [`Error::IdleTimeout`] instead of waiting forever.
    pub(crate) fn body_pieces(
        &self,
        response: reqwest::Response,
    ) -> impl futures_core::Stream<Item = Result<Bytes, Error>> + Send + 'static + use<> {
        let transport = self.clone();
        futures_util::stream::unfold(Some(response), move |response| {
            let transport = transport.clone();
            async move {
                let mut response = response?;
                match transport.next_piece(&mut response).await {
                    Ok(Some(piece)) => Some((Ok(piece), Some(response))),
                    Ok(None) => None,
                    Err(error) => Some((Err(error), None)),
                }
            }
        })
    }

    /// A 2xx answer's body, whole. Room for a body whose length the head gives is made once
    /// (up to a bound, so that a lying `content-length` cannot reserve gigabytes).
    pub(crate) async fn read_body(&self, mut response: reqwest::Response) -> Result<Bytes, Error> {
        let expected = response.content_length().unwrap_or(0);
        let mut body = BytesMut::with_capacity(
            usize::try_from(expected.min(MAX_BODY_RESERVATION)).unwrap_or(0),
        );
        while let Some(piece) = self.next_piece(&mut response).await? {
            if body.is_empty() && piece.len() as u64 == expected {
                // The whole body in one piece: no copy.
                return Ok(piece);
            }
            if body.len() + piece.len() > self.max_body {
                return Err(self.too_large("the answer"));
            }
            body.extend_from_slice(&piece);
        }
        Ok(body.freeze())
    }

    /// A 2xx JSON answer read as `what` while it arrives: its large base64 values (images,
    /// thought signatures) are decoded straight from the network's pieces, and the body is
    /// never gathered whole — one pass over the bytes, and the image the only large buffer.
    pub(crate) async fn read_json<T: DeserializeOwned>(
        &self,
        mut response: reqwest::Response,
        what: &'static str,
    ) -> Result<T, Error> {
        // An image is three quarters of its base64, and the base64 nearly all of the body.
        let expected = response
            .content_length()
            .unwrap_or(0)
            .min(MAX_BODY_RESERVATION);
        let expected_image = usize::try_from(expected / 4 * 3).unwrap_or(0);
        let mut decoder = JsonLinesDecoder::document(self.max_body, expected_image);
        let mut out = VecDeque::with_capacity(1);
        while let Some(piece) = self.next_piece(&mut response).await? {
            decoder.push(piece, &mut out);
            if !out.is_empty() {
                // Only a document over the bound is handed out before the end.
                return Err(self.too_large(what));
            }
        }
        decoder.finish(&mut out);
        let decoded = match out.pop_front() {
            Some(Line::Json(document)) => document.parse(),
            Some(Line::TooLong) => return Err(self.too_large(what)),
            // An empty body: serde_json's own words for it.
            None => serde_json::from_slice(b""),
        };
        decoded.map_err(|e| Error::Decode {
            what,
            message: e.to_string(),
        })
    }

    /// A 2xx body that went past the bound.
    fn too_large(&self, what: &'static str) -> Error {
        Error::Decode {
            what,
            message: format!("the body is larger than {} bytes", self.max_body),
        }
    }

    /// A failure of the connection; reqwest's timeout is our deadline.
    pub(crate) fn transport_error(&self, error: reqwest::Error) -> Error {
        if error.is_timeout() {
            Error::Timeout(self.deadline)
        } else {
            Error::Transport(error)
        }
    }
}

/// The one retry loop's state: how many attempts a call made and since when. Every retry of
/// the client — a request sent again by [`Transport::execute`], a chunk of an upload resumed —
/// waits here: the policy decides, the retry is logged and the `on_retry` hook called.
pub(crate) struct Retries<'a> {
    transport: &'a Transport,
    started: Instant,
    attempt: u32,
}

impl Retries<'_> {
    /// After `error`: when the policy allows another attempt, waits for it and says `true`.
    pub(crate) async fn again(&mut self, error: &Error) -> bool {
        let wait = self
            .transport
            .retry
            .wait(error, self.attempt, self.started.elapsed());
        self.wait(error, wait).await
    }

    /// After `error`, which interrupted a call that can go on (an upload's chunk whose answer
    /// said nothing) whatever its kind: another attempt as long as the policy's attempts and
    /// budget allow.
    pub(crate) async fn again_interrupted(&mut self, error: &Error) -> bool {
        let wait = self
            .transport
            .retry
            .backoff(error, self.attempt, self.started.elapsed());
        self.wait(error, wait).await
    }

    async fn wait(&mut self, error: &Error, wait: Option<Duration>) -> bool {
        let Some(wait) = wait else {
            return false;
        };
        let attempt = self.attempt;
        tracing::warn!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            status = error.status(),
            "gemini-image retrying: {error}"
        );
        if let Some(hook) = &self.transport.shared.on_retry {
            hook(&RetryEvent {
                attempt,
                wait,
                error,
            });
        }
        tokio::time::sleep(wait).await;
        self.attempt += 1;
        true
    }
}

impl Refusal {
    /// A failure of this client, as an error answer.
    pub(crate) fn local(error: Error) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers: HeaderMap::new(),
            error: ApiError::from_body(500, error.to_string().as_bytes()),
        }
    }

    async fn read(mut response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = BytesMut::new();
        // A body cut short still says what arrived of it.
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BODY - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() == MAX_ERROR_BODY {
                break;
            }
        }
        let error = ApiError::from_body(status.as_u16(), &body);
        Self {
            status,
            headers,
            error,
        }
    }
}
