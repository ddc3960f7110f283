//! The models the mock knows, shaped like Google's ListModels answer.

/// What a model does, which decides its rules and its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// gemini-2.0-flash-exp image generation: PNG, must answer TEXT with IMAGE.
    Gemini20Image,
    /// Gemini 2.5 Flash Image: PNG, 1290 tokens per image, 1K only.
    Gemini25Image,
    /// Gemini 3 image models: JPEG, thinking, thought signatures, 1K/2K/4K.
    Gemini3Image,
    /// Imagen (`:predict` only).
    Imagen,
    /// Text-only Gemini models.
    Text,
}

/// One model of the catalogue.
#[derive(Debug)]
pub struct Model {
    /// The id without `models/`.
    pub id: &'static str,
    /// What it does, which decides its rules and answers.
    pub family: Family,
    display_name: &'static str,
    description: &'static str,
    version: &'static str,
    input_token_limit: i32,
    output_token_limit: i32,
}

impl Model {
    /// Whether the model answers `method` (`generateContent`, `predict`, …).
    pub fn supports(&self, method: &str) -> bool {
        self.methods().contains(&method)
    }

    fn methods(&self) -> &'static [&'static str] {
        match self.family {
            Family::Imagen => &["predict"],
            _ => &[
                "generateContent",
                "countTokens",
                "batchGenerateContent",
                "streamGenerateContent",
            ],
        }
    }

    /// Whether the model can output images.
    pub fn makes_images(&self) -> bool {
        !matches!(self.family, Family::Text)
    }

    /// Whether the model thinks (thought parts, signatures, thoughtsTokenCount).
    pub fn thinks(&self) -> bool {
        matches!(self.family, Family::Gemini3Image | Family::Text)
    }

    /// The catalogue entry as ListModels describes it.
    ///
    /// ```
    /// let model = gemini_image_mock::catalogue::find("models/gemini-2.5-flash-image").unwrap();
    /// let described = model.describe();
    /// assert_eq!(described.name.as_deref(), Some("models/gemini-2.5-flash-image"));
    /// assert!(described.supported_generation_methods.contains(&"generateContent".to_string()));
    /// ```
    pub fn describe(&self) -> gemini_image_types::types::Model {
        let generates = self.family != Family::Imagen;
        gemini_image_types::types::Model {
            name: Some(format!("models/{}", self.id)),
            version: Some(self.version.to_string()),
            display_name: Some(self.display_name.to_string()),
            description: Some(self.description.to_string()),
            input_token_limit: Some(self.input_token_limit),
            output_token_limit: Some(self.output_token_limit),
            // Streaming is not listed: Google lists the RPC, generateContent, only.
            supported_generation_methods: self
                .methods()
                .iter()
                .filter(|m| **m != "streamGenerateContent")
                .map(|m| m.to_string())
                .collect(),
            temperature: generates.then_some(1.0),
            top_p: generates.then_some(0.95),
            top_k: generates.then_some(64),
            max_temperature: generates.then_some(if self.family == Family::Text {
                2.0
            } else {
                1.0
            }),
            thinking: self.thinks().then_some(true),
            ..Default::default()
        }
    }
}

macro_rules! model {
    ($id:literal, $family:ident, $name:literal, $description:literal, $version:literal, $input:literal, $output:literal) => {
        Model {
            id: $id,
            family: Family::$family,
            display_name: $name,
            description: $description,
            version: $version,
            input_token_limit: $input,
            output_token_limit: $output,
        }
    };
}

/// The catalogue, in the order ListModels returns it.
pub static MODELS: &[Model] = &[
    model!(
        "gemini-2.0-flash-exp-image-generation",
        Gemini20Image,
        "Gemini 2.0 Flash (Image Generation) Experimental",
        "Gemini 2.0 Flash (Image Generation) Experimental",
        "2.0",
        1048576,
        8192
    ),
    model!(
        "gemini-2.5-flash",
        Text,
        "Gemini 2.5 Flash",
        "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens.",
        "001",
        1048576,
        65536
    ),
    model!(
        "gemini-2.5-flash-image",
        Gemini25Image,
        "Nano Banana",
        "Gemini 2.5 Flash Preview Image",
        "2.0",
        32768,
        32768
    ),
    model!(
        "gemini-2.5-pro",
        Text,
        "Gemini 2.5 Pro",
        "Stable release of Gemini 2.5 Pro.",
        "2.5",
        1048576,
        65536
    ),
    model!(
        "gemini-3-pro-image",
        Gemini3Image,
        "Nano Banana Pro",
        "Gemini 3 Pro Image",
        "3.0",
        131072,
        32768
    ),
    model!(
        "gemini-3-pro-image-preview",
        Gemini3Image,
        "Nano Banana Pro",
        "Gemini 3 Pro Image Preview",
        "3.0",
        131072,
        32768
    ),
    model!(
        "gemini-3.1-flash-image",
        Gemini3Image,
        "Nano Banana 2",
        "Gemini 3.1 Flash Image.",
        "3.0",
        65536,
        65536
    ),
    model!(
        "gemini-3.1-flash-lite-image",
        Gemini3Image,
        "Nano Banana 2 Lite",
        "Gemini 3.1 Flash Lite Image.",
        "3.0",
        65536,
        65536
    ),
    model!(
        "gemini-3.1-flash-image-preview",
        Gemini3Image,
        "Nano Banana 2",
        "Gemini 3.1 Flash Image Preview.",
        "3.0",
        65536,
        65536
    ),
    model!(
        "imagen-3.0-generate-002",
        Imagen,
        "Imagen 3.0",
        "Vertex served Imagen 3.0 002 model",
        "002",
        480,
        8192
    ),
    model!(
        "imagen-4.0-generate-001",
        Imagen,
        "Imagen 4",
        "Vertex served Imagen 4.0 model",
        "001",
        480,
        8192
    ),
];

/// A model by id, with or without `models/`.
///
/// ```
/// use gemini_image_mock::catalogue::{find, Family};
/// assert_eq!(find("gemini-3-pro-image-preview").unwrap().family, Family::Gemini3Image);
/// assert!(find("models/imagen-4.0-generate-001").unwrap().supports("predict"));
/// assert!(find("gemini-9-ultra").is_none());
/// ```
pub fn find(id: &str) -> Option<&'static Model> {
    let id = id.strip_prefix("models/").unwrap_or(id);
    MODELS.iter().find(|m| m.id == id)
}
