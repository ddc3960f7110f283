//! Scenarios that change what the model answers: blocked images, finish reasons, prompt blocks,
//! filtered Imagen samples. Each turns a normal answer into the one Google sends in that case.

use gemini_image_types::OpenEnum;
use gemini_image_types::types::{
    Candidate, Content, FinishReason, GenerateContentRequest, GenerateContentResponse,
    HarmCategory, HarmProbability, ImagenPrediction, PromptFeedback, SafetyRating, UsageMetadata,
};

use super::Scenario;
use super::plan::Plan;
use crate::error::ApiError;
use crate::model::catalogue::Model;
use crate::model::generate::{self, estimate_tokens};
use crate::model::pictures::Pictures;

/// Google's finishMessage for a filtered image, word for word.
const IMAGE_SAFETY_MESSAGE: &str = "Unable to show the generated image. The image was filtered \
    out because it violated Google's [Generative AI Prohibited Use policy](https://policies.google.com/terms/generative-ai/use-policy). \
    You will not be charged for blocked images. Try rephrasing the prompt. If you think this was \
    an error, [send feedback](https://ai.google.dev/gemini-api/docs/troubleshooting).";

/// The model's answer to `request` as `plan` shapes it: what `generateContent`, an
/// interaction and every line of a batch render (CPU work: call it on a blocking thread).
pub fn respond(
    model: &Model,
    request: &GenerateContentRequest,
    pictures: &Pictures,
    plan: &Plan,
) -> Result<GenerateContentResponse, ApiError> {
    let mut response = generate::respond(model, request, pictures)?;
    apply(plan, &mut response);
    Ok(response)
}

/// Turns `response` into the answer of the first shaping scenario of `plan`.
pub fn apply(plan: &Plan, response: &mut GenerateContentResponse) {
    let Some(scenario) = plan.scenarios.iter().find(|s| s.shapes_the_answer()) else {
        return;
    };
    match scenario {
        Scenario::PromptBlocked(reason) => {
            response.candidates.clear();
            response.prompt_feedback = Some(PromptFeedback {
                block_reason: Some(
                    reason
                        .parse()
                        .unwrap_or_else(|_| OpenEnum::Unknown(reason.clone())),
                ),
                ..Default::default()
            });
            if let Some(usage) = response.usage_metadata.as_mut() {
                usage.thoughts_token_count = None;
                recount(usage, 0);
            }
            return;
        }
        Scenario::ImageSafety
        | Scenario::ImageProhibitedContent
        | Scenario::ImageOther
        | Scenario::ImageRecitation => {
            let (reason, message) = match scenario {
                Scenario::ImageSafety => (FinishReason::ImageSafety, Some(IMAGE_SAFETY_MESSAGE)),
                Scenario::ImageProhibitedContent => (FinishReason::ImageProhibitedContent, None),
                Scenario::ImageOther => (FinishReason::ImageOther, None),
                _ => (FinishReason::ImageRecitation, None),
            };
            for candidate in &mut response.candidates {
                *candidate = Candidate {
                    // Google sends the emptied content as `{}`.
                    content: Some(Content::default()),
                    finish_reason: Some(reason.into()),
                    finish_message: message.map(str::to_string),
                    index: candidate.index,
                    ..Default::default()
                };
            }
        }
        Scenario::Safety | Scenario::Recitation => {
            let reason = if *scenario == Scenario::Safety {
                FinishReason::Safety
            } else {
                FinishReason::Recitation
            };
            for candidate in &mut response.candidates {
                *candidate = Candidate {
                    finish_reason: Some(reason.into()),
                    safety_ratings: if reason == FinishReason::Safety {
                        blocking_ratings()
                    } else {
                        Vec::new()
                    },
                    index: candidate.index,
                    ..Default::default()
                };
            }
        }
        Scenario::NoImage | Scenario::TextOnly | Scenario::MaxTokens => {
            let reason = match scenario {
                Scenario::NoImage => FinishReason::NoImage,
                Scenario::MaxTokens => FinishReason::MaxTokens,
                _ => FinishReason::Stop,
            };
            for candidate in &mut response.candidates {
                if let Some(content) = candidate.content.as_mut() {
                    content.parts.retain(|p| p.inline_data.is_none());
                    if reason == FinishReason::MaxTokens {
                        content.parts.truncate(1);
                        if let Some(text) = content.parts.first_mut().and_then(|p| p.text.as_mut())
                        {
                            let half = text.char_indices().nth(text.chars().count() / 2);
                            text.truncate(half.map_or(text.len(), |(i, _)| i));
                        }
                    }
                }
                candidate.finish_reason = Some(reason.into());
            }
        }
        _ => return,
    }
    let text_tokens = response
        .candidates
        .iter()
        .filter_map(|c| c.content.as_ref())
        .flat_map(|c| &c.parts)
        .filter(|p| p.thought != Some(true))
        .filter_map(|p| p.text.as_deref())
        .map(estimate_tokens)
        .sum();
    if let Some(usage) = response.usage_metadata.as_mut() {
        recount(usage, text_tokens);
    }
}

/// Candidate counts after the answer lost its images (or everything).
fn recount(usage: &mut UsageMetadata, text_tokens: i32) {
    usage.candidates_tokens_details = crate::model::generate::modality_details(text_tokens, 0);
    usage.candidates_token_count = (text_tokens > 0).then_some(text_tokens);
    usage.total_token_count = Some(
        usage.prompt_token_count.unwrap_or(0)
            + text_tokens
            + usage.thoughts_token_count.unwrap_or(0),
    );
}

/// The ratings of a candidate blocked for dangerous content.
fn blocking_ratings() -> Vec<SafetyRating> {
    [
        (
            HarmCategory::HarmCategorySexuallyExplicit,
            HarmProbability::Negligible,
            None,
        ),
        (
            HarmCategory::HarmCategoryHateSpeech,
            HarmProbability::Negligible,
            None,
        ),
        (
            HarmCategory::HarmCategoryHarassment,
            HarmProbability::Negligible,
            None,
        ),
        (
            HarmCategory::HarmCategoryDangerousContent,
            HarmProbability::High,
            Some(true),
        ),
    ]
    .into_iter()
    .map(|(category, probability, blocked)| SafetyRating {
        category: Some(category.into()),
        probability: Some(probability.into()),
        blocked,
    })
    .collect()
}

/// Imagen: the last image is filtered out, and a prediction says so.
pub fn filter_imagen(plan: &Plan, predictions: &mut Vec<ImagenPrediction>) {
    if !plan.has(&Scenario::RaiFiltered) {
        return;
    }
    let Some(last_image) = predictions
        .iter()
        .rposition(|p| p.bytes_base64_encoded.is_some())
    else {
        return;
    };
    predictions.remove(last_image);
    predictions.insert(
        last_image,
        ImagenPrediction {
            rai_filtered_reason: Some(
                "Your current safety filter threshold filtered out 1 generated images. You will \
                 not be charged for blocked images. Try rephrasing the prompt. If you think this \
                 was an error, send feedback."
                    .to_string(),
            ),
            ..Default::default()
        },
    );
}
