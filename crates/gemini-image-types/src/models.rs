//! The image models and their lifecycle: one table, read by the client (constants, a warning
//! before a shutdown), the mock (what it serves) and the command line (defaults, `models`).
//!
//! Google shuts models down on announced dates, and a model past its date answers 404 as if it
//! had never existed. Keeping the dates here — not scattered over modules — makes the next
//! announcement a one-row change. Each row names where its facts come from (the project's
//! reference notes, with their evidence tags); a fact the references do not settle is marked as
//! a decision in its row's `source`.
//!
//! ```
//! use gemini_image_types::models::{self, Lifecycle};
//!
//! let retired = models::find("models/gemini-2.5-flash-image").unwrap();
//! assert_eq!(retired.shutdown, Some("2026-10-02"));
//! assert_eq!(retired.replacement, Some(models::GEMINI_3_1_FLASH_IMAGE));
//! assert_eq!(retired.lifecycle_on("2026-11-29"), Lifecycle::Retired);
//! assert_eq!(retired.lifecycle_on("2026-09-20"), Lifecycle::Retiring { days_left: 12 });
//!
//! let live = models::find(models::GEMINI_3_1_FLASH_IMAGE).unwrap();
//! assert_eq!(live.lifecycle_on("2026-11-29"), Lifecycle::Live);
//! assert!(live.image_sizes.contains(&"512"));
//! ```

use time::{Date, Month, OffsetDateTime};

/// Nano Banana 2: the default image model (sizes 512 to 4K).
pub const GEMINI_3_1_FLASH_IMAGE: &str = "gemini-3.1-flash-image";
/// Nano Banana Pro: the highest-quality image model (1K to 4K).
pub const GEMINI_3_PRO_IMAGE: &str = "gemini-3-pro-image";
/// The cheapest image model.
pub const GEMINI_3_1_FLASH_LITE_IMAGE: &str = "gemini-3.1-flash-lite-image";
/// A live text model: what replaces the Gemini 2.5 text models (for prompts, chat and tests).
pub const GEMINI_3_5_FLASH: &str = "gemini-3.5-flash";

/// How many days before its shutdown a model counts as retiring.
pub const RETIRING_DAYS: i64 = 30;

/// The family of a model, which decides its rules and the shape of its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Gemini 2.0 Flash image generation: PNG; must be asked for TEXT with IMAGE.
    Gemini20Image,
    /// Gemini 2.5 Flash Image: PNG, 1K only, 1290 tokens per image.
    Gemini25Image,
    /// Gemini 3 image models: JPEG, thinking, thought signatures, sizes by `imageSize`.
    Gemini3Image,
    /// Imagen: images from `:predict` only.
    Imagen,
    /// Text-only Gemini models.
    Text,
}

impl Family {
    /// Whether models of this family can answer with images.
    #[must_use]
    pub fn makes_images(self) -> bool {
        self != Self::Text
    }
}

/// Where a model stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Served, with no shutdown within [`RETIRING_DAYS`].
    Live,
    /// Served, but shut down in `days_left` days.
    Retiring {
        /// Days until the shutdown date.
        days_left: i64,
    },
    /// Shut down: Google answers 404, as for a model that never existed.
    Retired,
}

/// One model of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The id without `models/`.
    pub id: &'static str,
    /// The name Google shows.
    pub display_name: &'static str,
    /// Its family, which decides its rules and answers.
    pub family: Family,
    /// Its `version`, as `models.get` reports it.
    pub version: &'static str,
    /// Its `description`, as `models.get` reports it.
    pub description: &'static str,
    /// Its `inputTokenLimit`.
    pub input_token_limit: i32,
    /// Its `outputTokenLimit`.
    pub output_token_limit: i32,
    /// The MIME type of its images.
    pub image_mime_type: Option<&'static str>,
    /// The `imageSize` values it takes (empty: it takes none).
    pub image_sizes: &'static [&'static str],
    /// The `aspectRatio` values it takes.
    pub aspect_ratios: &'static [&'static str],
    /// How many images a request may carry as references.
    pub max_reference_images: u32,
    /// Whether it thinks (thought parts and signatures before its answer).
    pub thinking: bool,
    /// The day it was released (ISO 8601), when known.
    pub released: Option<&'static str>,
    /// The day it is (or was) shut down (ISO 8601), when announced.
    pub shutdown: Option<&'static str>,
    /// What to use instead, once it is retired or retiring.
    pub replacement: Option<&'static str>,
    /// Where the facts of this row come from.
    pub source: &'static str,
}

/// The ten aspect ratios of the 2.x models.
const RATIOS_10: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];
/// The fourteen of the 3.x models: the ten, and the extreme 1:4, 4:1, 1:8, 8:1.
const RATIOS_14: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1", "1:8",
    "8:1",
];
/// Imagen's five.
const RATIOS_IMAGEN: &[&str] = &["1:1", "3:4", "4:3", "9:16", "16:9"];

/// Every model the project knows, live or retired, in `models.list` order.
pub const MODELS: &[ModelInfo] = &[
    ModelInfo {
        id: "gemini-2.0-flash-exp-image-generation",
        display_name: "Gemini 2.0 Flash (Image Generation) Experimental",
        family: Family::Gemini20Image,
        version: "2.0",
        description: "Gemini 2.0 Flash (Image Generation) Experimental",
        input_token_limit: 1048576,
        output_token_limit: 8192,
        image_mime_type: Some("image/png"),
        image_sizes: &[],
        aspect_ratios: RATIOS_10,
        max_reference_images: 3,
        thinking: false,
        released: None,
        shutdown: Some("2026-06-01"),
        replacement: Some(GEMINI_3_1_FLASH_IMAGE),
        source: "gemini-api.md §8: the 2.0 family shut down 2026-06-01 [DOCS deprecations]",
    },
    ModelInfo {
        id: "gemini-2.5-flash",
        display_name: "Gemini 2.5 Flash",
        family: Family::Text,
        version: "001",
        description: "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens.",
        input_token_limit: 1048576,
        output_token_limit: 65536,
        image_mime_type: None,
        image_sizes: &[],
        aspect_ratios: &[],
        max_reference_images: 3000,
        thinking: true,
        released: Some("2025-06-17"),
        shutdown: Some("2026-12-01"),
        replacement: Some(GEMINI_3_5_FLASH),
        source: "shutdown 2026-12-01: Google's deprecations page as quoted by issue 15 [DOCS][3P]; \
                 the references name no replacement: gemini-3.5-flash is our decision (the live \
                 Flash text model of interactions-api.md §5.1 [REAL])",
    },
    ModelInfo {
        id: "gemini-2.5-flash-image",
        display_name: "Nano Banana",
        family: Family::Gemini25Image,
        version: "2.0",
        description: "Gemini 2.5 Flash Preview Image",
        input_token_limit: 32768,
        output_token_limit: 32768,
        image_mime_type: Some("image/png"),
        image_sizes: &[],
        aspect_ratios: RATIOS_10,
        max_reference_images: 3,
        thinking: false,
        released: Some("2025-10-02"),
        shutdown: Some("2026-10-02"),
        replacement: Some(GEMINI_3_1_FLASH_IMAGE),
        source: "gemini-api.md §8 (GA 2025-10-02, shutdown 2026-10-02 → gemini-3.1-flash-image); \
                 interactions-api.md §9 [gemini-rust CHANGELOG][3P]",
    },
    ModelInfo {
        id: "gemini-2.5-pro",
        display_name: "Gemini 2.5 Pro",
        family: Family::Text,
        version: "2.5",
        description: "Stable release of Gemini 2.5 Pro.",
        input_token_limit: 1048576,
        output_token_limit: 65536,
        image_mime_type: None,
        image_sizes: &[],
        aspect_ratios: &[],
        max_reference_images: 3000,
        thinking: true,
        released: Some("2025-06-17"),
        shutdown: Some("2026-12-01"),
        replacement: Some(GEMINI_3_5_FLASH),
        source: "shutdown 2026-12-01: Google's deprecations page as quoted by issue 15 [DOCS][3P]; \
                 replacement gemini-3.5-flash: our decision, as for gemini-2.5-flash",
    },
    ModelInfo {
        id: GEMINI_3_PRO_IMAGE,
        display_name: "Nano Banana Pro",
        family: Family::Gemini3Image,
        version: "3.0",
        description: "Gemini 3 Pro Image",
        input_token_limit: 131072,
        output_token_limit: 32768,
        image_mime_type: Some("image/jpeg"),
        image_sizes: &["1K", "2K", "4K"],
        aspect_ratios: RATIOS_14,
        max_reference_images: 14,
        thinking: true,
        released: Some("2026-05-28"),
        shutdown: None,
        replacement: None,
        source: "gemini-api.md §8 (GA 2026-05-28); interactions-api.md §9: sizes 1K/2K/4K (one 3P \
                 list adds 512: not taken), 14 ratios, 14 references [3P]",
    },
    ModelInfo {
        id: "gemini-3-pro-image-preview",
        display_name: "Nano Banana Pro",
        family: Family::Gemini3Image,
        version: "3.0",
        description: "Gemini 3 Pro Image Preview",
        input_token_limit: 131072,
        output_token_limit: 32768,
        image_mime_type: Some("image/jpeg"),
        image_sizes: &["1K", "2K", "4K"],
        aspect_ratios: RATIOS_10,
        max_reference_images: 14,
        thinking: true,
        released: Some("2025-11-20"),
        shutdown: Some("2026-06-25"),
        replacement: Some(GEMINI_3_PRO_IMAGE),
        source: "gemini-api.md §8 (released 2025-11-20, shut down 2026-06-25 → gemini-3-pro-image)",
    },
    ModelInfo {
        id: GEMINI_3_1_FLASH_IMAGE,
        display_name: "Nano Banana 2",
        family: Family::Gemini3Image,
        version: "3.0",
        description: "Gemini 3.1 Flash Image.",
        input_token_limit: 65536,
        output_token_limit: 65536,
        image_mime_type: Some("image/jpeg"),
        image_sizes: &["512", "1K", "2K", "4K"],
        aspect_ratios: RATIOS_14,
        max_reference_images: 14,
        thinking: true,
        released: Some("2026-05-28"),
        shutdown: None,
        replacement: None,
        source: "gemini-api.md §8 (GA 2026-05-28); interactions-api.md §9: sizes 512/1K/2K/4K, 14 \
                 ratios, 14 references [3P, verified live 2026-10-06]",
    },
    ModelInfo {
        id: GEMINI_3_1_FLASH_LITE_IMAGE,
        display_name: "Nano Banana 2 Lite",
        family: Family::Gemini3Image,
        version: "3.0",
        description: "Gemini 3.1 Flash Lite Image.",
        input_token_limit: 65536,
        output_token_limit: 65536,
        image_mime_type: Some("image/jpeg"),
        image_sizes: &["1K"],
        aspect_ratios: RATIOS_14,
        max_reference_images: 14,
        thinking: true,
        released: None,
        shutdown: None,
        replacement: None,
        source: "interactions-api.md §9 [SDK enum; 3P]: size 1K (a second 3P list adds 512: not \
                 taken until confirmed); release date and display name unconfirmed (decision)",
    },
    ModelInfo {
        id: "gemini-3.1-flash-image-preview",
        display_name: "Nano Banana 2",
        family: Family::Gemini3Image,
        version: "3.0",
        description: "Gemini 3.1 Flash Image Preview.",
        input_token_limit: 65536,
        output_token_limit: 65536,
        image_mime_type: Some("image/jpeg"),
        image_sizes: &["1K", "2K", "4K"],
        aspect_ratios: RATIOS_14,
        max_reference_images: 14,
        thinking: true,
        released: Some("2026-02-26"),
        shutdown: Some("2026-06-25"),
        replacement: Some(GEMINI_3_1_FLASH_IMAGE),
        source: "gemini-api.md §8 (released 2026-02-26, shut down 2026-06-25 → gemini-3.1-flash-image)",
    },
    ModelInfo {
        id: GEMINI_3_5_FLASH,
        display_name: "Gemini 3.5 Flash",
        family: Family::Text,
        version: "3.5",
        description: "Gemini 3.5 Flash",
        input_token_limit: 1048576,
        output_token_limit: 65536,
        image_mime_type: None,
        image_sizes: &[],
        aspect_ratios: &[],
        max_reference_images: 3000,
        thinking: true,
        released: None,
        shutdown: None,
        replacement: None,
        source: "served 2026-06/07: interactions-api.md §5.1 and files-batch-vertex-replay.md \
                 (batch of 2026-07-02) [REAL]; token limits and description as Gemini 3 Flash's \
                 model page [DOCS]; version and release date unconfirmed (decision)",
    },
    ModelInfo {
        id: "imagen-3.0-generate-002",
        display_name: "Imagen 3.0",
        family: Family::Imagen,
        version: "002",
        description: "Vertex served Imagen 3.0 002 model",
        input_token_limit: 480,
        output_token_limit: 8192,
        image_mime_type: Some("image/png"),
        image_sizes: &[],
        aspect_ratios: RATIOS_IMAGEN,
        max_reference_images: 0,
        thinking: false,
        released: None,
        shutdown: Some("2026-08-17"),
        replacement: Some(GEMINI_3_1_FLASH_IMAGE),
        source: "gemini-api.md §8: every Imagen model shut down 2026-08-17 [DOCS Firebase]",
    },
    ModelInfo {
        id: "imagen-4.0-generate-001",
        display_name: "Imagen 4",
        family: Family::Imagen,
        version: "001",
        description: "Vertex served Imagen 4.0 model",
        input_token_limit: 480,
        output_token_limit: 8192,
        image_mime_type: Some("image/png"),
        image_sizes: &["1K", "2K"],
        aspect_ratios: RATIOS_IMAGEN,
        max_reference_images: 0,
        thinking: false,
        released: None,
        shutdown: Some("2026-08-17"),
        replacement: Some(GEMINI_3_1_FLASH_IMAGE),
        source: "gemini-api.md §8: every Imagen model shut down 2026-08-17 [DOCS Firebase]",
    },
];

/// A model by id, with or without `models/`.
#[must_use]
pub fn find(id: &str) -> Option<&'static ModelInfo> {
    let id = id.strip_prefix("models/").unwrap_or(id);
    MODELS.iter().find(|model| model.id == id)
}

/// Today in UTC, as an ISO 8601 date (`2026-11-29`): the day the lifecycle is judged on.
#[must_use]
pub fn today() -> String {
    OffsetDateTime::now_utc().date().to_string()
}

/// An ISO 8601 date (`YYYY-MM-DD`).
fn parse(iso: &str) -> Option<Date> {
    let mut parts = iso.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

impl ModelInfo {
    /// The methods the model answers, as Google names them (`generateContent`, `predict`, …).
    #[must_use]
    pub fn methods(&self) -> &'static [&'static str] {
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

    /// Whether the model answers `method`.
    #[must_use]
    pub fn supports(&self, method: &str) -> bool {
        self.methods().contains(&method)
    }

    /// The model as `models.get` and `models.list` describe it.
    ///
    /// ```
    /// let model = gemini_image_types::models::find("gemini-3.1-flash-image").unwrap();
    /// let described = model.describe();
    /// assert_eq!(described.name.as_deref(), Some("models/gemini-3.1-flash-image"));
    /// assert!(described.supported_generation_methods.contains(&"generateContent".to_string()));
    /// ```
    #[must_use]
    pub fn describe(&self) -> crate::types::Model {
        let generates = self.family != Family::Imagen;
        crate::types::Model {
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
                .filter(|method| **method != "streamGenerateContent")
                .map(|method| (*method).to_string())
                .collect(),
            temperature: generates.then_some(1.0),
            top_p: generates.then_some(0.95),
            top_k: generates.then_some(64),
            max_temperature: generates.then_some(if self.family == Family::Text {
                2.0
            } else {
                1.0
            }),
            thinking: self.thinking.then_some(true),
            ..Default::default()
        }
    }

    /// Where the model stands on `day` (ISO 8601); a day that does not parse counts as today.
    #[must_use]
    pub fn lifecycle_on(&self, day: &str) -> Lifecycle {
        self.lifecycle_at(parse(day).unwrap_or_else(|| OffsetDateTime::now_utc().date()))
    }

    /// Where the model stands today.
    #[must_use]
    pub fn lifecycle(&self) -> Lifecycle {
        self.lifecycle_at(OffsetDateTime::now_utc().date())
    }

    fn lifecycle_at(&self, day: Date) -> Lifecycle {
        let Some(shutdown) = self.shutdown.and_then(parse) else {
            return Lifecycle::Live;
        };
        let days_left = (shutdown - day).whole_days();
        match days_left {
            ..=0 => Lifecycle::Retired,
            1..=RETIRING_DAYS => Lifecycle::Retiring { days_left },
            _ => Lifecycle::Live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_date_parses_and_every_replacement_is_a_live_model() {
        for model in MODELS {
            for date in [model.released, model.shutdown].into_iter().flatten() {
                assert!(parse(date).is_some(), "{}: {date}", model.id);
            }
            if let Some(replacement) = model.replacement {
                let replacement = find(replacement).expect("the replacement is in the table");
                assert_eq!(
                    replacement.shutdown, None,
                    "{} → {}",
                    model.id, replacement.id
                );
            }
            if matches!(model.family, Family::Gemini25Image | Family::Gemini3Image) {
                assert_eq!(
                    model.image_sizes.is_empty(),
                    model.image_mime_type == Some("image/png"),
                    "{}: the 2.x image models (PNG) take no imageSize, the 3.x (JPEG) do",
                    model.id
                );
            }
        }
    }

    #[test]
    fn the_shutdown_day_is_retired_and_the_thirty_days_before_are_retiring() {
        let model = find("gemini-2.5-flash-image").unwrap();
        assert_eq!(model.lifecycle_on("2026-10-02"), Lifecycle::Retired);
        assert_eq!(
            model.lifecycle_on("2026-10-01"),
            Lifecycle::Retiring { days_left: 1 }
        );
        assert_eq!(
            model.lifecycle_on("2026-09-02"),
            Lifecycle::Retiring { days_left: 30 }
        );
        assert_eq!(model.lifecycle_on("2026-09-01"), Lifecycle::Live);
        assert_eq!(today().len(), 10);
        assert!(parse("2026-02-30").is_none() && parse("soon").is_none());
    }
}
