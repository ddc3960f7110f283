//! How Vertex AI writes a `generateContent` answer where the Gemini API writes it otherwise: the
//! one place the answer's shape depends on the service. The differences are those of real
//! recordings (files-batch-vertex-replay.md §3.4): a `createTime`, the same in every chunk; no
//! `candidates[].index`; `usageMetadata.trafficType` in every chunk and `billablePromptUsage` in
//! the first; an image's four `HARM_CATEGORY_IMAGE_*` ratings, without probability, beside it; a
//! stream that ends with a chunk of empty text carrying the finish reason; no `modelStatus`.

use gemini_image_types::types::{
    BillablePromptUsage, Candidate, Content, GenerateContentRequest, GenerateContentResponse,
    HarmCategory, Part, SafetyRating,
};

use crate::model::generate::early_usage;

/// Vertex AI's `usageMetadata.trafficType` for a pay-as-you-go request.
const ON_DEMAND: &str = "ON_DEMAND";

/// The categories Vertex AI rates a generated image in, in its order.
const IMAGE_CATEGORIES: [HarmCategory; 4] = [
    HarmCategory::HarmCategoryImageSexuallyExplicit,
    HarmCategory::HarmCategoryImageHarassment,
    HarmCategory::HarmCategoryImageDangerousContent,
    HarmCategory::HarmCategoryImageHate,
];

/// What a Vertex AI answer adds to the model's: when the request arrived, what it bills.
pub struct VertexAnswer {
    /// RFC 3339 with microseconds, as Vertex writes it.
    create_time: String,
    /// The characters of the prompt's text.
    prompt_chars: i32,
}

impl VertexAnswer {
    /// The additions for `request`, which arrived at `create_time`.
    pub fn new(create_time: String, request: &GenerateContentRequest) -> Self {
        let chars: usize = request
            .contents
            .iter()
            .chain(&request.system_instruction)
            .flat_map(|content| &content.parts)
            .filter_map(|part| part.text.as_deref())
            .map(|text| text.chars().count())
            .sum();
        Self {
            create_time,
            prompt_chars: i32::try_from(chars).unwrap_or(i32::MAX),
        }
    }

    /// A unary answer as Vertex writes it.
    pub fn unary(&self, mut response: GenerateContentResponse) -> GenerateContentResponse {
        self.shape(&mut response, true);
        rate_images(&mut response);
        response
    }

    /// A streamed answer, split into the Gemini API's chunks, as Vertex writes it.
    pub fn stream(&self, mut chunks: Vec<GenerateContentResponse>) -> Vec<GenerateContentResponse> {
        if let Some(end) = chunks.last_mut().and_then(split_off_the_end) {
            chunks.push(end);
        }
        for (index, chunk) in chunks.iter_mut().enumerate() {
            self.shape(chunk, index == 0);
            rate_images(chunk);
        }
        chunks
    }

    /// What every chunk of the answer has and what none has; the `first` also the billing.
    fn shape(&self, response: &mut GenerateContentResponse, first: bool) {
        response.create_time = Some(self.create_time.clone());
        response.model_status = None;
        for candidate in &mut response.candidates {
            candidate.index = None;
        }
        if let Some(usage) = response.usage_metadata.as_mut() {
            usage.traffic_type = Some(ON_DEMAND.to_string());
            usage.billable_prompt_usage = first.then_some(BillablePromptUsage {
                text_count: Some(self.prompt_chars),
                image_count: None,
            });
        }
    }
}

/// Vertex ends a stream with a chunk of its own: the finish reasons and the whole usage, the
/// content `{"parts": [{"text": ""}], "role": "model"}`. Takes them from `last`, the chunk
/// that carried the last part (it keeps the usage so far), unless it carried none.
fn split_off_the_end(last: &mut GenerateContentResponse) -> Option<GenerateContentResponse> {
    let carries_parts = last.candidates.iter().any(|candidate| {
        candidate.finish_reason.is_some()
            && candidate
                .content
                .as_ref()
                .is_some_and(|content| !content.parts.is_empty())
    });
    if !carries_parts {
        return None;
    }
    let candidates = last
        .candidates
        .iter_mut()
        .map(|candidate| Candidate {
            content: Some(Content {
                parts: vec![Part {
                    text: Some(String::new()),
                    ..Default::default()
                }],
                role: Some("model".to_string()),
            }),
            finish_reason: candidate.finish_reason.take(),
            finish_message: candidate.finish_message.take(),
            ..Default::default()
        })
        .collect();
    let usage = last.usage_metadata.take();
    last.usage_metadata = usage.as_ref().map(early_usage);
    Some(GenerateContentResponse {
        candidates,
        usage_metadata: usage,
        model_version: last.model_version.clone(),
        response_id: last.response_id.clone(),
        ..Default::default()
    })
}

/// Gives each candidate that carries an image Vertex's four ratings of it.
fn rate_images(response: &mut GenerateContentResponse) {
    for candidate in &mut response.candidates {
        let has_image = candidate
            .content
            .iter()
            .flat_map(|content| &content.parts)
            .any(|part| part.inline_data.is_some());
        if has_image {
            candidate.safety_ratings = IMAGE_CATEGORIES
                .into_iter()
                .map(|category| SafetyRating {
                    category: Some(category.into()),
                    ..Default::default()
                })
                .collect();
        }
    }
}
