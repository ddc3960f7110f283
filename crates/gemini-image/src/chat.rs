//! [`Chat`]: a conversation that keeps its history, for editing an image turn after turn.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::client::Client;
use crate::error::Error;
use crate::parts::IntoParts;
use crate::request::RequestBuilder;
use crate::stream::{Accumulator, ResponseStream};
use crate::types::{Content, GenerateContentRequest, GenerateContentResponse};

/// A conversation with one model. Each turn sends the whole history; the model's turns go back
/// exactly as they came — images and `thoughtSignature` included, which Gemini 3 image models
/// need in order to edit their own images.
///
/// A turn that fails, or whose answer has no content (a blocked prompt, a filtered image),
/// leaves the history as it was, so the turn can simply be sent again.
///
/// **Requests over 20 MB.** Google refuses a request over 20 MB, base64 images included, and
/// since every turn sends the whole history, the images of earlier turns count too. A turn
/// whose request would pass the limit first uploads its largest inline images — of any turn,
/// as few as needed — through the [Files API](Client::files) and names them by URI
/// (`fileData`, with the part's `thoughtSignature` kept). The history keeps those file parts,
/// so the megabytes go once, not every turn; it does even when the turn then fails (the turns
/// stay the same). An uploaded file lives 48 hours: a chat that goes on longer than that gets
/// Google's 403 for it. [`ClientBuilder::auto_upload(false)`](crate::ClientBuilder::auto_upload)
/// turns the upload off: such a turn fails with [`Error::RequestTooLarge`] and sends nothing.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, ResponseExt};
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let mut chat = client.chat("gemini-3-pro-image");
/// chat.send("draw a red bicycle").await?;
/// chat.send("make it blue").await?;
/// let last = chat.send("add a basket").await?;
/// assert_eq!(last.images().len(), 1);
/// assert_eq!(chat.history().len(), 6);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Chat {
    client: Client,
    model: String,
    /// Everything but the contents: generation config, safety settings, tools, system
    /// instruction.
    template: GenerateContentRequest,
    history: Vec<Content>,
}

impl fmt::Debug for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chat")
            .field("model", &self.model)
            .field("turns", &self.history.len())
            .finish_non_exhaustive()
    }
}

impl Chat {
    /// A conversation whose turns are sent with `template`'s settings; the template's contents
    /// become the start of the history.
    pub fn new(client: &Client, model: &str, template: impl Into<GenerateContentRequest>) -> Chat {
        let mut template = template.into();
        let history = std::mem::take(&mut template.contents);
        Chat {
            client: client.clone(),
            model: model.to_string(),
            template,
            history,
        }
    }

    /// The turns so far, oldest first.
    pub fn history(&self) -> &[Content] {
        &self.history
    }

    /// Forgets the conversation (the settings stay).
    pub fn clear(&mut self) {
        self.history.clear();
    }

    /// Drops the last exchange — the last user turn and the model's answer to it — so that the
    /// next turn continues from the one before (a conversation's "undo"). Returns whether there
    /// was one to drop. A failed turn was never recorded, so it needs no undo.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use gemini_image::Client;
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let mut chat = client.chat("gemini-3-pro-image");
    /// chat.send("draw a red bicycle").await?;
    /// chat.send("make it green").await?;
    /// assert!(chat.undo());
    /// assert_eq!(chat.history().len(), 2);
    /// chat.send("make it blue").await?; // edits the red bicycle
    /// # Ok(())
    /// # }
    /// ```
    pub fn undo(&mut self) -> bool {
        // The turn starts at the last content that is not the model's (a template's contents
        // may leave the role out, which Google reads as the user's).
        let last_turn = self
            .history
            .iter()
            .rposition(|content| content.role.as_deref() != Some("model"));
        match last_turn {
            Some(start) => {
                self.history.truncate(start);
                true
            }
            None => false,
        }
    }

    /// Sends one user turn; the answer and the turn join the history. Images that would push
    /// the request past 20 MB are uploaded first (see [`Chat`]).
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
    /// use gemini_image::{Client, image_part};
    ///
    /// // A limit of 1 000 bytes stands in for Google's 20 MB.
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).inline_limit(1_000).build()?;
    /// let mut chat = client.chat("gemini-3-pro-image");
    /// chat.send([image_part(photo)?, "make it blue".into()]).await?;
    /// // The photo was uploaded: the history names it by URI from now on.
    /// let sent = &chat.history()[0].parts[0];
    /// assert!(sent.inline_data.is_none() && sent.file_data.is_some());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`](crate::Client::generate_content) fails with; the history
    /// is left as it was. [`Error::RequestTooLarge`] when the request would pass the limit and
    /// automatic upload is off; what [`Files::upload`](crate::Files::upload) fails with.
    pub async fn send(
        &mut self,
        message: impl IntoParts,
    ) -> Result<GenerateContentResponse, Error> {
        let (request, turn) = self.request(message).await?;
        let response = self.client.generate_content(&self.model, &request).await?;
        self.record(turn, &response);
        Ok(response)
    }

    /// Sends one user turn and streams the answer; the turn and the whole answer join the
    /// history when the stream has been read to its end without an error.
    ///
    /// # Errors
    ///
    /// What [`Client::stream_generate_content`](crate::Client::stream_generate_content) fails with
    /// before the stream begins; the history is left as it was. What [`Chat::send`] fails with
    /// before anything is sent.
    pub async fn send_stream(&mut self, message: impl IntoParts) -> Result<ChatStream<'_>, Error> {
        let (request, turn) = self.request(message).await?;
        let inner = self
            .client
            .stream_generate_content(&self.model, &request)
            .await?;
        Ok(ChatStream {
            chat: self,
            turn: Some(turn),
            inner,
            accumulator: Accumulator::default(),
        })
    }

    /// The request of one turn, its images uploaded when it would pass the inline limit; and
    /// the turn as sent.
    async fn request(
        &mut self,
        message: impl IntoParts,
    ) -> Result<(GenerateContentRequest, Content), Error> {
        let mut request = self.template.clone();
        // Parts hold their bytes in `Bytes`: cloning the history copies no image.
        request.contents = self.history.clone();
        request.contents.push(Content {
            parts: message.into_parts(),
            role: Some("user".to_string()),
        });
        let fitted = self.client.fit_inline_limit(&mut request).await;
        // The history names what was uploaded by its file from now on — even when a later
        // upload failed — so that its megabytes are not sent again next turn.
        if !matches!(fitted, Ok(0)) {
            for (kept, sent) in self.history.iter_mut().zip(&request.contents) {
                *kept = sent.clone();
            }
        }
        fitted?;
        let turn = request.contents.last().cloned().unwrap_or_default();
        Ok((request, turn))
    }

    fn record(&mut self, turn: Content, response: &GenerateContentResponse) {
        let answer = response
            .candidates
            .first()
            .and_then(|c| c.content.as_ref())
            .filter(|c| !c.parts.is_empty());
        if let Some(answer) = answer {
            let mut answer = answer.clone();
            answer.role = Some("model".to_string());
            self.history.push(turn);
            self.history.push(answer);
        }
    }
}

impl Client {
    /// A [`Chat`] with `model` asking for text and images.
    pub fn chat(&self, model: &str) -> Chat {
        Chat::new(self, model, RequestBuilder::image())
    }
}

/// The answer to one [`Chat::send_stream`] turn, chunk by chunk.
pub struct ChatStream<'a> {
    chat: &'a mut Chat,
    turn: Option<Content>,
    inner: ResponseStream,
    accumulator: Accumulator,
}

impl fmt::Debug for ChatStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream")
            .field("chat", &self.chat)
            .finish_non_exhaustive()
    }
}

impl Stream for ChatStream<'_> {
    type Item = Result<GenerateContentResponse, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => this.accumulator.push(chunk.clone()),
            // An error ends the stream and the turn is not recorded.
            Poll::Ready(Some(Err(_))) => this.turn = None,
            Poll::Ready(None) => {
                if let Some(turn) = this.turn.take() {
                    let whole = std::mem::take(&mut this.accumulator).finish();
                    this.chat.record(turn, &whole);
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}
