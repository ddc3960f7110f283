//! A streamed interaction: the [`InteractionStream`] of typed events, the rule of its end
//! ([`InteractionEnd`]: `interaction.completed`), and the [`InteractionAccumulator`] that
//! assembles the events into the [`Interaction`] a unary call gives.

use std::collections::BTreeMap;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use gemini_image_types::sse::Event;

use crate::OpenUnion;
use crate::error::{ApiError, Error};
use crate::image_room::ImageRoom;
use crate::stream::{Items, first_item_arrived, parse_event, sse_items};
use crate::stream_end::{StreamEnd, require_end};
use crate::transport::Transport;
use crate::types::{
    Interaction, InteractionContent, InteractionDelta, InteractionEvent, InteractionStep,
};

/// The events of one streamed interaction, as they arrive: `interaction.created`, status
/// updates, each step's `step.start` / `step.delta` / `step.stop` (an image whole in one
/// delta, decoded as it came off the network), and `interaction.completed`.
///
/// * An event type newer than this crate arrives as [`OpenUnion::Unknown`], never an error.
/// * The API's `error` event arrives as [`Error::Api`] (its `code`, such as
///   `gateway_timeout`, in [`ApiError::code`], its status the one the code stands for), and
///   ends the stream. Google's Python and JavaScript SDKs hand it out as an event; here it is
///   an `Err`, so that `?` stops at it instead of reading on to a stream that was never whole.
///   [`InteractionEvent::Error`] is therefore never an item.
/// * A stream is whole only when `interaction.completed` came (whatever its status: check it).
///   A stream that ends without it — a proxy that closed the connection, a body cut inside an
///   event — ends with [`Error::Incomplete`]. The closing `data: [DONE]` is read, not handed
///   out.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use futures_util::StreamExt;
/// use gemini_image::{Client, InteractionRequest, OpenUnion, models};
/// use gemini_image::types::InteractionEvent;
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let request = InteractionRequest::new(models::GEMINI_3_1_FLASH_IMAGE).text("a lighthouse");
/// let mut stream = client.interactions().create_stream(request).await?;
/// while let Some(event) = stream.next().await {
///     match event? {
///         OpenUnion::Known(InteractionEvent::StepDelta { delta: Some(delta), .. }) => {
///             if let Some(data) = &delta.data {
///                 println!("[{} bytes of {:?}]", data.len(), delta.mime_type);
///             }
///         }
///         OpenUnion::Known(InteractionEvent::InteractionCompleted { interaction, .. }) => {
///             println!("done: {:?}", interaction.and_then(|i| i.status));
///         }
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct InteractionStream {
    inner: Items<OpenUnion<InteractionEvent>>,
}

impl fmt::Debug for InteractionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractionStream").finish_non_exhaustive()
    }
}

impl Stream for InteractionStream {
    type Item = Result<OpenUnion<InteractionEvent>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl InteractionStream {
    /// Reads an SSE body. `response` has a 2xx status; its body has not been read.
    pub(crate) fn from_response(response: reqwest::Response, transport: &Transport) -> Self {
        Self::from_sse_within(
            transport.body_pieces(response),
            transport.max_body,
            transport.image_room(),
        )
    }

    /// The same stream once its first event arrived, or the failure that came instead.
    pub(crate) async fn first_event_arrived(self) -> Result<Self, Error> {
        Ok(Self {
            inner: first_item_arrived(self.inner).await?,
        })
    }

    /// Reads a streamed interaction's SSE body from any source (a recording, another HTTP
    /// client), in chunks of any size.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), gemini_image::Error> {
    /// use bytes::Bytes;
    /// use gemini_image::{InteractionExt, InteractionStream};
    ///
    /// let recorded = concat!(
    ///     "event: interaction.created\ndata: {\"interaction\":{\"id\":\"v1_a\",\"status\":\"in_progress\"},\"event_type\":\"interaction.created\"}\n\n",
    ///     "event: step.start\ndata: {\"index\":0,\"step\":{\"type\":\"model_output\"},\"event_type\":\"step.start\"}\n\n",
    ///     "event: step.delta\ndata: {\"index\":0,\"delta\":{\"text\":\"Hel\",\"type\":\"text\"},\"event_type\":\"step.delta\"}\n\n",
    ///     "event: step.delta\ndata: {\"index\":0,\"delta\":{\"text\":\"lo\",\"type\":\"text\"},\"event_type\":\"step.delta\"}\n\n",
    ///     "event: step.stop\ndata: {\"index\":0,\"event_type\":\"step.stop\"}\n\n",
    ///     "event: interaction.completed\ndata: {\"interaction\":{\"id\":\"v1_a\",\"status\":\"completed\"},\"event_type\":\"interaction.completed\"}\n\n",
    ///     "event: done\ndata: [DONE]\n\n",
    /// );
    /// let pieces: Vec<_> = recorded.as_bytes().chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    /// let interaction = InteractionStream::from_sse(futures_util::stream::iter(pieces))
    ///     .collect_interaction()
    ///     .await?;
    /// assert_eq!(interaction.output_text(), "Hello");
    /// assert_eq!(interaction.id.as_deref(), Some("v1_a"));
    ///
    /// // Cut before `interaction.completed`: no answer, an error.
    /// let cut = &recorded[..recorded.find("event: interaction.completed").unwrap()];
    /// let pieces = vec![Ok(Bytes::copy_from_slice(cut.as_bytes()))];
    /// let error = InteractionStream::from_sse(futures_util::stream::iter(pieces))
    ///     .collect_interaction()
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(error, gemini_image::Error::Incomplete { .. }), "{error}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_sse<S>(chunks: S) -> Self
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        Self::from_sse_within(chunks, crate::DEFAULT_MAX_BODY, ImageRoom::default())
    }

    /// [`from_sse`](Self::from_sse) with each event bounded at `max_event` bytes (the
    /// client's `max_body`), and the client's memory of its last image.
    pub(crate) fn from_sse_within<S>(chunks: S, max_event: usize, room: ImageRoom) -> Self
    where
        S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
    {
        let events = sse_items(chunks, max_event, room, parse_interaction_event);
        Self {
            inner: Box::pin(require_end(events, InteractionEnd::default())),
        }
    }

    /// Reads the whole stream and assembles it into the interaction (see
    /// [`InteractionAccumulator`]).
    ///
    /// # Errors
    ///
    /// The first error of the stream: an `error` event ([`Error::Api`]), a broken connection
    /// ([`Error::Transport`]), an event that cannot be read ([`Error::Decode`]), a stream cut
    /// short ([`Error::Incomplete`]).
    pub async fn collect_interaction(mut self) -> Result<Interaction, Error> {
        let mut accumulator = InteractionAccumulator::default();
        while let Some(event) = self.next().await {
            accumulator.push(event?);
        }
        Ok(accumulator.finish())
    }
}

/// One SSE event of an interaction stream: the event, nothing (`[DONE]`, an empty event), or
/// the error it carries.
fn parse_interaction_event(event: Event) -> Result<Option<OpenUnion<InteractionEvent>>, Error> {
    if let Event::Data(data) = &event
        && data.text().trim_ascii() == b"[DONE]"
    {
        return Ok(None);
    }
    match parse_event(event, "a streamed InteractionEvent")? {
        Some(OpenUnion::Known(InteractionEvent::Error { error, .. })) => Err(Error::Api(
            ApiError::from_interactions(200, error.unwrap_or_default()),
        )),
        other => Ok(other),
    }
}

/// An interaction stream is whole when `interaction.completed` came: the server's last word
/// (the `[DONE]` after it only closes the body).
#[derive(Debug, Default)]
pub(crate) struct InteractionEnd {
    completed: bool,
}

impl StreamEnd<OpenUnion<InteractionEvent>> for InteractionEnd {
    const MARKER: &'static str = "an interaction.completed event";

    fn observe(&mut self, event: &OpenUnion<InteractionEvent>) {
        if matches!(
            event,
            OpenUnion::Known(InteractionEvent::InteractionCompleted { .. })
        ) {
            self.completed = true;
        }
    }

    fn is_complete(&self) -> bool {
        self.completed
    }
}

/// Assembles the events of a stream into the [`Interaction`] a unary call would have given:
/// the interaction of `interaction.created` and `interaction.completed` (id, status, usage),
/// and its steps built from `step.start`, each `step.delta` (text joined, an image block per
/// image, a thought's signature and summary, a function call's arguments) and `step.stop`.
/// A step or delta of a type newer than this crate is kept when it is a whole step
/// (`step.start`), and its deltas are left out.
#[derive(Clone, Debug, Default)]
pub struct InteractionAccumulator {
    interaction: Interaction,
    /// The steps by their index in the answer.
    steps: BTreeMap<i64, OpenUnion<InteractionStep>>,
    /// A function call's arguments as they arrive (partial JSON), by step index.
    arguments: BTreeMap<i64, String>,
}

impl InteractionAccumulator {
    /// Adds the next event.
    pub fn push(&mut self, event: OpenUnion<InteractionEvent>) {
        let OpenUnion::Known(event) = event else {
            return;
        };
        match event {
            InteractionEvent::InteractionCreated { interaction, .. }
            | InteractionEvent::InteractionCompleted { interaction, .. } => {
                if let Some(interaction) = interaction {
                    self.merge(interaction);
                }
            }
            InteractionEvent::InteractionStatusUpdate { status, .. } => {
                if status.is_some() {
                    self.interaction.status = status;
                }
            }
            InteractionEvent::StepStart { index, step, .. } => {
                if let Some(step) = step {
                    self.steps.insert(index.unwrap_or(0), step);
                }
            }
            InteractionEvent::StepDelta { index, delta, .. } => {
                if let Some(delta) = delta {
                    self.apply(index.unwrap_or(0), delta);
                }
            }
            InteractionEvent::StepStop { index, .. } => self.close(index.unwrap_or(0)),
            InteractionEvent::Error { .. } => {}
        }
    }

    /// The assembled interaction.
    pub fn finish(mut self) -> Interaction {
        let indices: Vec<i64> = self.arguments.keys().copied().collect();
        for index in indices {
            self.close(index);
        }
        if self.interaction.steps.is_empty() {
            self.interaction.steps = self.steps.into_values().collect();
        }
        // A stream carries `""` for an interaction that is not stored: a unary answer has no id.
        if self.interaction.id.as_deref() == Some("") {
            self.interaction.id = None;
        }
        self.interaction
    }

    /// Takes what an `interaction` object of an event says (the completed one carries no steps;
    /// should one, its steps are the answer).
    fn merge(&mut self, later: Interaction) {
        let Interaction {
            agent,
            continuation_token,
            created,
            errors,
            id,
            model,
            object,
            previous_interaction_id,
            service_tier,
            status,
            steps,
            updated,
            usage,
        } = later;
        let so_far = &mut self.interaction;
        replace_if_some(&mut so_far.agent, agent);
        replace_if_some(&mut so_far.continuation_token, continuation_token);
        replace_if_some(&mut so_far.created, created);
        replace_if_some(&mut so_far.id, id);
        replace_if_some(&mut so_far.model, model);
        replace_if_some(&mut so_far.object, object);
        replace_if_some(&mut so_far.previous_interaction_id, previous_interaction_id);
        replace_if_some(&mut so_far.service_tier, service_tier);
        replace_if_some(&mut so_far.status, status);
        replace_if_some(&mut so_far.updated, updated);
        replace_if_some(&mut so_far.usage, usage);
        so_far.errors.extend(errors);
        if !steps.is_empty() {
            so_far.steps = steps;
        }
    }

    /// Adds a delta to the step at `index` (a delta before its `step.start` opens a
    /// `model_output`).
    fn apply(&mut self, index: i64, delta: InteractionDelta) {
        let step = self.steps.entry(index).or_insert_with(|| {
            InteractionStep::ModelOutput {
                content: Vec::new(),
                error: None,
            }
            .into()
        });
        let OpenUnion::Known(step) = step else {
            return;
        };
        match (step, delta.type_.as_str()) {
            (InteractionStep::ModelOutput { content, .. }, "text") => {
                push_text(content, delta.text.unwrap_or_default());
            }
            (
                InteractionStep::ModelOutput { content, .. },
                "image" | "audio" | "video" | "document",
            ) => {
                if let Some(block) = media_block(delta) {
                    content.push(block.into());
                }
            }
            (InteractionStep::Thought { signature, .. }, "thought_signature") => {
                if let Some(piece) = delta.signature {
                    signature.get_or_insert_default().push_str(&piece);
                }
            }
            (InteractionStep::Thought { summary, .. }, "thought_summary") => match delta.content {
                Some(OpenUnion::Known(InteractionContent::Text {
                    text: Some(text), ..
                })) => push_text(summary, text),
                Some(block) => summary.push(block),
                None => {}
            },
            (InteractionStep::FunctionCall { .. }, "arguments_delta") => {
                self.arguments
                    .entry(index)
                    .or_default()
                    .push_str(delta.arguments.as_deref().unwrap_or_default());
            }
            // A delta this crate does not know how to fold (its event was handed out as is).
            _ => {}
        }
    }

    /// A step is whole: a function call's arguments are parsed.
    fn close(&mut self, index: i64) {
        let Some(text) = self.arguments.remove(&index) else {
            return;
        };
        if let Some(OpenUnion::Known(InteractionStep::FunctionCall { arguments, .. })) =
            self.steps.get_mut(&index)
            && let Ok(parsed) = serde_json::from_str(&text)
        {
            *arguments = parsed;
        }
    }
}

/// Joins `text` to the last block when that is text, else adds a text block.
fn push_text(content: &mut Vec<OpenUnion<InteractionContent>>, text: String) {
    if let Some(OpenUnion::Known(InteractionContent::Text {
        text: Some(so_far), ..
    })) = content.last_mut()
    {
        so_far.push_str(&text);
        return;
    }
    content.push(
        InteractionContent::Text {
            annotations: Vec::new(),
            text: Some(text),
        }
        .into(),
    );
}

/// A media delta as its block (its bytes moved, not copied).
fn media_block(delta: InteractionDelta) -> Option<InteractionContent> {
    let InteractionDelta {
        data,
        mime_type,
        uri,
        type_,
        ..
    } = delta;
    Some(match type_.as_str() {
        "image" => InteractionContent::Image {
            data,
            mime_type,
            resolution: None,
            uri,
        },
        "audio" => InteractionContent::Audio {
            data,
            mime_type,
            uri,
        },
        "video" => InteractionContent::Video {
            data,
            mime_type,
            uri,
        },
        "document" => InteractionContent::Document {
            data,
            mime_type,
            uri,
        },
        _ => return None,
    })
}

fn replace_if_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &str) -> Vec<Result<OpenUnion<InteractionEvent>, Error>> {
        let pieces = vec![Ok(Bytes::copy_from_slice(body.as_bytes()))];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(InteractionStream::from_sse(futures_util::stream::iter(pieces)).collect())
    }

    #[test]
    fn unknown_events_steps_and_contents_pass_through() {
        let body = concat!(
            "event: interaction.created\ndata: {\"interaction\":{\"id\":\"\",\"status\":\"in_progress\"},\"event_type\":\"interaction.created\"}\n\n",
            "event: interaction.in_progress\ndata: {\"interaction_id\":\"\",\"event_type\":\"interaction.in_progress\"}\n\n",
            "data: {\"index\":0,\"step\":{\"type\":\"retrieval_call\",\"id\":\"r1\"},\"event_type\":\"step.start\"}\n\n",
            "data: {\"index\":0,\"delta\":{\"type\":\"retrieval_delta\",\"query\":\"q\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":1,\"step\":{\"type\":\"model_output\",\"content\":[{\"type\":\"hologram\",\"depth\":3}]},\"event_type\":\"step.start\"}\n\n",
            "data: {\"interaction\":{\"id\":\"\",\"status\":\"some_new_status\"},\"event_type\":\"interaction.completed\"}\n\n",
            "event: done\ndata: [DONE]\n\n",
        );
        let items = events(body);
        assert_eq!(items.len(), 6, "{items:?}");
        let unknown = items[1].as_ref().unwrap();
        assert_eq!(unknown.unknown_type(), Some("interaction.in_progress"));
        let mut accumulator = InteractionAccumulator::default();
        for item in items {
            accumulator.push(item.unwrap());
        }
        let interaction = accumulator.finish();
        assert_eq!(interaction.id, None, "a stream's \"\" is no id");
        assert_eq!(interaction.steps[0].unknown_type(), Some("retrieval_call"));
        let OpenUnion::Known(InteractionStep::ModelOutput { content, .. }) = &interaction.steps[1]
        else {
            panic!("{:?}", interaction.steps[1]);
        };
        assert_eq!(content[0].unknown_type(), Some("hologram"));
        assert_eq!(
            interaction.status.as_ref().and_then(|s| s.unknown()),
            Some("some_new_status")
        );
    }

    #[test]
    fn an_error_event_is_an_err_with_its_code_and_ends_the_stream() {
        let body = concat!(
            "event: interaction.created\ndata: {\"interaction\":{\"id\":\"v1_a\",\"status\":\"in_progress\"},\"event_type\":\"interaction.created\"}\n\n",
            "event: error\ndata: {\"error\":{\"message\":\"Deadline expired before operation could complete.\",\"code\":\"gateway_timeout\"},\"event_type\":\"error\"}\n\n",
            "event: done\ndata: [DONE]\n\n",
        );
        let items = events(body);
        assert_eq!(items.len(), 2, "{items:?}");
        let Err(Error::Api(error)) = &items[1] else {
            panic!("{:?}", items[1]);
        };
        assert_eq!(error.code.as_deref(), Some("gateway_timeout"));
        assert_eq!(error.http_status, 504);
        assert!(error.is_retryable());
        assert!(error.message.starts_with("Deadline expired"));
    }

    #[test]
    fn done_without_completed_is_incomplete() {
        let body = concat!(
            "event: interaction.created\ndata: {\"interaction\":{\"id\":\"v1_a\"},\"event_type\":\"interaction.created\"}\n\n",
            "event: done\ndata: [DONE]\n\n",
        );
        let items = events(body);
        assert!(
            matches!(items.last(), Some(Err(Error::Incomplete { .. }))),
            "{items:?}"
        );
    }

    #[test]
    fn deltas_assemble_into_steps() {
        let body = concat!(
            "data: {\"index\":0,\"step\":{\"type\":\"thought\"},\"event_type\":\"step.start\"}\n\n",
            "data: {\"index\":0,\"delta\":{\"signature\":\"c2ln\",\"type\":\"thought_signature\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":0,\"event_type\":\"step.stop\"}\n\n",
            "data: {\"index\":1,\"step\":{\"type\":\"function_call\",\"id\":\"c1\",\"name\":\"f\",\"arguments\":{}},\"event_type\":\"step.start\"}\n\n",
            "data: {\"index\":1,\"delta\":{\"arguments\":\"{\\\"a\\\":\",\"type\":\"arguments_delta\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":1,\"delta\":{\"arguments\":\"1}\",\"type\":\"arguments_delta\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":1,\"event_type\":\"step.stop\"}\n\n",
            "data: {\"index\":2,\"step\":{\"type\":\"model_output\"},\"event_type\":\"step.start\"}\n\n",
            "data: {\"index\":2,\"delta\":{\"mime_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\",\"type\":\"image\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":2,\"delta\":{\"text\":\"done\",\"type\":\"text\"},\"event_type\":\"step.delta\"}\n\n",
            "data: {\"index\":2,\"event_type\":\"step.stop\"}\n\n",
            "data: {\"interaction\":{\"id\":\"v1_b\",\"status\":\"completed\"},\"event_type\":\"interaction.completed\"}\n\n",
        );
        let mut accumulator = InteractionAccumulator::default();
        for item in events(body) {
            accumulator.push(item.unwrap());
        }
        let interaction = accumulator.finish();
        let expected: Interaction = serde_json::from_value(serde_json::json!({
            "id": "v1_b", "status": "completed", "steps": [
                {"type": "thought", "signature": "c2ln"},
                {"type": "function_call", "id": "c1", "name": "f", "arguments": {"a": 1}},
                {"type": "model_output", "content": [
                    {"type": "image", "mime_type": "image/png", "data": "iVBORw0KGgo="},
                    {"type": "text", "text": "done"}]}]
        }))
        .unwrap();
        assert_eq!(interaction, expected);
    }
}
