//! Imagen `:predict`.

use gemini_image_types::types::{
    ImagenAspectRatio, ImagenImageSize, ImagenPrediction, ImagenPredictionSafetyAttributes,
    PredictRequest, PredictResponse,
};
use gemini_image_types::{Base64Bytes, OpenEnum};
use xxhash_rust::xxh3::xxh3_64;

use super::Answer;
use super::call::Call;
use crate::error::ApiError;
use crate::model::render::Format;
use crate::model::sizes;
use crate::scenarios::{pick, shape};
use crate::wire;

/// Imagen's default number of images.
const DEFAULT_SAMPLE_COUNT: u32 = 4;

pub async fn predict(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let (mut request, _): (PredictRequest, _) = call.read("PredictRequest")?;
    let model = call.model("predict", "predict")?;
    for instance in &mut request.instances {
        call.plan
            .extend(pick::take_directives(&mut instance.prompt)?);
    }
    let plan = call.plan.clone();
    let prompt = request
        .instances
        .first()
        .map(|i| i.prompt.clone())
        .ok_or_else(|| {
            ApiError::violation("PredictRequest", "instances", "instances is not specified")
        })?;
    let parameters = request.parameters.unwrap_or_default();
    let count = parameters
        .sample_count
        .map_or(DEFAULT_SAMPLE_COUNT, |n| n.get());
    let aspect = parameters
        .aspect_ratio
        .as_ref()
        .and_then(OpenEnum::known)
        .copied()
        .unwrap_or(ImagenAspectRatio::X11);
    let size = parameters
        .sample_image_size
        .as_ref()
        .and_then(OpenEnum::known)
        .copied()
        .unwrap_or(ImagenImageSize::X1k);
    let (width, height) = sizes::imagen(aspect, size);
    let format = match parameters
        .output_options
        .as_ref()
        .and_then(|o| o.mime_type.as_deref())
    {
        Some("image/jpeg") => Format::Jpeg,
        _ => Format::Png,
    };
    let with_safety = parameters.include_safety_attributes.unwrap_or(false);
    let seed = xxh3_64(format!("{}\u{0}{prompt}\u{0}{width}x{height}", model.id).as_bytes());
    let pictures = call.state.config.pictures();
    let predictions = tokio::task::spawn_blocking(move || {
        let mut predictions: Vec<ImagenPrediction> = (0..u64::from(count))
            .map(|index| {
                let image_seed = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let (mime_type, bytes) =
                    pictures.new_picture(width, height, image_seed, &prompt, format);
                ImagenPrediction {
                    bytes_base64_encoded: Some(Base64Bytes::from(bytes)),
                    mime_type: Some(mime_type.to_string()),
                    safety_attributes: with_safety.then(|| safety_attributes(image_seed)),
                    ..Default::default()
                }
            })
            .collect();
        if with_safety {
            predictions.push(ImagenPrediction {
                content_type: Some("Positive Prompt".to_string()),
                safety_attributes: Some(safety_attributes(seed)),
                ..Default::default()
            });
        }
        shape::filter_imagen(&plan, &mut predictions);
        predictions
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(Answer::unary(wire::pretty(
        "PredictResponse",
        &PredictResponse { predictions },
    )))
}

/// Low, deterministic scores for one of the categories Imagen reports, as a benign image gets.
fn safety_attributes(seed: u64) -> ImagenPredictionSafetyAttributes {
    const CATEGORIES: [&str; 4] = ["Violence", "Death, Harm & Tragedy", "Health", "Politics"];
    let hash = xxh3_64(&seed.to_le_bytes());
    let category = CATEGORIES[(hash % CATEGORIES.len() as u64) as usize];
    let score = f32::from((hash >> 8) as u8 % 3 + 1) / 10.0;
    ImagenPredictionSafetyAttributes {
        categories: vec![category.to_string()],
        scores: vec![score],
    }
}
