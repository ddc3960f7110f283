//! Images out of a response ([`ResponseExt::images`], [`ResponseExt::outcome`]) and into a
//! request ([`image_part`], [`image_part_from_path`]).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use gemini_image_types::media::IMAGE_MIME_TYPES;

use crate::error::Error;
use crate::types::{Blob, BlockReason, FinishReason, GenerateContentResponse, Part};
use crate::{Base64Bytes, OpenEnum};

/// One decoded image.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// `image/png`, `image/jpeg` …
    pub mime_type: String,
    /// The file's bytes (no copy of the response's decoded data).
    pub bytes: Bytes,
}

impl Image {
    /// The image a part carries, if it is an `inlineData` part with data (no copy of it).
    pub fn from_part(part: &Part) -> Option<Image> {
        let blob = part.inline_data.as_ref()?;
        Some(Image {
            mime_type: blob.mime_type.clone().unwrap_or_default(),
            bytes: blob.data.clone()?.into_bytes(),
        })
    }

    /// The usual file extension for the MIME type (`png`, `jpg`, `webp` …).
    pub fn extension(&self) -> &'static str {
        match self.mime_type.as_str() {
            "image/png" => "png",
            "image/jpeg" | "image/jpg" => "jpg",
            "image/webp" => "webp",
            "image/gif" => "gif",
            "image/heic" => "heic",
            "image/heif" => "heif",
            _ => "bin",
        }
    }

    /// Writes the image to `path`, adding the extension when `path` has none; returns the path
    /// written.
    ///
    /// # Errors
    ///
    /// The I/O error of creating or writing the file.
    pub fn save(&self, path: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        let mut path = path.as_ref().to_path_buf();
        if path.extension().is_none() {
            path.set_extension(self.extension());
        }
        std::fs::write(&path, &self.bytes)?;
        Ok(path)
    }
}

/// What an image request produced: images, or why there are none. Matching on it makes a
/// missing image impossible to overlook.
///
/// ```
/// use gemini_image::{Outcome, ResponseExt};
/// use gemini_image::types::{FinishReason, GenerateContentResponse};
///
/// let body = r#"{"candidates": [{"content": {}, "finishReason": "IMAGE_SAFETY", "index": 0,
///   "finishMessage": "Unable to show the generated image."}]}"#;
/// let response: GenerateContentResponse = serde_json::from_str(body)?;
/// match response.outcome() {
///     Outcome::Images(images) => println!("{} images", images.len()),
///     Outcome::NoImage { finish_reason, message, .. } => {
///         assert!(finish_reason.is_some_and(|r| r == FinishReason::ImageSafety));
///         assert_eq!(message.as_deref(), Some("Unable to show the generated image."));
///     }
///     Outcome::PromptBlocked { .. } => unreachable!(),
/// }
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// At least one image (of the first candidate).
    Images(Vec<Image>),
    /// The model answered without an image: filtered (`IMAGE_SAFETY`,
    /// `IMAGE_PROHIBITED_CONTENT`, …), `NO_IMAGE`, `MAX_TOKENS`, or text only.
    NoImage {
        /// The first candidate's finish reason.
        finish_reason: Option<OpenEnum<FinishReason>>,
        /// Google's explanation, when it gives one.
        message: Option<String>,
        /// The text that came instead.
        text: String,
    },
    /// The prompt itself was blocked: no candidates at all.
    PromptBlocked {
        /// Why.
        reason: Option<OpenEnum<BlockReason>>,
        /// Google's explanation, when it gives one.
        message: Option<String>,
    },
}

/// Conveniences on a generated response.
pub trait ResponseExt {
    /// The images of the first candidate, in order — the answer's, not the interim drafts a
    /// thinking model shows in its thought parts.
    fn images(&self) -> Vec<Image>;
    /// The text of the first candidate (thoughts left out), parts joined.
    fn text(&self) -> String;
    /// Images, or why there are none.
    fn outcome(&self) -> Outcome;
}

impl ResponseExt for GenerateContentResponse {
    fn images(&self) -> Vec<Image> {
        first_parts(self)
            .filter(|p| p.thought != Some(true))
            .filter_map(Image::from_part)
            .collect()
    }

    fn text(&self) -> String {
        first_parts(self)
            .filter(|p| p.thought != Some(true))
            .filter_map(|p| p.text.as_deref())
            .collect()
    }

    fn outcome(&self) -> Outcome {
        let Some(candidate) = self.candidates.first() else {
            let feedback = self.prompt_feedback.as_ref();
            return Outcome::PromptBlocked {
                reason: feedback.and_then(|f| f.block_reason.clone()),
                message: feedback.and_then(|f| f.block_reason_message.clone()),
            };
        };
        let images = self.images();
        if images.is_empty() {
            Outcome::NoImage {
                finish_reason: candidate.finish_reason.clone(),
                message: candidate.finish_message.clone(),
                text: self.text(),
            }
        } else {
            Outcome::Images(images)
        }
    }
}

fn first_parts(response: &GenerateContentResponse) -> impl Iterator<Item = &Part> {
    response
        .candidates
        .first()
        .and_then(|c| c.content.as_ref())
        .into_iter()
        .flat_map(|c| &c.parts)
}

/// An `inlineData` part from image bytes, the MIME type read from the magic bytes.
///
/// ```
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// let part = gemini_image::image_part(png)?;
/// assert_eq!(part.inline_data.unwrap().mime_type.as_deref(), Some("image/png"));
/// assert!(gemini_image::image_part(b"plain text".to_vec()).is_err());
///
/// // A BMP is an image, but not one Gemini reads: the message says which it does.
/// let bmp = b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0".to_vec();
/// let refused = gemini_image::image_part(bmp).unwrap_err().to_string();
/// assert!(refused.contains("image/bmp") && refused.contains("image/webp"), "{refused}");
/// let ico = b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0".to_vec();
/// assert!(gemini_image::image_part(ico).is_err());
/// # Ok::<(), gemini_image::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Config`] when the bytes are not an image format Gemini reads; the message lists the
/// ones it does.
pub fn image_part(bytes: impl Into<Bytes>) -> Result<Part, Error> {
    let bytes = bytes.into();
    let mime_type = infer::get(&bytes)
        .map(|kind| kind.mime_type())
        .filter(|mime| IMAGE_MIME_TYPES.contains(mime))
        .ok_or_else(|| {
            let found = infer::get(&bytes).map_or("not an image", |kind| kind.mime_type());
            Error::Config(format!(
                "the input ({found}) is not an image Gemini reads: {}",
                IMAGE_MIME_TYPES.join(", ")
            ))
        })?;
    Ok(Part {
        inline_data: Some(Blob {
            mime_type: Some(mime_type.to_string()),
            data: Some(Base64Bytes::from(bytes)),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// An `inlineData` part from an image file.
///
/// # Errors
///
/// [`Error::Config`] when the file cannot be read or is not an image format Gemini reads.
pub fn image_part_from_path(path: impl AsRef<Path>) -> Result<Part, Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    image_part(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thinking_models_draft_images_are_not_the_answer() {
        let body = r#"{"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Sketching the layout.", "thought": true},
            {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": true},
            {"inlineData": {"mimeType": "image/jpeg", "data": "ZmluYWw="}, "thoughtSignature": "c2ln"},
            {"text": "Here it is."}]}, "finishReason": "STOP"}]}"#;
        let response: GenerateContentResponse = serde_json::from_str(body).unwrap();
        let images = response.images();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].mime_type, "image/jpeg");
        assert_eq!(&images[0].bytes[..], b"final");
        assert_eq!(response.text(), "Here it is.");
    }
}
