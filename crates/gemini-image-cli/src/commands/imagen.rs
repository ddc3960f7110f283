//! `gemini-image imagen "PROMPT"`: Imagen `:predict`.

use gemini_image::Image;
use gemini_image::types::ImagenParameters;

use crate::args::ImagenArgs;
use crate::commands::Context;
use crate::failure::Failure;
use crate::output::{self, Report};

pub async fn run(context: &Context, args: ImagenArgs) -> Result<(), Failure> {
    let parameters = ImagenParameters {
        sample_count: args.count.and_then(std::num::NonZeroU32::new),
        aspect_ratio: args.aspect_ratio.map(Into::into),
        ..Default::default()
    };
    context
        .progress
        .start(format!("generating with {}", args.model));
    let response = context
        .backend
        .client
        .generate_images(&args.model, &args.prompt, Some(parameters))
        .await;
    context.progress.done();
    let response = response?;

    let images: Vec<Image> = response
        .predictions
        .iter()
        .filter_map(|p| {
            Some(Image {
                mime_type: p.mime_type.clone().unwrap_or_else(|| "image/png".into()),
                bytes: p.bytes_base64_encoded.clone()?.into_bytes(),
            })
        })
        .collect();
    let filtered: Vec<&str> = response
        .predictions
        .iter()
        .filter_map(|p| p.rai_filtered_reason.as_deref())
        .collect();
    let mut report = Report {
        backend: context.backend.name.clone(),
        model: args.model.clone(),
        text: String::new(),
        images: Vec::new(),
        finish_reason: None,
        blocked: (!filtered.is_empty()).then(|| filtered.join(" ")),
        usage: None,
    };
    for (index, image) in images.iter().enumerate() {
        let path = output::path_for(args.output.as_deref(), "imagen", index, images.len(), image);
        report.images.push(output::save(image, path)?);
    }
    report.print(context.json, context.show);
    if !context.json {
        for reason in &filtered {
            eprintln!("filtered: {reason}");
        }
    }
    if images.is_empty() {
        let why = match filtered.is_empty() {
            true => "no image came back".to_string(),
            false => format!("every image was filtered: {}", filtered.join(" ")),
        };
        return Err(Failure::Blocked(why));
    }
    Ok(())
}
