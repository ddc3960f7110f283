//! [`InteractionRequest`]: the body of `POST /interactions` for a model, built step by step;
//! [`ResponseFormat`]: what to answer with (an image of a size and shape, text and images).

use bytes::Bytes;

use crate::OpenUnion;
use crate::client::model_path;
use crate::interaction_input::{content_of_part, file_content, user_input};
use crate::parts::IntoParts;
use crate::types::{
    AspectRatio, CreateInteractionRequest, File, ImageSize, InteractionContent,
    InteractionGenerationConfig, InteractionInput, InteractionKnownInputItem,
    InteractionResponseFormat, InteractionResponseFormats, InteractionStep, ThinkingLevel,
};

/// The body of one `POST /interactions`: a model, the new turn (text, images), and the
/// settings. Names go out snake_case and values lowercase, as the Interactions API wants.
///
/// The turn goes out as a plain string when it is text alone and nothing comes before it (what
/// Google's Python SDK and the docs send); otherwise as steps — the [`history`](Self::history)
/// then one `user_input` step holding the turn's blocks (the form the Python SDK sends, which
/// the server reads as the flat list of blocks JavaScript sends).
///
/// ```
/// use gemini_image::{InteractionRequest, ResponseFormat, models};
/// use gemini_image::types::{AspectRatio, ImageSize};
///
/// let request = InteractionRequest::new(models::GEMINI_3_1_FLASH_IMAGE)
///     .text("a lighthouse at dusk")
///     .response_format(ResponseFormat::image().size(ImageSize::X2k).aspect_ratio(AspectRatio::X169))
///     .build();
/// assert_eq!(
///     serde_json::to_value(&request)?,
///     serde_json::json!({
///         "model": "gemini-3.1-flash-image",
///         "input": "a lighthouse at dusk",
///         "response_format": {"type": "image", "image_size": "2K", "aspect_ratio": "16:9"}
///     })
/// );
///
/// // An edit: the image travels as standard base64 with its MIME type.
/// let png = b"\x89PNG\r\n\x1a\n".to_vec();
/// let edit = InteractionRequest::new("gemini-3-pro-image").image(png, "image/png").text("make it blue").build();
/// assert_eq!(
///     serde_json::to_value(&edit)?["input"],
///     serde_json::json!([{"type": "user_input", "content": [
///         {"type": "image", "data": "iVBORw0KGgo=", "mime_type": "image/png"},
///         {"type": "text", "text": "make it blue"}]}])
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[must_use]
#[derive(Clone, Debug, Default)]
pub struct InteractionRequest {
    request: CreateInteractionRequest,
    history: Vec<OpenUnion<InteractionStep>>,
    turn: Vec<OpenUnion<InteractionContent>>,
}

impl InteractionRequest {
    /// A request to `model` (with or without its `models/` prefix).
    pub fn new(model: &str) -> Self {
        Self {
            request: CreateInteractionRequest {
                model: Some(model_path(model).to_string()),
                ..CreateInteractionRequest::default()
            },
            ..Self::default()
        }
    }

    /// Settings from an existing body (its `input` is the start of the turn: blocks join it,
    /// steps become the history).
    pub fn from_request(mut request: CreateInteractionRequest) -> Self {
        let mut built = Self::default();
        match request.input.take() {
            Some(InteractionInput::String(text)) => built = built.text(text),
            Some(InteractionInput::InteractionContentValue(content)) => built.turn.push(content),
            Some(InteractionInput::Array(items)) => {
                for item in items {
                    match item {
                        OpenUnion::Known(InteractionKnownInputItem::Content(content)) => {
                            built.turn.push(content.into());
                        }
                        OpenUnion::Known(InteractionKnownInputItem::Step(step)) => {
                            built.history.push(step.into());
                        }
                        OpenUnion::Unknown(fields) => {
                            built.history.push(OpenUnion::Unknown(fields));
                        }
                    }
                }
            }
            None => {}
        }
        built.request = request;
        built
    }

    /// A text block of the turn.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.content(InteractionContent::Text {
            annotations: Vec::new(),
            text: Some(text.into()),
        })
    }

    /// An image of the turn, inline: its bytes (sent as standard base64, not copied before
    /// that) and MIME type (`image/png`, `image/jpeg`, `image/webp` …). An image whose bytes
    /// would push the request past 20 MB is uploaded through the Files API when sent (see
    /// [`Interactions::create`](crate::Interactions::create)).
    pub fn image(self, bytes: impl Into<Bytes>, mime_type: impl Into<String>) -> Self {
        self.content(InteractionContent::Image {
            data: Some(bytes.into().into()),
            mime_type: Some(mime_type.into()),
            resolution: None,
            uri: None,
        })
    }

    /// An image of the turn by URI: a Files API file's `uri`, or an `https` URL.
    pub fn image_uri(self, uri: impl Into<String>, mime_type: impl Into<String>) -> Self {
        self.content(InteractionContent::Image {
            data: None,
            mime_type: Some(mime_type.into()),
            resolution: None,
            uri: Some(uri.into()),
        })
    }

    /// An uploaded file (see [`Files::upload`](crate::Files::upload)) as an image of the turn.
    pub fn file(self, file: &File) -> Self {
        self.content(file_content(file))
    }

    /// Parts as `generateContent` takes them — text, [`image_part`](crate::image_part) (its
    /// MIME type read from the bytes), a [`File`] — as blocks of the turn.
    pub fn parts(mut self, parts: impl IntoParts) -> Self {
        self.turn.extend(
            parts
                .into_parts()
                .into_iter()
                .filter_map(content_of_part)
                .map(OpenUnion::from),
        );
        self
    }

    /// Any content block of the turn.
    pub fn content(mut self, content: impl Into<OpenUnion<InteractionContent>>) -> Self {
        self.turn.push(content.into());
        self
    }

    /// Steps sent before the turn, exactly as given: a stateless conversation's history (the
    /// model's steps re-sent as received, thought signatures included), with
    /// [`store(false)`](Self::store).
    pub fn history(mut self, steps: impl IntoIterator<Item = OpenUnion<InteractionStep>>) -> Self {
        self.history.extend(steps);
        self
    }

    /// What to answer with (`response_format`).
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.request.response_format = format.build();
        self
    }

    /// Continues the stored interaction `id`: the server keeps its history (images and thought
    /// signatures included), so only the new turn is sent.
    pub fn previous_interaction_id(mut self, id: impl Into<String>) -> Self {
        self.request.previous_interaction_id = Some(id.into());
        self
    }

    /// Whether the server keeps the interaction (it does unless told `false`). Without it the
    /// answer has no `id`, and no later turn can continue from it.
    pub fn store(mut self, store: bool) -> Self {
        self.request.store = Some(store);
        self
    }

    /// Answer at once (`in_progress`) and run in the background; wait for it with
    /// [`Interactions::wait`](crate::Interactions::wait). Needs the interaction stored.
    pub fn background(mut self, background: bool) -> Self {
        self.request.background = Some(background);
        self
    }

    /// The system instruction (a plain string on this API).
    pub fn system_instruction(mut self, instruction: impl Into<String>) -> Self {
        self.request.system_instruction = Some(instruction.into());
        self
    }

    /// How much the model thinks (`low`, `high` …: the wire wants it lowercase).
    pub fn thinking_level(mut self, level: ThinkingLevel) -> Self {
        let config = self.request.generation_config.get_or_insert_default();
        config.thinking_level = Some(level.to_string().to_lowercase());
        self
    }

    /// The whole generation config (seed, stop sequences, thinking …), replacing what was set.
    pub fn generation_config(mut self, config: InteractionGenerationConfig) -> Self {
        self.request.generation_config = Some(config);
        self
    }

    /// The body.
    pub fn build(self) -> CreateInteractionRequest {
        let Self {
            mut request,
            history,
            mut turn,
        } = self;
        let text_alone = matches!(
            turn.as_slice(),
            [OpenUnion::Known(InteractionContent::Text { annotations, .. })] if annotations.is_empty()
        );
        request.input = if history.is_empty() && turn.is_empty() {
            None
        } else if history.is_empty() && text_alone {
            match turn.pop() {
                Some(OpenUnion::Known(InteractionContent::Text {
                    text: Some(text), ..
                })) => Some(InteractionInput::String(text)),
                _ => Some(InteractionInput::String(String::new())),
            }
        } else {
            let mut items: Vec<OpenUnion<InteractionKnownInputItem>> = history
                .into_iter()
                .map(|step| match step {
                    OpenUnion::Known(step) => InteractionKnownInputItem::Step(step).into(),
                    OpenUnion::Unknown(fields) => OpenUnion::Unknown(fields),
                })
                .collect();
            if !turn.is_empty() {
                items.push(InteractionKnownInputItem::Step(user_input(turn)).into());
            }
            Some(InteractionInput::Array(items))
        };
        request
    }
}

impl From<InteractionRequest> for CreateInteractionRequest {
    fn from(request: InteractionRequest) -> Self {
        request.build()
    }
}

/// `response_format`: what the model answers with. One format goes out as an object, several
/// as a list (`[{"type": "text"}, {"type": "image"}]`: text and images interleaved).
///
/// ```
/// use gemini_image::ResponseFormat;
/// use gemini_image::types::{AspectRatio, ImageSize};
///
/// let one = ResponseFormat::image().size(ImageSize::X4k).aspect_ratio(AspectRatio::X11).build();
/// assert_eq!(
///     serde_json::to_value(one)?,
///     serde_json::json!({"type": "image", "image_size": "4K", "aspect_ratio": "1:1"})
/// );
/// let interleaved = ResponseFormat::text().and_image().size(ImageSize::X512).build();
/// assert_eq!(
///     serde_json::to_value(interleaved)?,
///     serde_json::json!([{"type": "text"}, {"type": "image", "image_size": "512"}])
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[must_use]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseFormat {
    formats: Vec<InteractionResponseFormat>,
}

impl ResponseFormat {
    /// An image.
    pub fn image() -> Self {
        Self::default().and_image()
    }

    /// Text.
    pub fn text() -> Self {
        Self::default().and_text()
    }

    /// Text too, after what is there.
    pub fn and_text(mut self) -> Self {
        self.formats.push(format_of("text"));
        self
    }

    /// An image too, after what is there.
    pub fn and_image(mut self) -> Self {
        self.formats.push(format_of("image"));
        self
    }

    /// The image's size: `512`, `1K`, `2K`, `4K` (the model's table says which it makes).
    pub fn size(self, size: impl Into<crate::OpenEnum<ImageSize>>) -> Self {
        let size = size.into();
        self.with_image(|image| image.image_size = Some(size))
    }

    /// The image's aspect ratio (`16:9` …).
    pub fn aspect_ratio(self, ratio: impl Into<crate::OpenEnum<AspectRatio>>) -> Self {
        let ratio = ratio.into();
        self.with_image(|image| image.aspect_ratio = Some(ratio))
    }

    /// The image's MIME type (`image/jpeg` is the only one the API lists).
    pub fn mime_type(self, mime_type: impl Into<String>) -> Self {
        let mime_type = mime_type.into();
        self.with_image(|image| image.mime_type = Some(mime_type))
    }

    /// `response_format`, or `None` when no format was named.
    pub fn build(mut self) -> Option<InteractionResponseFormats> {
        match self.formats.len() {
            0 => None,
            1 => self.formats.pop().map(InteractionResponseFormats::from),
            _ => Some(InteractionResponseFormats::Array(self.formats)),
        }
    }

    /// Changes the last image format, adding one when there is none.
    fn with_image(mut self, change: impl FnOnce(&mut InteractionResponseFormat)) -> Self {
        if !self.formats.iter().any(|f| f.type_ == "image") {
            self.formats.push(format_of("image"));
        }
        if let Some(image) = self.formats.iter_mut().rev().find(|f| f.type_ == "image") {
            change(image);
        }
        self
    }
}

fn format_of(kind: &str) -> InteractionResponseFormat {
    InteractionResponseFormat {
        aspect_ratio: None,
        delivery: None,
        image_size: None,
        mime_type: None,
        schema: serde_json::Map::new(),
        type_: kind.to_string(),
    }
}
