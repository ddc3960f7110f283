//! `streamGenerateContent`: the [`ResponseStream`] of partial responses, and the
//! [`Accumulator`] that folds them into one.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::{ApiError, Error};
use crate::image_room::ImageRoom;
use crate::stream_end::{GenerateContentEnd, require_end};
use crate::transport::Transport;
use crate::types::{Candidate, Content, GenerateContentResponse, Part};
use gemini_image_types::sse::{Event, SseDecoder};

/// The partial responses of one `streamGenerateContent` call, as they arrive.
///
/// Each item is a chunk: new parts only (text in pieces, an image whole), with the usage so far.
/// An error Google writes into the stream after it began arrives as [`Error::Api`], and ends
/// the stream; so does a connection cut ([`Error::Transport`]). A stream cut short — its body
/// ends inside an event, or ends cleanly before a `finishReason` came for every candidate (nor
/// a `blockReason` for the prompt) — ends with [`Error::Incomplete`]: a proxy that closes the
/// connection early never makes a short answer. Fold the chunks with
/// [`ResponseStream::collect_response`] or an [`Accumulator`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use futures_util::StreamExt;
/// use gemini_image::{Client, RequestBuilder, ResponseExt};
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let request = RequestBuilder::image().text("a lighthouse at dusk").build();
/// let mut stream = client.stream_generate_content(gemini_image::models::GEMINI_3_1_FLASH_IMAGE, &request).await?;
/// while let Some(chunk) = stream.next().await {
///     let chunk = chunk?;
///     print!("{}", chunk.text());
///     for image in chunk.images() {
///         println!("[{} bytes of {}]", image.bytes.len(), image.mime_type);
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct ResponseStream {
    inner: Items<GenerateContentResponse>,
}

impl fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseStream").finish_non_exhaustive()
    }
}

impl Stream for ResponseStream {
    type Item = Result<GenerateContentResponse, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ResponseStream {
    /// Reads an SSE body. `response` has a 2xx status; its body has not been read. The
    /// transport's idle timeout watches the wait for each piece.
    pub(crate) fn from_response(response: reqwest::Response, transport: &Transport) -> Self {
        Self::from_sse_within(
            transport.body_pieces(response),
            transport.max_body,
            transport.image_room(),
        )
    }

    /// The same stream once its first chunk arrived, or the failure that came instead (a cut,
    /// a stall, an error event, a stream that ended empty): the client's retry loop waits here,
    /// so that what it may send again was never handed out.
    pub(crate) async fn first_chunk_arrived(self) -> Result<Self, Error> {
        Ok(ResponseStream {
            inner: first_item_arrived(self.inner).await?,
        })
    }

    /// Reads a `streamGenerateContent?alt=sse` body from any source — a recording, another
    /// HTTP client — in chunks of any size. A body without its last event (a `finishReason`) ends
    /// with [`Error::Incomplete`], as a stream from the network does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), gemini_image::Error> {
    /// use bytes::Bytes;
    /// use gemini_image::{ResponseExt, ResponseStream};
    ///
    /// let recorded = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}]}}]}\r\n\r\n\
    ///                 data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo\"}]}, \"finishReason\": \"STOP\"}]}\r\n\r\n";
    /// let pieces = recorded.as_bytes().chunks(5).map(|c| Ok(Bytes::copy_from_slice(c)));
    /// let response = ResponseStream::from_sse(futures_util::stream::iter(pieces.collect::<Vec<_>>()))
    ///     .collect_response()
    ///     .await?;
    /// assert_eq!(response.text(), "Hello");
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
        let items = sse_items(chunks, max_event, room, |event| {
            parse_event(event, "a streamed GenerateContentResponse")
        });
        ResponseStream {
            inner: Box::pin(require_end(items, GenerateContentEnd::default())),
        }
    }

    /// Reads the whole stream and folds it into one response (see [`Accumulator`]).
    ///
    /// # Errors
    ///
    /// The first error of the stream: Google's error inside the stream ([`Error::Api`]), a broken
    /// connection ([`Error::Transport`]), an event that cannot be read ([`Error::Decode`]), or a
    /// stream cut short ([`Error::Incomplete`]).
    pub async fn collect_response(mut self) -> Result<GenerateContentResponse, Error> {
        let mut accumulator = Accumulator::default();
        while let Some(chunk) = self.next().await {
            accumulator.push(chunk?);
        }
        Ok(accumulator.finish())
    }
}

/// A stream of items read from the network, boxed: what every streamed API's stream wraps.
pub(crate) type Items<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>;

/// The items of an SSE body, each event read by `parse` (which may skip one with `Ok(None)`);
/// the byte level (`SseDecoder`) decodes an image's base64 as it arrives, for every API alike.
/// A stream may run for ever, but no event may pass `max_event` bytes: past it, what the
/// server sends is no event, and the decoder would hold it all. An image gets the room of the
/// last one `room` remembers at once, and is remembered in its turn.
pub(crate) fn sse_items<T, S>(
    chunks: S,
    max_event: usize,
    room: ImageRoom,
    parse: fn(Event) -> Result<Option<T>, Error>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
{
    struct Reading<S> {
        chunks: Option<Pin<Box<S>>>,
        decoder: SseDecoder,
        events: VecDeque<Event>,
        /// Bytes read since the last event came out: the event under way, at most.
        pending: usize,
        room: ImageRoom,
    }
    let state = Reading {
        chunks: Some(Box::pin(chunks)),
        decoder: SseDecoder::expecting(room.get().min(max_event)),
        events: VecDeque::new(),
        pending: 0,
        room,
    };
    futures_util::stream::try_unfold(state, move |mut state| async move {
        loop {
            if let Some(event) = state.events.pop_front() {
                if let Some(item) = parse(event)? {
                    return Ok(Some((item, state)));
                }
                continue;
            }
            let Some(chunks) = state.chunks.as_mut() else {
                return Ok(None);
            };
            match chunks.next().await {
                Some(Ok(bytes)) => {
                    state.pending = state.pending.saturating_add(bytes.len());
                    state.decoder.push(bytes, &mut state.events);
                    if !state.events.is_empty() {
                        state.pending = 0;
                        state.room.remember(state.decoder.largest_value());
                    } else if state.pending > max_event {
                        return Err(Error::Decode {
                            what: "the stream",
                            message: format!("an event is larger than {max_event} bytes"),
                        });
                    }
                }
                Some(Err(error)) => return Err(error),
                None => {
                    state.decoder.finish(&mut state.events);
                    state.chunks = None;
                }
            }
        }
    })
}

/// The same stream once its first item arrived, or the failure that came instead (a cut, a
/// stall, an error event, a stream that ended empty): the client's retry loop waits here, so
/// that what it may send again was never handed out.
pub(crate) async fn first_item_arrived<T: Send + 'static>(
    mut items: Items<T>,
) -> Result<Items<T>, Error> {
    match items.next().await {
        Some(Ok(first)) => Ok(Box::pin(
            futures_util::stream::once(async { Ok(first) }).chain(items),
        )),
        Some(Err(error)) => Err(error),
        // `require_end` ends every stream with an item; an empty one is still empty.
        None => Ok(items),
    }
}

/// One event as an item, an error, or nothing (an empty event); `what` names the item for a
/// decode error. Google's error object, as an event's data or outside any event, is
/// [`Error::Api`] — in either of its shapes.
pub(crate) fn parse_event<T: serde::de::DeserializeOwned>(
    event: Event,
    what: &'static str,
) -> Result<Option<T>, Error> {
    match event {
        Event::Data(data) if is_error_object(data.text()) => {
            Err(Error::Api(ApiError::from_body(200, &data.original())))
        }
        Event::Data(data) if data.text().iter().all(u8::is_ascii_whitespace) => Ok(None),
        Event::Data(data) => data.parse().map(Some).map_err(|e| Error::Decode {
            what,
            message: e.to_string(),
        }),
        Event::Raw(raw) => match ApiError::from_body(200, &raw) {
            error if error.status.is_some() || error.code.is_some() => Err(Error::Api(error)),
            _ => Err(Error::Decode {
                what: "the stream",
                message: format!("a JSON value outside any event: {}", preview(&raw)),
            }),
        },
        Event::Unterminated(data) => {
            let arrived = data.original().len();
            // The last event may have been whole, with only its blank line missing.
            data.parse().map(Some).map_err(|_| Error::Incomplete {
                what: "the stream",
                message: format!("the body ended inside an event ({arrived} bytes of it arrived)"),
            })
        }
        Event::Garbage(text) => Err(Error::Decode {
            what: "the stream",
            message: format!("text that is no SSE event: {}", preview(&text)),
        }),
    }
}

/// `{"error": …}`: Google's error object, which some proxies send as an event's data.
fn is_error_object(data: &[u8]) -> bool {
    let rest = data.trim_ascii_start();
    rest.strip_prefix(b"{")
        .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"\"error\""))
}

pub(crate) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut preview: String = text.trim().chars().take(200).collect();
    if preview.len() < text.trim().len() {
        preview.push('…');
    }
    preview
}

/// Folds the chunks of a stream into the response a unary call would have given: each
/// candidate's text pieces joined (thoughts apart from answers), images and other parts kept in
/// order with their `thoughtSignature`, the last finish reason, and the usage of the last chunk.
///
/// ```
/// use gemini_image::{Accumulator, ResponseExt};
/// use gemini_image::types::GenerateContentResponse;
///
/// let chunks = [
///     r#"{"candidates": [{"content": {"parts": [{"text": "Here is"}],"role": "model"},"index": 0}]}"#,
///     r#"{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png","data": "iVBORw0KGgo="}}],"role": "model"},"index": 0}]}"#,
///     r#"{"candidates": [{"content": {"parts": [{"text": " a fox."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"totalTokenCount": 1305}}"#,
/// ];
/// let mut accumulator = Accumulator::default();
/// for chunk in chunks {
///     accumulator.push(serde_json::from_str::<GenerateContentResponse>(chunk)?);
/// }
/// let response = accumulator.finish();
/// assert_eq!(response.text(), "Here is a fox.");
/// assert_eq!(response.images().len(), 1);
/// assert_eq!(response.usage_metadata.unwrap().total_token_count, Some(1305));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    response: Option<GenerateContentResponse>,
}

impl Accumulator {
    /// Adds the next chunk.
    pub fn push(&mut self, chunk: GenerateContentResponse) {
        let Some(response) = &mut self.response else {
            self.response = Some(chunk);
            return;
        };
        let GenerateContentResponse {
            candidates,
            create_time,
            model_status,
            model_version,
            prompt_feedback,
            response_id,
            usage_metadata,
        } = chunk;
        for candidate in candidates {
            match response
                .candidates
                .iter_mut()
                .find(|c| c.index.unwrap_or(0) == candidate.index.unwrap_or(0))
            {
                Some(earlier) => merge_candidate(earlier, candidate),
                None => response.candidates.push(candidate),
            }
        }
        replace_if_some(&mut response.create_time, create_time);
        replace_if_some(&mut response.model_status, model_status);
        replace_if_some(&mut response.model_version, model_version);
        replace_if_some(&mut response.prompt_feedback, prompt_feedback);
        replace_if_some(&mut response.response_id, response_id);
        replace_if_some(&mut response.usage_metadata, usage_metadata);
    }

    /// The folded response (empty when no chunk came).
    pub fn finish(self) -> GenerateContentResponse {
        self.response.unwrap_or_default()
    }
}

fn replace_if_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn merge_candidate(earlier: &mut Candidate, later: Candidate) {
    // Written out whole so that a field added to the spec must be decided on here.
    let Candidate {
        avg_logprobs,
        citation_metadata,
        content,
        continuation_token,
        finish_message,
        finish_reason,
        grounding_attributions,
        grounding_metadata,
        index: _,
        logprobs_result,
        safety_ratings,
        token_count,
        url_context_metadata,
    } = later;
    if let Some(content) = content {
        match &mut earlier.content {
            Some(so_far) => merge_content(so_far, content),
            None => earlier.content = Some(content),
        }
    }
    replace_if_some(&mut earlier.avg_logprobs, avg_logprobs);
    replace_if_some(&mut earlier.citation_metadata, citation_metadata);
    replace_if_some(&mut earlier.continuation_token, continuation_token);
    replace_if_some(&mut earlier.finish_message, finish_message);
    replace_if_some(&mut earlier.finish_reason, finish_reason);
    replace_if_some(&mut earlier.grounding_metadata, grounding_metadata);
    replace_if_some(&mut earlier.logprobs_result, logprobs_result);
    replace_if_some(&mut earlier.token_count, token_count);
    replace_if_some(&mut earlier.url_context_metadata, url_context_metadata);
    earlier
        .grounding_attributions
        .extend(grounding_attributions);
    if !safety_ratings.is_empty() {
        earlier.safety_ratings = safety_ratings;
    }
}

fn merge_content(so_far: &mut Content, later: Content) {
    replace_if_some(&mut so_far.role, later.role);
    for part in later.parts {
        match so_far.parts.last_mut() {
            Some(last) if joins(last, &part) => {
                if let Some(text) = part.text {
                    last.text.get_or_insert_default().push_str(&text);
                }
                replace_if_some(&mut last.thought_signature, part.thought_signature);
            }
            _ => so_far.parts.push(part),
        }
    }
}

/// Whether `next` continues the text of `last`: both plain text of the same kind (thought or
/// answer), and at most one of them signed.
fn joins(last: &Part, next: &Part) -> bool {
    is_plain_text(last)
        && is_plain_text(next)
        && last.thought == next.thought
        && !(last.thought_signature.is_some() && next.thought_signature.is_some())
}

fn is_plain_text(part: &Part) -> bool {
    part.text.is_some()
        && part.inline_data.is_none()
        && Part {
            text: None,
            thought: None,
            thought_signature: None,
            ..part.clone()
        } == Part::default()
}
