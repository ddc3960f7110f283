//! What an answer said, in brief, for the journal and the dashboard: its images by size, type
//! and hash (as the journal names a request's images), the start of its text, and why each
//! candidate finished.

use gemini_image_types::types::GenerateContentResponse;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::described::describe_digest;

/// How much of an answer's text is kept: a summary, not a transcript.
pub const MAX_SUMMARY_TEXT_BYTES: usize = 1024;

/// An answer's summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answered {
    /// Each image answered, as `"<N bytes, MIME, xxh3 HEX>"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// The answer's text parts joined, cut at 1 KiB (on a character boundary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Each candidate's `finishReason`, or the prompt's `blockReason`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finish_reasons: Vec<String>,
}

/// One image of an answer: its hash, and its bytes shared with the answer (not copied).
pub struct AnsweredImage {
    /// The xxh3 of the image's bytes, the key of its thumbnail.
    pub xxh3: u64,
    /// The image's bytes.
    pub bytes: bytes::Bytes,
}

impl Answered {
    /// The summary of `response`, and its images.
    pub fn of(response: &GenerateContentResponse) -> (Self, Vec<AnsweredImage>) {
        let mut summary = Self::default();
        let mut images = Vec::new();
        let mut text = String::new();
        for candidate in &response.candidates {
            let parts = candidate.content.iter().flat_map(|c| c.parts.iter());
            for part in parts {
                if let Some(piece) = &part.text
                    && part.thought != Some(true)
                {
                    push_bounded(&mut text, piece);
                }
                let Some(blob) = &part.inline_data else {
                    continue;
                };
                let Some(data) = &blob.data else {
                    continue;
                };
                let bytes = bytes::Bytes::from(data.clone());
                let xxh3 = xxh3_64(&bytes);
                summary.images.push(describe_digest(
                    bytes.len() as u64,
                    blob.mime_type.as_deref(),
                    xxh3,
                ));
                images.push(AnsweredImage { xxh3, bytes });
            }
            if let Some(reason) = &candidate.finish_reason {
                summary.finish_reasons.push(reason.to_string());
            }
        }
        let blocked = response
            .prompt_feedback
            .as_ref()
            .and_then(|f| f.block_reason.as_ref());
        if let Some(reason) = blocked {
            summary.finish_reasons.push(reason.to_string());
        }
        summary.text = (!text.is_empty()).then_some(text);
        (summary, images)
    }
}

/// Appends `piece` to `text` up to [`MAX_SUMMARY_TEXT_BYTES`], cut on a character boundary.
fn push_bounded(text: &mut String, piece: &str) {
    let room = MAX_SUMMARY_TEXT_BYTES.saturating_sub(text.len());
    let mut end = room.min(piece.len());
    while !piece.is_char_boundary(end) {
        end -= 1;
    }
    text.push_str(&piece[..end]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_cut_on_a_character_boundary() {
        let mut text = "a".repeat(MAX_SUMMARY_TEXT_BYTES - 1);
        push_bounded(&mut text, "éé");
        assert_eq!(text.len(), MAX_SUMMARY_TEXT_BYTES - 1);
        push_bounded(&mut text, "b");
        assert_eq!(text.len(), MAX_SUMMARY_TEXT_BYTES);
    }
}
