//! [`Interactions`]: the Interactions API (`/interactions`), Google's recommended interface
//! since June 2026 — create (unary or streamed), get, delete, cancel, and wait for a background
//! run.
//!
//! `create` is data plane, written by hand as `generateContent` is: its bodies carry megabytes
//! of base64, which the codec writes straight into the body and decodes once straight from the
//! answer. `get`, `delete` and `cancel` are the generated client's (`Client::raw`): small JSON.
//! All go through the same transport (headers, deadline, retries).

use std::fmt;
use std::time::Duration;

use crate::client::{Client, encode};
use crate::error::Error;
use crate::interaction_chat::InteractionChat;
use crate::interaction_output::InteractionExt;
use crate::interaction_request::InteractionRequest;
use crate::interaction_stream::InteractionStream;
use crate::lifecycle;
use crate::types::{CreateInteractionRequest, Interaction};

/// The Interactions API of a [`Client`] ([`Client::interactions`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, InteractionExt, InteractionRequest, ResponseFormat, models};
/// use gemini_image::types::ImageSize;
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let request = InteractionRequest::new(models::GEMINI_3_1_FLASH_IMAGE)
///     .text("a red bicycle")
///     .response_format(ResponseFormat::image().size(ImageSize::X1k));
/// let interaction = client.interactions().create(request).await?;
/// let image = interaction.output_image().expect("an image");
/// assert_eq!(image.mime_type, "image/jpeg");
///
/// // Stored (the default): it can be read back, whole timeline, and deleted.
/// let id = interaction.id.as_deref().unwrap_or_default();
/// let stored = client.interactions().get(id).await?;
/// assert_eq!(stored.output_image(), Some(image));
/// client.interactions().delete(id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Interactions {
    client: Client,
}

impl fmt::Debug for Interactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interactions")
            .field("client", &self.client)
            .finish()
    }
}

impl Client {
    /// The Interactions API: `create`, `create_stream`, `get`, `delete`, `cancel`, `wait`,
    /// and a multi-turn [`InteractionChat`].
    pub fn interactions(&self) -> Interactions {
        Interactions {
            client: self.for_gemini_api_only("the Interactions API"),
        }
    }
}

impl Interactions {
    /// `POST /interactions`: one turn, answered whole. The answer holds the new steps only
    /// (read its image with [`InteractionExt::output_image`], or with [`ResponseExt`](crate::ResponseExt)
    /// as a `generateContent` answer). With `background(true)` it comes back at once,
    /// `in_progress`: [`wait`](Self::wait) for it.
    ///
    /// Inline images that would push the body past Google's 20 MB are first uploaded through
    /// the Files API and named by URI, as [`Client::edit_image`] does (unless
    /// [`auto_upload`](crate::ClientBuilder::auto_upload) is off).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with the status and the Interactions error's `code`
    /// (`invalid_request` …) after the retries the policy allows; [`Error::Transport`],
    /// [`Error::Timeout`], [`Error::Decode`] for an answer that is not an Interaction;
    /// [`Error::RequestTooLarge`] and what [`Files::upload`](crate::Files::upload) fails with
    /// for a body over the limit.
    pub async fn create(
        &self,
        request: impl Into<CreateInteractionRequest>,
    ) -> Result<Interaction, Error> {
        let mut request = request.into();
        request.stream = None;
        let body = self.prepare(&mut request).await?;
        let transport = &self.client.raw.inner;
        self.client
            .send(&self.url(), body, false, |response| {
                transport.read_json(response, "Interaction")
            })
            .await
    }

    /// `POST /interactions` with `"stream": true`: the answer as events while it is made (see
    /// [`InteractionStream`]). It returns once the first event arrived, and retries (as the
    /// policy says) until then, as [`Client::stream_generate_content`] does.
    ///
    /// # Errors
    ///
    /// What [`create`](Self::create) fails with, before the first event; later failures are
    /// items of the stream.
    pub async fn create_stream(
        &self,
        request: impl Into<CreateInteractionRequest>,
    ) -> Result<InteractionStream, Error> {
        let mut request = request.into();
        request.stream = Some(true);
        let body = self.prepare(&mut request).await?;
        let transport = &self.client.raw.inner;
        self.client
            .send(&self.url(), body, true, |response| async move {
                InteractionStream::from_response(response, transport)
                    .first_event_arrived()
                    .await
            })
            .await
    }

    /// `GET /interactions/{id}`: a stored interaction with its whole timeline (its
    /// `user_input` steps included).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for an id the server does not keep; else what
    /// [`create`](Self::create) fails with.
    pub async fn get(&self, id: &str) -> Result<Interaction, Error> {
        // `stream=false`, as Google's SDKs always send it.
        let answer = self
            .client
            .raw
            .get_interaction(id, None, None, Some(false))
            .await?;
        Ok(answer.into_inner())
    }

    /// `DELETE /interactions/{id}`.
    ///
    /// # Errors
    ///
    /// What [`get`](Self::get) fails with.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client.raw.delete_interaction(id).await?;
        Ok(())
    }

    /// `POST /interactions/{id}/cancel`: stops a background interaction that is still running;
    /// the answer is the interaction, `cancelled`.
    ///
    /// # Errors
    ///
    /// What [`get`](Self::get) fails with; the server refuses an interaction that is not
    /// running in the background.
    pub async fn cancel(&self, id: &str) -> Result<Interaction, Error> {
        Ok(self.client.raw.cancel_interaction(id).await?.into_inner())
    }

    /// Polls a background interaction (0.5 s doubling to 5 s between polls) until it has
    /// stopped — `completed`, `failed`, `cancelled`, `incomplete` … any status but
    /// `in_progress` and `queued` ([`InteractionExt::is_finished`]) — for at most `deadline`.
    /// The answer is the stored interaction, whose timeline begins with the `user_input`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use std::time::Duration;
    /// use gemini_image::{Client, InteractionExt, InteractionRequest, models};
    /// use gemini_image::types::InteractionStatus;
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let request = InteractionRequest::new(models::GEMINI_3_1_FLASH_IMAGE).text("a fox").background(true);
    /// let started = client.interactions().create(request).await?;
    /// let id = started.id.as_deref().unwrap_or_default();
    /// let done = client.interactions().wait(id, Duration::from_secs(60)).await?;
    /// assert_eq!(done.status, Some(InteractionStatus::Completed.into()));
    /// assert!(done.output_image().is_some());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when it is still running after `deadline`; what
    /// [`get`](Self::get) fails with.
    pub async fn wait(&self, id: &str, deadline: Duration) -> Result<Interaction, Error> {
        crate::poll::until(deadline, || async {
            let interaction = self.get(id).await?;
            Ok(interaction.is_finished().then_some(interaction))
        })
        .await
    }

    /// A stored multi-turn conversation with `model` (see [`InteractionChat`]): each turn sends
    /// only what is new and the id of the turn before.
    pub fn chat(&self, model: &str) -> InteractionChat {
        InteractionChat::new(&self.client, InteractionRequest::new(model))
    }

    /// `{base}/{version}/interactions`.
    fn url(&self) -> String {
        format!("{}/interactions", self.client.raw.baseurl)
    }

    /// The body of a create: its inline images uploaded first when it would pass the limit.
    async fn prepare(&self, request: &mut CreateInteractionRequest) -> Result<bytes::Bytes, Error> {
        if let Some(model) = &request.model {
            lifecycle::warn_once(model);
        }
        self.client.fit_inline_limit(request).await?;
        encode(request)
    }
}
