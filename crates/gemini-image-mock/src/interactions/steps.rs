//! The model's `GenerateContentResponse` written back as an interaction's outcome: a `thought`
//! step with the signature, then one `model_output` step with the text and images, a status
//! from the finish reason, and the usage in the Interactions' names.

use gemini_image_types::types::{
    FinishReason, GenerateContentResponse, InteractionContent, InteractionErrorBody,
    InteractionModality, InteractionModalityTokens, InteractionStatus, InteractionStep,
    InteractionUsage, ModalityTokenCount,
};
use gemini_image_types::{OpenEnum, OpenUnion};

use super::store::Outcome;
use crate::error::ApiError;

/// The outcome of a turn from the model's answer.
///
/// Decisions (unconfirmed: how a blocked image shows on Interactions is not known): a blocked
/// prompt is a 400 `content_blocked`; an image or answer blocked by a finish reason
/// (`IMAGE_SAFETY`, `SAFETY` …) is `status: "failed"` with the reason in `errors`
/// (`content_blocked`) and no output step; `MAX_TOKENS` is `incomplete`, as the real API
/// answers a token limit.
pub fn outcome(response: GenerateContentResponse) -> Result<Outcome, ApiError> {
    if let Some(reason) = response
        .prompt_feedback
        .as_ref()
        .and_then(|f| f.block_reason.as_ref())
    {
        return Err(ApiError::content_blocked(&format!("the prompt ({reason})")));
    }
    let usage = response
        .usage_metadata
        .as_ref()
        .map(usage)
        .unwrap_or_default();
    let Some(candidate) = response.candidates.into_iter().next() else {
        return Ok(Outcome {
            status: Some(InteractionStatus::Completed),
            usage,
            ..Default::default()
        });
    };
    let finish = candidate
        .finish_reason
        .as_ref()
        .and_then(OpenEnum::known)
        .copied();
    let mut steps = Vec::new();
    let mut output = Vec::new();
    for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
        if let Some(signature) = &part.thought_signature {
            steps.push(OpenUnion::Known(InteractionStep::Thought {
                signature: Some(signature.encode()),
                summary: Vec::new(),
            }));
        }
        if part.thought == Some(true) {
            continue;
        }
        if let Some(blob) = part.inline_data {
            output.push(OpenUnion::Known(InteractionContent::Image {
                data: blob.data,
                mime_type: blob.mime_type,
                resolution: None,
                uri: None,
            }));
        } else if let Some(text) = part.text {
            output.push(OpenUnion::Known(InteractionContent::Text {
                text: Some(text),
                annotations: Vec::new(),
            }));
        }
    }
    let status = match finish {
        None | Some(FinishReason::Stop) => InteractionStatus::Completed,
        Some(FinishReason::MaxTokens) => InteractionStatus::Incomplete,
        Some(FinishReason::NoImage) => InteractionStatus::Completed,
        Some(other) => {
            let message = candidate
                .finish_message
                .unwrap_or_else(|| format!("The answer was blocked ({other})."));
            return Ok(Outcome {
                status: Some(InteractionStatus::Failed),
                steps: Vec::new(),
                usage,
                errors: vec![InteractionErrorBody {
                    code: Some("content_blocked".to_string()),
                    message: Some(message),
                }],
            });
        }
    };
    if !output.is_empty() {
        steps.push(OpenUnion::Known(InteractionStep::ModelOutput {
            content: output,
            error: None,
        }));
    }
    Ok(Outcome {
        status: Some(status),
        steps,
        usage,
        errors: Vec::new(),
    })
}

/// `usageMetadata` in the Interactions' names; `total_tokens` = input + output + thought, as
/// in every real reply.
fn usage(metadata: &gemini_image_types::types::UsageMetadata) -> InteractionUsage {
    let input = i64::from(metadata.prompt_token_count.unwrap_or(0));
    let output = i64::from(metadata.candidates_token_count.unwrap_or(0));
    let thought = i64::from(metadata.thoughts_token_count.unwrap_or(0));
    InteractionUsage {
        total_tokens: Some(input + output + thought),
        total_input_tokens: Some(input),
        input_tokens_by_modality: by_modality(&metadata.prompt_tokens_details),
        total_cached_tokens: Some(0),
        total_output_tokens: Some(output),
        output_tokens_by_modality: by_modality(&metadata.candidates_tokens_details),
        total_tool_use_tokens: Some(0),
        total_thought_tokens: Some(thought),
    }
}

fn by_modality(details: &[ModalityTokenCount]) -> Vec<InteractionModalityTokens> {
    details
        .iter()
        .filter_map(|detail| {
            let name = detail.modality.as_ref()?.to_string().to_ascii_lowercase();
            let modality = name
                .parse::<InteractionModality>()
                .map_or(OpenEnum::Unknown(name), OpenEnum::Known);
            Some(InteractionModalityTokens {
                modality: Some(modality),
                tokens: Some(i64::from(detail.token_count.unwrap_or(0))),
            })
        })
        .collect()
}
