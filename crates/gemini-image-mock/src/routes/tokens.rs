//! `:countTokens`.

use gemini_image_types::types::{CountTokensRequest, CountTokensResponse};

use super::Answer;
use super::call::Call;
use crate::error::ApiError;
use crate::files;
use crate::model::generate::{
    TOKENS_PER_INPUT_IMAGE, check_image_config, estimate_tokens, modality_details,
};
use crate::model::media;
use crate::wire;

pub fn count(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let (mut request, _): (CountTokensRequest, _) = call.read("CountTokensRequest")?;
    let model = call.model("countTokens", "countTokens")?;
    let wrapped_turns = request
        .generate_content_request
        .iter_mut()
        .flat_map(|w| w.contents.iter_mut().chain(w.system_instruction.iter_mut()));
    files::resolve::inline_files(call.state, request.contents.iter_mut().chain(wrapped_turns))?;
    let wrapped = request.generate_content_request.as_ref();
    if let Some(wrapped) = wrapped {
        check_image_config(model, wrapped.generation_config.as_ref())?;
    }
    // Every blob of the body is checked, the `contents` that a wrapped request makes Google
    // ignore included: a broken image is a broken request (unmeasured which Google does).
    let every_turn = request.contents.iter().chain(
        wrapped
            .into_iter()
            .flat_map(|w| w.contents.iter().chain(&w.system_instruction)),
    );
    media::blobs(every_turn).try_for_each(media::check)?;
    let contents = match wrapped {
        Some(wrapped) => &wrapped.contents,
        None => &request.contents,
    };
    let parts = contents.iter().flat_map(|c| &c.parts);
    let text: i32 = parts
        .clone()
        .filter_map(|p| p.text.as_deref())
        .map(estimate_tokens)
        .sum();
    let images = parts.filter(|p| p.inline_data.is_some()).count() as i32 * TOKENS_PER_INPUT_IMAGE;
    let response = CountTokensResponse {
        total_tokens: Some(text + images),
        prompt_tokens_details: modality_details(text, images),
        ..Default::default()
    };
    Ok(Answer::unary(wire::pretty(
        "CountTokensResponse",
        &response,
    )))
}
