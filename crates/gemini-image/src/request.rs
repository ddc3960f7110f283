//! [`RequestBuilder`]: a `generateContent` request in a few chained calls. It fills the
//! generated [`GenerateContentRequest`]; anything it has no method for is one
//! [`RequestBuilder::with`] away.

use crate::parts::IntoParts;
use crate::types::{
    AspectRatio, Content, GenerateContentRequest, GenerationConfig, HarmBlockThreshold,
    HarmCategory, ImageConfig, ImageOutputOptions, ImagePersonGeneration, ImageSize, Modality,
    SafetySetting, ThinkingConfig, ThinkingLevel, Tool, ToolGoogleSearch,
};

/// Builds a [`GenerateContentRequest`].
///
/// ```
/// use gemini_image::RequestBuilder;
/// use gemini_image::types::{AspectRatio, HarmBlockThreshold, HarmCategory, ImageSize};
///
/// let request = RequestBuilder::image()
///     .text("a watercolour fox in the snow")
///     .aspect_ratio(AspectRatio::X169)
///     .image_size(ImageSize::X2k)
///     .seed(7)
///     .safety(HarmCategory::HarmCategoryHarassment, HarmBlockThreshold::BlockOnlyHigh)
///     .build();
/// let json = serde_json::to_value(&request)?;
/// assert_eq!(json["generationConfig"]["responseModalities"], serde_json::json!(["TEXT", "IMAGE"]));
/// assert_eq!(json["generationConfig"]["imageConfig"]["aspectRatio"], "16:9");
/// assert_eq!(json["contents"][0]["role"], "user");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBuilder {
    request: GenerateContentRequest,
}

impl Default for RequestBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestBuilder {
    /// An empty request: no turn, the model's own defaults.
    pub fn new() -> Self {
        RequestBuilder {
            request: GenerateContentRequest {
                cached_content: None,
                contents: Vec::new(),
                continuation_token: None,
                generation_config: None,
                labels: Default::default(),
                model: None,
                safety_settings: Vec::new(),
                service_tier: None,
                store: None,
                system_instruction: None,
                tool_config: None,
                tools: Vec::new(),
            },
        }
    }

    /// A request for text and images (`responseModalities: ["TEXT", "IMAGE"]`), as image models
    /// take it.
    pub fn image() -> Self {
        Self::new().modalities([Modality::Text, Modality::Image])
    }

    /// Adds parts to the last user turn, starting one if the last turn is not the user's.
    #[must_use]
    pub fn parts(mut self, parts: impl IntoParts) -> Self {
        let contents = &mut self.request.contents;
        match contents.last_mut() {
            Some(turn) if turn.role.as_deref() == Some("user") => {
                turn.parts.extend(parts.into_parts())
            }
            _ => contents.push(Content {
                parts: parts.into_parts(),
                role: Some("user".to_string()),
            }),
        }
        self
    }

    /// Adds a text part to the user turn.
    #[must_use]
    pub fn text(self, text: impl Into<String>) -> Self {
        self.parts(text.into())
    }

    /// Adds a whole turn (`user` or `model`) — history, for a conversation kept by hand.
    #[must_use]
    pub fn turn(mut self, content: Content) -> Self {
        self.request.contents.push(content);
        self
    }

    /// The system instruction.
    #[must_use]
    pub fn system(mut self, instruction: impl Into<String>) -> Self {
        self.request.system_instruction = Some(Content {
            parts: instruction.into().into_parts(),
            role: None,
        });
        self
    }

    /// What the model may answer with: `[Text, Image]`, or `[Image]` alone.
    #[must_use]
    pub fn modalities(mut self, modalities: impl IntoIterator<Item = Modality>) -> Self {
        self.config().response_modalities = modalities.into_iter().map(Into::into).collect();
        self
    }

    /// The aspect ratio of generated images.
    #[must_use]
    pub fn aspect_ratio(mut self, ratio: AspectRatio) -> Self {
        self.image_config().aspect_ratio = Some(ratio.into());
        self
    }

    /// The size of generated images (`1K`, `2K`, `4K`; Gemini 3 image models).
    #[must_use]
    pub fn image_size(mut self, size: ImageSize) -> Self {
        self.image_config().image_size = Some(size.into());
        self
    }

    /// Whether people may be drawn (Vertex AI only: the Gemini API refuses it, and so does the
    /// client, before sending).
    #[must_use]
    pub fn person_generation(mut self, setting: ImagePersonGeneration) -> Self {
        self.image_config().person_generation = Some(setting.into());
        self
    }

    /// How the image is encoded — `image/png` or `image/jpeg`, and a JPEG's quality 0–100
    /// (Vertex AI only: the Gemini API refuses it, and so does the client, before sending).
    ///
    /// ```
    /// let request = gemini_image::RequestBuilder::image()
    ///     .text("a lighthouse")
    ///     .output_format("image/jpeg", Some(80))
    ///     .build();
    /// let json = serde_json::to_value(&request).unwrap();
    /// assert_eq!(
    ///     json["generationConfig"]["imageConfig"]["imageOutputOptions"],
    ///     serde_json::json!({"mimeType": "image/jpeg", "compressionQuality": 80})
    /// );
    /// ```
    #[must_use]
    pub fn output_format(mut self, mime_type: impl Into<String>, quality: Option<i32>) -> Self {
        self.image_config().image_output_options = Some(ImageOutputOptions {
            mime_type: Some(mime_type.into()),
            compression_quality: quality,
        });
        self
    }

    /// How many candidates to generate.
    #[must_use]
    pub fn candidate_count(mut self, count: i32) -> Self {
        self.config().candidate_count = Some(count);
        self
    }

    /// The sampling seed, for answers that repeat.
    #[must_use]
    pub fn seed(mut self, seed: i32) -> Self {
        self.config().seed = Some(seed);
        self
    }

    /// The sampling temperature.
    #[must_use]
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.config().temperature = Some(temperature);
        self
    }

    /// Nucleus sampling: the probability mass to sample from.
    #[must_use]
    pub fn top_p(mut self, top_p: f32) -> Self {
        self.config().top_p = Some(top_p);
        self
    }

    /// The most tokens one candidate may have.
    #[must_use]
    pub fn max_output_tokens(mut self, tokens: i32) -> Self {
        self.config().max_output_tokens = Some(tokens);
        self
    }

    /// How strictly one harm category is blocked. Google allows one setting per category, so a
    /// later call for the same category replaces the earlier one.
    #[must_use]
    pub fn safety(mut self, category: HarmCategory, threshold: HarmBlockThreshold) -> Self {
        let setting = SafetySetting {
            category: category.into(),
            threshold: threshold.into(),
            method: None,
        };
        let settings = &mut self.request.safety_settings;
        match settings.iter_mut().find(|s| s.category == setting.category) {
            Some(earlier) => *earlier = setting,
            None => settings.push(setting),
        }
        self
    }

    /// A tool the model may use.
    #[must_use]
    pub fn tool(mut self, tool: Tool) -> Self {
        self.request.tools.push(tool);
        self
    }

    /// Grounding with Google Search (images of current events, real places).
    #[must_use]
    pub fn google_search(self) -> Self {
        self.tool(Tool {
            google_search: Some(ToolGoogleSearch::default()),
            ..Default::default()
        })
    }

    /// The thinking budget in tokens (`0` turns thinking off where the model allows, `-1`
    /// lets the model decide). Google refuses a budget and a level together, so this clears
    /// [`thinking_level`](Self::thinking_level).
    #[must_use]
    pub fn thinking_budget(mut self, tokens: i32) -> Self {
        let thinking = self.thinking();
        thinking.thinking_budget = Some(tokens);
        thinking.thinking_level = None;
        self
    }

    /// The thinking level (Gemini 3); clears [`thinking_budget`](Self::thinking_budget).
    #[must_use]
    pub fn thinking_level(mut self, level: ThinkingLevel) -> Self {
        let thinking = self.thinking();
        thinking.thinking_level = Some(level.into());
        thinking.thinking_budget = None;
        self
    }

    /// Whether the answer includes the model's thought summaries (parts with `thought: true`).
    #[must_use]
    pub fn include_thoughts(mut self, include: bool) -> Self {
        self.thinking().include_thoughts = Some(include);
        self
    }

    /// Anything else, on the generated request itself.
    ///
    /// ```
    /// let request = gemini_image::RequestBuilder::image()
    ///     .text("a kite")
    ///     .with(|r| r.generation_config.get_or_insert_default().stop_sequences = vec!["END".into()])
    ///     .build();
    /// assert_eq!(request.generation_config.unwrap().stop_sequences, ["END"]);
    /// ```
    #[must_use]
    pub fn with(mut self, change: impl FnOnce(&mut GenerateContentRequest)) -> Self {
        change(&mut self.request);
        self
    }

    /// The request.
    pub fn build(self) -> GenerateContentRequest {
        self.request
    }

    fn config(&mut self) -> &mut GenerationConfig {
        self.request.generation_config.get_or_insert_default()
    }

    fn image_config(&mut self) -> &mut ImageConfig {
        self.config().image_config.get_or_insert_default()
    }

    fn thinking(&mut self) -> &mut ThinkingConfig {
        self.config().thinking_config.get_or_insert_default()
    }
}

impl From<RequestBuilder> for GenerateContentRequest {
    fn from(builder: RequestBuilder) -> Self {
        builder.build()
    }
}
