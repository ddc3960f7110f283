//! Images and text out of an [`Interaction`]: [`InteractionExt::output_image`] and
//! [`InteractionExt::output_text`] as Google's SDKs compute them, and [`ResponseExt`] — the
//! same [`Image`] and [`Outcome`] a `generateContent` answer gives — so that code reading
//! images works on an answer of either API.

use crate::OpenUnion;
use crate::images::{Image, Outcome, ResponseExt};
use crate::types::{Interaction, InteractionContent, InteractionStatus, InteractionStep};

/// Conveniences on an [`Interaction`] that Google's SDKs add (they are not on the wire).
///
/// Both read the model's answer to the last turn: the `model_output` steps after the last
/// `user_input` step (a `POST` answer has none; a `GET` timeline starts with one), as
/// `output_image` / `output_text` do in google-genai and @google/genai.
///
/// ```
/// use gemini_image::{InteractionExt, ResponseExt};
/// use gemini_image::types::Interaction;
///
/// let answer: Interaction = serde_json::from_str(r#"{"id": "v1_a", "status": "completed", "steps": [
///     {"type": "user_input", "content": [{"type": "text", "text": "a fox"}]},
///     {"type": "thought", "signature": "c2ln"},
///     {"type": "model_output", "content": [
///         {"type": "text", "text": "Here is "},
///         {"type": "image", "data": "ZHJhZnQ=", "mime_type": "image/png"}]},
///     {"type": "model_output", "content": [
///         {"type": "text", "text": "your fox."},
///         {"type": "image", "data": "Zm94", "mime_type": "image/jpeg"}]}]}"#)?;
/// assert_eq!(answer.output_text(), "Here is your fox.");
/// assert_eq!(&answer.output_image().unwrap().bytes[..], b"fox"); // the last image
/// assert_eq!(answer.images().len(), 2); // ResponseExt: every image of the answer
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait InteractionExt {
    /// The last image block of the answer to the last turn, if any.
    fn output_image(&self) -> Option<Image>;
    /// The text blocks of the answer to the last turn, joined (empty when there are none).
    fn output_text(&self) -> String;
    /// Whether the interaction has stopped: it has a status, and not `in_progress` or `queued`
    /// (a status newer than this crate counts as stopped, so that a wait hands it over rather
    /// than polling it to its deadline).
    fn is_finished(&self) -> bool;
}

impl InteractionExt for Interaction {
    fn output_image(&self) -> Option<Image> {
        answer_blocks(self).filter_map(image_of).last()
    }

    fn output_text(&self) -> String {
        answer_blocks(self).filter_map(text_of).collect()
    }

    fn is_finished(&self) -> bool {
        self.status.as_ref().is_some_and(|status| {
            !matches!(
                status.known(),
                Some(InteractionStatus::InProgress | InteractionStatus::Queued)
            )
        })
    }
}

/// `generateContent`'s reading of an answer, on an Interaction: `images` are the answer's
/// images in order (its [`output_image`](InteractionExt::output_image) is the last), `text` its
/// [`output_text`](InteractionExt::output_text), and `outcome` says why there is no image: the
/// status (`failed`, `incomplete` …) as the message, with the step's or the platform's error.
impl ResponseExt for Interaction {
    fn images(&self) -> Vec<Image> {
        answer_blocks(self).filter_map(image_of).collect()
    }

    fn text(&self) -> String {
        self.output_text()
    }

    fn outcome(&self) -> Outcome {
        let images = self.images();
        if !images.is_empty() {
            return Outcome::Images(images);
        }
        let step_error = answer_steps(self).find_map(|step| match step {
            InteractionStep::ModelOutput {
                error: Some(error), ..
            } => error.message.clone(),
            _ => None,
        });
        let platform_error = self.errors.iter().find_map(|e| e.message.clone());
        let status = self.status.as_ref().map(|s| format!("status {s}"));
        Outcome::NoImage {
            finish_reason: None,
            message: step_error.or(platform_error).or(status),
            text: self.output_text(),
        }
    }
}

/// The known steps after the last `user_input` step.
fn answer_steps(interaction: &Interaction) -> impl Iterator<Item = &InteractionStep> {
    let start = interaction
        .steps
        .iter()
        .rposition(|step| matches!(step, OpenUnion::Known(InteractionStep::UserInput { .. })))
        .map_or(0, |at| at + 1);
    interaction.steps[start..]
        .iter()
        .filter_map(OpenUnion::known)
}

/// The content blocks of the `model_output` steps after the last `user_input` step.
fn answer_blocks(interaction: &Interaction) -> impl Iterator<Item = &InteractionContent> {
    answer_steps(interaction)
        .filter_map(|step| match step {
            InteractionStep::ModelOutput { content, .. } => Some(content),
            _ => None,
        })
        .flatten()
        .filter_map(OpenUnion::known)
}

/// An inline image block as an [`Image`] (no copy of its bytes).
pub(crate) fn image_of(content: &InteractionContent) -> Option<Image> {
    match content {
        InteractionContent::Image {
            data: Some(data),
            mime_type,
            ..
        } => Some(Image {
            mime_type: mime_type.clone().unwrap_or_default(),
            bytes: data.clone().into_bytes(),
        }),
        _ => None,
    }
}

fn text_of(content: &InteractionContent) -> Option<&str> {
    match content {
        InteractionContent::Text { text, .. } => text.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_steps_and_blocks_are_kept_and_skipped_and_a_user_input_ends_the_answer() {
        let body = br#"{"id": "v1_a", "status": "requires_continuation", "steps": [
            {"type": "model_output", "content": [{"type": "image", "data": "b2xk", "mime_type": "image/png"}]},
            {"type": "user_input", "content": [{"type": "text", "text": "again"}]},
            {"type": "tool_search_call", "id": "t1", "query": "bikes"},
            {"type": "model_output", "content": [
                {"type": "text", "text": "Here"},
                {"type": "hologram", "depth": 3},
                {"type": "image", "data": "bmV3", "mime_type": "image/jpeg"}]}]}"#;
        let interaction: Interaction = crate::codec::from_body(body).unwrap();
        assert_eq!(
            interaction.steps[2].unknown_type(),
            Some("tool_search_call")
        );
        // What came before the last user_input is an earlier turn's, not this answer's.
        assert_eq!(&interaction.output_image().unwrap().bytes[..], b"new");
        assert_eq!(interaction.images().len(), 1);
        assert_eq!(interaction.output_text(), "Here");
        assert!(
            interaction.is_finished(),
            "a status that asks for the caller"
        );
        // Written back as it came: the newer members survive a round trip.
        let back = serde_json::to_value(&interaction).unwrap();
        assert_eq!(back["steps"][2]["query"], "bikes");
        assert_eq!(back["steps"][3]["content"][1]["depth"], 3);
    }

    #[test]
    fn an_answer_without_an_image_says_why() {
        let failed: Interaction = serde_json::from_str(
            r#"{"status": "failed", "steps": [{"type": "model_output", "content": [{"type": "text", "text": "No."}],
                "error": {"code": 400, "message": "blocked by policy"}}]}"#,
        )
        .unwrap();
        let Outcome::NoImage { message, text, .. } = failed.outcome() else {
            panic!("{:?}", failed.outcome());
        };
        assert_eq!(message.as_deref(), Some("blocked by policy"));
        assert_eq!(text, "No.");
        let running: Interaction = serde_json::from_str(r#"{"status": "in_progress"}"#).unwrap();
        assert!(!running.is_finished());
        assert!(
            matches!(running.outcome(), Outcome::NoImage { message: Some(m), .. } if m == "status in_progress")
        );
    }
}
