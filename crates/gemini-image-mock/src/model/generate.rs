//! The simulated model: checks a request against the model's rules and answers it the way the
//! real model shapes its answers — with real, deterministic images.

use bytes::Bytes;
use gemini_image_types::types::{
    Blob, Candidate, Content, ContentModality, FinishReason, GenerateContentRequest,
    GenerateContentResponse, GenerationConfig, ImageSize, Modality, ModalityTokenCount, Part,
    ServiceTier, UsageMetadata,
};
use gemini_image_types::{Base64Bytes, OpenEnum};
use image::DynamicImage;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::catalogue::{Family, Model};
use super::pictures::Pictures;
use super::render::{self, Format};
use super::{edit, media, sizes};
use crate::error::ApiError;

/// Tokens the real API counts for one input image.
pub const TOKENS_PER_INPUT_IMAGE: i32 = 258;

/// Rejects what the real model rejects.
pub fn check_rules(model: &Model, request: &GenerateContentRequest) -> Result<(), ApiError> {
    let turns = request.contents.iter().chain(&request.system_instruction);
    media::blobs(turns).try_for_each(media::check)?;
    let config = request.generation_config.as_ref();
    let modalities = requested_modalities(request);
    let asks_image = modalities.contains(&Modality::Image);
    if asks_image && !model.family.makes_images() {
        let mut names: Vec<String> = modalities
            .iter()
            .map(|m| m.to_string().to_lowercase())
            .collect();
        names.sort();
        return Err(ApiError::invalid_argument(format!(
            "Model does not support the requested response modalities: {}",
            names.join(",")
        )));
    }
    if model.family == Family::Gemini20Image && asks_image && !modalities.contains(&Modality::Text)
    {
        return Err(ApiError::invalid_argument(
            "Model does not support the requested response modalities: image",
        ));
    }
    if model.family.makes_images() && request.system_instruction.is_some() {
        return Err(ApiError::invalid_argument(format!(
            "Developer instruction is not enabled for models/{}",
            model.id
        )));
    }
    if model.family.makes_images() && config.is_some_and(|c| c.response_mime_type.is_some()) {
        return Err(ApiError::invalid_argument(
            "Parameter response_mime_type is not supported for generating image response.",
        ));
    }
    check_image_config(model, config)
}

/// Refuses an aspect ratio or an image size the model does not take, as Google words it for the
/// aspect ratio (a real answer of 2026-08 to `7:3` on gemini-3.1-flash-image, through a proxy that
/// quoted it [3P muyouzhi6/astrbot_plugin_gitee_aiimg#37]). No capture shows the refusal of a
/// size: it is worded the same way (our decision). A model whose row lists no values for a
/// setting (a text model; the 2.x image models for sizes, which they ignored) is held to the
/// values some model takes: the field is a plain string in Google's proto, and a value no model
/// knows is a mistake whatever the model (our decision). `countTokens` checks the request it
/// wraps the same way.
pub fn check_image_config(
    model: &Model,
    config: Option<&GenerationConfig>,
) -> Result<(), ApiError> {
    let Some(image_config) = config.and_then(|c| c.image_config.as_ref()) else {
        return Ok(());
    };
    let mut violations = Vec::new();
    if let Some(aspect) = &image_config.aspect_ratio {
        let mut allowed = allowed_values(model, |m| m.aspect_ratios);
        if !allowed.contains(&aspect.to_string().as_str()) {
            // Google lists them by width, then height: '1:1', '1:4', '1:8', '2:3', … '21:9'.
            allowed.sort_by_key(|ratio| {
                let (w, h) = ratio.split_once(':').unwrap_or((ratio, "0"));
                (w.parse::<u32>().unwrap_or(0), h.parse::<u32>().unwrap_or(0))
            });
            violations.push(must_be_one_of("aspect_ratio", &allowed));
        }
    }
    if let Some(size) = &image_config.image_size {
        let mut allowed = allowed_values(model, |m| m.image_sizes);
        // Smallest first: '512', '1K', '2K', '4K'.
        allowed.sort_by_key(|size| match size.strip_suffix('K') {
            Some(thousands) => thousands.parse::<u32>().unwrap_or(0) * 1024,
            None => size.parse::<u32>().unwrap_or(0),
        });
        if !allowed.contains(&size.to_string().as_str()) {
            violations.push(must_be_one_of("image_size", &allowed));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::violations(violations))
    }
}

/// The values of one image setting `model` takes: its own, or else those of every Gemini model.
fn allowed_values(model: &Model, of: fn(&Model) -> &'static [&'static str]) -> Vec<&'static str> {
    if !of(model).is_empty() {
        return of(model).to_vec();
    }
    let mut all: Vec<&str> = Vec::new();
    for other in super::catalogue::MODELS
        .iter()
        .filter(|m| m.family != Family::Imagen)
    {
        for value in of(other) {
            if !all.contains(value) {
                all.push(value);
            }
        }
    }
    all
}

/// `GenerateContentRequest.generation_config.image_config.FIELD: FIELD must be one of 'a', 'b',
/// or 'c'.`
fn must_be_one_of(field: &str, allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|value| format!("'{value}'")).collect();
    let listed = match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [first, second] => format!("{first} or {second}"),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    };
    format!(
        "GenerateContentRequest.generation_config.image_config.{field}: {field} must be one of \
         {listed}."
    )
}

fn requested_modalities(request: &GenerateContentRequest) -> Vec<Modality> {
    request
        .generation_config
        .as_ref()
        .map(|c| {
            c.response_modalities
                .iter()
                .filter_map(|m| m.known().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// What the last user turn asks for.
struct Prompt {
    text: String,
    /// Input images of the last user turn, or else the last image the model drew (multi-turn).
    base_image: Option<DynamicImage>,
    /// A hash of every input image, so that the output depends on them.
    images_hash: u64,
}

fn read_prompt(request: &GenerateContentRequest) -> Result<Prompt, ApiError> {
    let last_user = request
        .contents
        .iter()
        .rposition(|c| c.role.as_deref() != Some("model"))
        .ok_or_else(|| {
            ApiError::violation(
                "GenerateContentRequest",
                "contents",
                "contents is not specified",
            )
        })?;
    let mut text = String::new();
    let mut base_blob = None;
    let mut hasher = Xxh3::new();
    let mut prompt_image_seen = false;
    for (turn_index, turn) in request.contents.iter().enumerate() {
        let from_this_turn = turn_index == last_user;
        let drawn_earlier = turn.role.as_deref() == Some("model") && turn_index < last_user;
        for blob in media::blobs([turn]) {
            hasher.update(blob.data.as_deref().unwrap_or_default());
            // The picture to edit: the first image of the prompt, else the model's latest.
            let is_image = media::is_image(blob);
            let wanted = is_image && ((from_this_turn && !prompt_image_seen) || drawn_earlier);
            prompt_image_seen |= from_this_turn && is_image;
            if wanted && media::can_draw_on(blob) {
                base_blob = Some(blob);
            }
        }
    }
    // Only the picture drawn on is decoded: the images of earlier turns passed `check_rules`
    // on their headers, and decoding each of a hundred would cost seconds for nothing.
    let base_image = match base_blob {
        Some(blob) => media::decode(blob)?,
        None => None,
    };
    for part in &request.contents[last_user].parts {
        if let (Some(t), None | Some(false)) = (&part.text, part.thought) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(t);
        }
    }
    Ok(Prompt {
        text,
        base_image,
        images_hash: hasher.digest(),
    })
}

/// Answers `request` as `model` would.
/// Its images come from `pictures` (the user's files, or drawn or edited pictures).
pub fn respond(
    model: &Model,
    request: &GenerateContentRequest,
    pictures: &Pictures,
) -> Result<GenerateContentResponse, ApiError> {
    check_rules(model, request)?;
    let prompt = read_prompt(request)?;
    let config = request.generation_config.as_ref();
    let modalities = requested_modalities(request);
    let wants_image = model.family.makes_images()
        && (modalities.contains(&Modality::Image)
            || (modalities.is_empty() && model.family != Family::Gemini20Image));
    let wants_text = modalities.is_empty() || modalities.contains(&Modality::Text) || !wants_image;
    let include_thoughts = config
        .and_then(|c| c.thinking_config.as_ref())
        .and_then(|t| t.include_thoughts)
        .unwrap_or(false);
    let seed = config.and_then(|c| c.seed).unwrap_or(0);
    let image_config = config.and_then(|c| c.image_config.as_ref());
    let size = image_config
        .and_then(|c| c.image_size.as_ref())
        .and_then(OpenEnum::known)
        .copied()
        .unwrap_or(ImageSize::X1k);
    let aspect = image_config
        .and_then(|c| c.aspect_ratio.as_ref())
        .and_then(OpenEnum::known)
        .copied()
        .or_else(|| {
            prompt
                .base_image
                .as_ref()
                .map(|b| sizes::nearest_aspect(model.aspect_ratios, b.width(), b.height()))
        })
        .unwrap_or(gemini_image_types::types::AspectRatio::X11);
    let (width, height) = sizes::gemini(model.family, aspect, size);
    // Vertex AI's `imageOutputOptions.mimeType` chooses the encoding (the Gemini API refuses
    // the field before it gets here); otherwise the family's own.
    let asked = image_config
        .and_then(|c| c.image_output_options.as_ref())
        .and_then(|o| o.mime_type.as_deref());
    let format = match asked {
        Some("image/png") => Format::Png,
        Some("image/jpeg") => Format::Jpeg,
        _ if model.family == Family::Gemini3Image => Format::Jpeg,
        _ => Format::Png,
    };
    let candidate_count = config
        .and_then(|c| c.candidate_count)
        .unwrap_or(1)
        .clamp(1, 8);

    let request_hash = {
        let mut h = Xxh3::new();
        h.update(model.id.as_bytes());
        h.update(prompt.text.as_bytes());
        h.update(&seed.to_le_bytes());
        h.update(&width.to_le_bytes());
        h.update(&height.to_le_bytes());
        h.update(&prompt.images_hash.to_le_bytes());
        h.digest()
    };

    let mut candidates = Vec::new();
    let mut text_tokens = 0;
    let mut image_tokens = 0;
    for index in 0..candidate_count {
        let mut parts = Vec::new();
        if include_thoughts && model.thinking {
            parts.push(Part {
                text: Some(format!(
                    "**Planning the picture**\n\nI'm working out how to show: {}",
                    prompt.text
                )),
                thought: Some(true),
                ..Default::default()
            });
        }
        if wants_text {
            let text = if !wants_image {
                format!(
                    "This is gemini-image-mock answering offline for {}. You said: {}",
                    model.id, prompt.text
                )
            } else if prompt.base_image.is_some() {
                format!("Here is the edited image: {}", prompt.text)
            } else {
                format!(
                    "Here is an image of {}:",
                    prompt.text.trim_end_matches(['.', '!', '?'])
                )
            };
            text_tokens += estimate_tokens(&text);
            parts.push(Part {
                text: Some(text),
                ..Default::default()
            });
        }
        if wants_image {
            let image_seed =
                request_hash ^ u64::from(index.unsigned_abs()).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let (mime_type, bytes) = match (&prompt.base_image, pictures.canned()) {
                (Some(base), None) => {
                    let mut edited = edit::apply(base, &prompt.text, width, height);
                    render::write_caption_strip(&mut edited, &prompt.text);
                    pictures.edited(&edited, format)
                }
                _ => pictures.new_picture(width, height, image_seed, &prompt.text, format),
            };
            image_tokens += sizes::output_image_tokens(model.family, size);
            parts.push(Part {
                inline_data: Some(Blob {
                    mime_type: Some(mime_type.to_string()),
                    data: Some(Base64Bytes::from(bytes)),
                    ..Default::default()
                }),
                thought_signature: model.thinking.then(|| signature(image_seed)),
                ..Default::default()
            });
            if wants_text {
                let outro = match pictures.canned() {
                    Some(_) => format!("Served offline by gemini-image-mock: {mime_type}."),
                    None => {
                        format!("Drawn offline by gemini-image-mock: {width}x{height} {mime_type}.")
                    }
                };
                text_tokens += estimate_tokens(&outro);
                parts.push(Part {
                    text: Some(outro),
                    ..Default::default()
                });
            }
        }
        candidates.push(Candidate {
            content: Some(Content {
                parts,
                role: Some("model".to_string()),
            }),
            finish_reason: Some(FinishReason::Stop.into()),
            index: Some(index),
            ..Default::default()
        });
    }

    let prompt_text_tokens: i32 = request
        .contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter_map(|p| p.text.as_deref())
        .map(estimate_tokens)
        .sum();
    let prompt_images = request
        .contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter(|p| p.inline_data.is_some())
        .count() as i32;
    let thoughts = model.thinking.then(|| 120 + (request_hash % 200) as i32);
    let mut usage = usage(
        prompt_text_tokens,
        prompt_images,
        text_tokens,
        image_tokens,
        thoughts,
    );
    if model.family == Family::Text {
        // Real 2026 answers of text models name their tier; image models' answers do not.
        usage.service_tier = Some(ServiceTier::Standard.to_string());
    }
    Ok(GenerateContentResponse {
        candidates,
        usage_metadata: Some(usage),
        model_version: Some(model.id.to_string()),
        response_id: Some(response_id(request_hash)),
        ..Default::default()
    })
}

/// Per-modality token counts as Google lists them: TEXT then IMAGE, zero counts omitted.
pub fn modality_details(text: i32, image: i32) -> Vec<ModalityTokenCount> {
    [
        (ContentModality::Text, text),
        (ContentModality::Image, image),
    ]
    .into_iter()
    .filter(|&(_, count)| count > 0)
    .map(|(modality, count)| ModalityTokenCount {
        modality: Some(modality.into()),
        token_count: Some(count),
    })
    .collect()
}

/// Builds `usageMetadata` the way Google fills it: zero counts and empty details omitted.
pub fn usage(
    prompt_text: i32,
    prompt_images: i32,
    text: i32,
    images: i32,
    thoughts: Option<i32>,
) -> UsageMetadata {
    let prompt_images = prompt_images * TOKENS_PER_INPUT_IMAGE;
    let prompt_total = prompt_text + prompt_images;
    let candidates_total = text + images;
    UsageMetadata {
        prompt_token_count: Some(prompt_total),
        candidates_token_count: (candidates_total > 0).then_some(candidates_total),
        thoughts_token_count: thoughts,
        total_token_count: Some(prompt_total + candidates_total + thoughts.unwrap_or(0)),
        prompt_tokens_details: modality_details(prompt_text, prompt_images),
        candidates_tokens_details: modality_details(text, images),
        ..Default::default()
    }
}

/// About four characters a token, as Gemini's tokenizer averages on English.
pub fn estimate_tokens(text: &str) -> i32 {
    let chars = text.chars().count();
    i32::try_from(chars.div_ceil(4)).unwrap_or(i32::MAX).max(1)
}

fn signature(seed: u64) -> Base64Bytes {
    let bytes: Vec<u8> = (0..4u64)
        .flat_map(|i| xxh3_64(&(seed ^ i).to_le_bytes()).to_le_bytes())
        .collect();
    Base64Bytes::from(Bytes::from(bytes))
}

/// A response id in Google's style (22 URL-safe characters), stable for the same request.
pub fn response_id(hash: u64) -> String {
    let bytes: Vec<u8> = [hash, xxh3_64(&hash.to_le_bytes())]
        .iter()
        .flat_map(|h| h.to_le_bytes())
        .collect();
    base64_url(&bytes)[..22].to_string()
}

fn base64_url(bytes: &[u8]) -> String {
    Base64Bytes::from(bytes.to_vec())
        .encode()
        .replace('+', "-")
        .replace('/', "_")
}

/// The usage a chunk of a stream before the last carries: the prompt's, nothing of the answer
/// yet.
pub fn early_usage(usage: &UsageMetadata) -> UsageMetadata {
    UsageMetadata {
        candidates_token_count: None,
        candidates_tokens_details: Vec::new(),
        total_token_count: usage.prompt_token_count,
        ..usage.clone()
    }
}
