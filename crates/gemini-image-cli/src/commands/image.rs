//! `gemini-image image "PROMPT"`.

use gemini_image::types::InteractionGenerationConfig;
use gemini_image::{InteractionRequest, RequestBuilder, ResponseFormat};

use crate::args::{Api, ImageArgs, PictureOptions};
use crate::commands::Context;
use crate::failure::Failure;

pub async fn run(context: &Context, args: ImageArgs) -> Result<(), Failure> {
    let model = &args.options.model;
    let count = args.count.filter(|n| *n > 1);
    match args.options.api.api {
        Api::GenerateContent => {
            let mut request = with_options(
                RequestBuilder::image().text(args.prompt),
                &args.options.picture,
            );
            if let Some(count) = count {
                request = request.candidate_count(count);
            }
            if let Some(seed) = args.seed {
                request = request.seed(seed);
            }
            let response = context
                .generate(model, &request.build(), "generating")
                .await?;
            context.save_images(
                model,
                &response,
                args.options.picture.size,
                args.output.as_deref(),
                "gemini-image",
            )
        }
        Api::Interactions => {
            if count.is_some() {
                return Err(Failure::Local(
                    "--count needs --api generate-content: an interaction has no candidates".into(),
                ));
            }
            let mut request =
                interaction_with_options(model, &args.options.picture).text(args.prompt);
            if let Some(seed) = args.seed {
                request = request.generation_config(InteractionGenerationConfig {
                    seed: Some(seed.into()),
                    ..Default::default()
                });
            }
            let answer = context.interact(request.build(), "generating").await?;
            context.save_images(
                model,
                &answer,
                args.options.picture.size,
                args.output.as_deref(),
                "gemini-image",
            )
        }
    }
}

/// Aspect ratio and size, when asked for.
pub fn with_options(mut request: RequestBuilder, options: &PictureOptions) -> RequestBuilder {
    if let Some(ratio) = options.aspect_ratio {
        request = request.aspect_ratio(ratio);
    }
    if let Some(size) = options.size {
        request = request.image_size(size);
    }
    request
}

/// An Interactions request for `model` asking for an image, at the ratio and size asked for
/// (`response_format`, as Google's image docs write it).
pub fn interaction_with_options(model: &str, options: &PictureOptions) -> InteractionRequest {
    let mut format = ResponseFormat::image();
    if let Some(ratio) = options.aspect_ratio {
        format = format.aspect_ratio(ratio);
    }
    if let Some(size) = options.size {
        format = format.size(size);
    }
    InteractionRequest::new(model).response_format(format)
}
