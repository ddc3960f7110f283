//! `gemini-image image "PROMPT"`.

use gemini_image::RequestBuilder;

use crate::args::{ImageArgs, ImageOptions};
use crate::commands::Context;
use crate::failure::Failure;

pub async fn run(context: &Context, args: ImageArgs) -> Result<(), Failure> {
    let mut request = with_options(RequestBuilder::image().text(args.prompt), &args.options);
    if let Some(count) = args.count.filter(|n| *n > 1) {
        request = request.candidate_count(count);
    }
    if let Some(seed) = args.seed {
        request = request.seed(seed);
    }
    let model = &args.options.model;
    let response = context
        .generate(model, &request.build(), "generating")
        .await?;
    context.save_images(model, &response, args.output.as_deref(), "gemini-image")
}

/// Aspect ratio and size, when asked for.
pub fn with_options(mut request: RequestBuilder, options: &ImageOptions) -> RequestBuilder {
    if let Some(ratio) = options.aspect_ratio {
        request = request.aspect_ratio(ratio);
    }
    if let Some(size) = options.size {
        request = request.image_size(size);
    }
    request
}
