//! `gemini-image edit IN.png [MORE.png] "INSTRUCTION"`.

use std::path::Path;

use gemini_image::types::GenerateContentRequest;
use gemini_image::{PartIndex, RequestBuilder, UploadOptions, image_part_from_path};

use crate::args::{Api, EditArgs};
use crate::commands::Context;
use crate::commands::image::{interaction_with_options, with_options};
use crate::failure::Failure;

pub async fn run(context: &Context, args: EditArgs) -> Result<(), Failure> {
    let instruction = args.instruction;
    let inputs = args.inputs;
    let mut parts = Vec::with_capacity(inputs.len());
    for input in &inputs {
        parts.push(image_part_from_path(input).map_err(|e| Failure::Local(e.to_string()))?);
    }
    let model = &args.options.model;
    let first = Path::new(inputs.first().map(String::as_str).unwrap_or("image"));
    let default_stem = format!("{}-edited", first.with_extension("").to_string_lossy());
    let output = args.output.as_deref();
    let size = args.options.picture.size;
    match args.options.api.api {
        Api::GenerateContent => {
            let request = RequestBuilder::image().parts(parts).text(instruction);
            let mut request = with_options(request, &args.options.picture).build();
            upload_what_does_not_fit(context, &inputs, &mut request).await?;
            let response = context.generate(model, &request, "editing").await?;
            context.save_images(model, &response, size, output, &default_stem)
        }
        Api::Interactions => {
            // Inputs that would pass 20 MB inline are uploaded by the SDK's `create`.
            let request = interaction_with_options(model, &args.options.picture)
                .parts(parts)
                .text(instruction);
            let answer = context.interact(request.build(), "editing").await?;
            context.save_images(model, &answer, size, output, &default_stem)
        }
    }
}

/// Uploads the inputs that the SDK picks (the largest, as few as needed) when sending them all
/// inline would pass Google's 20 MB, saying which, with a progress bar each.
async fn upload_what_does_not_fit(
    context: &Context,
    inputs: &[String],
    request: &mut GenerateContentRequest,
) -> Result<(), Failure> {
    let client = &context.backend.client;
    let uploads = client.images_to_upload(request)?;
    if uploads.is_empty() {
        return Ok(());
    }
    // The inputs are the parts of the first turn, in order.
    let name = |at: PartIndex| inputs.get(at.part).map_or("an input", String::as_str);
    let names: Vec<&str> = uploads.iter().map(|&at| name(at)).collect();
    context.progress.say(&format!(
        "the inputs would make a request over 20 MB: uploading {} through the Files API first",
        names.join(", ")
    ));
    let mut bars = Vec::new();
    let uploaded = client
        .upload_images(request, &uploads, |at| {
            let bar = context.progress.bytes(0, format!("uploading {}", name(at)));
            let shown = bar.clone();
            bars.push(bar);
            let options = match Path::new(name(at)).file_name() {
                Some(file) => UploadOptions::new().file_name(file.to_string_lossy()),
                None => UploadOptions::new(),
            };
            options.on_progress(move |sent, total| {
                shown.set_length(total);
                shown.set_position(sent);
                if sent == total {
                    shown.finish_and_clear();
                }
            })
        })
        .await;
    // A failed upload leaves its bar behind otherwise.
    for bar in bars {
        bar.finish_and_clear();
    }
    for (&at, file) in uploads.iter().zip(uploaded?) {
        context.progress.say(&format!(
            "uploaded {} as {}",
            name(at),
            file.name.as_deref().unwrap_or("?")
        ));
    }
    Ok(())
}
