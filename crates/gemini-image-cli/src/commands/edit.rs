//! `gemini-image edit IN.png [MORE.png] "INSTRUCTION"`.

use std::path::Path;

use gemini_image::types::Part;
use gemini_image::{RequestBuilder, UploadOptions, file_part, image_part_from_path};

use crate::args::EditArgs;
use crate::commands::Context;
use crate::commands::image::with_options;
use crate::failure::Failure;

pub async fn run(context: &Context, mut args: EditArgs) -> Result<(), Failure> {
    // clap guarantees at least two values: one input and the instruction.
    let instruction = args
        .inputs_then_instruction
        .pop()
        .ok_or_else(|| Failure::Local("give the input images, then the instruction".into()))?;
    let inputs = args.inputs_then_instruction;
    let uploads = too_large_to_send_inline(&inputs)?;
    if !uploads.is_empty() {
        let names: Vec<&str> = uploads.iter().map(|&i| inputs[i].as_str()).collect();
        context.progress.say(&format!(
            "the inputs would make a request over 20 MB: uploading {} through the Files API first",
            names.join(", ")
        ));
    }
    let mut request = RequestBuilder::image();
    for (index, input) in inputs.iter().enumerate() {
        let part = if uploads.contains(&index) {
            upload(context, input).await?
        } else {
            image_part_from_path(input).map_err(|e| Failure::Local(format!("{input}: {e}")))?
        };
        request = request.parts(part);
    }
    let request = with_options(request.text(instruction), &args.options).build();
    let model = &args.options.model;
    let response = context.generate(model, &request, "editing").await?;
    let first = Path::new(inputs.first().map(String::as_str).unwrap_or("image"));
    let default_stem = format!("{}-edited", first.with_extension("").to_string_lossy());
    context.save_images(model, &response, args.output.as_deref(), &default_stem)
}

/// Google refuses a request over 20 MB; the JSON around the images needs a little room.
const INLINE_LIMIT: u64 = 20 * 1000 * 1000 - 64 * 1024;

/// Which inputs to upload so that the rest fits inline (base64 makes 4 bytes of 3): the largest
/// first, as few as possible.
fn too_large_to_send_inline(inputs: &[String]) -> Result<Vec<usize>, Failure> {
    let mut sizes = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let bytes = std::fs::metadata(input)
            .map_err(|e| Failure::Local(format!("{input}: {e}")))?
            .len();
        sizes.push((bytes.div_ceil(3) * 4, index));
    }
    let mut inline: u64 = sizes.iter().map(|(size, _)| size).sum();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let mut uploads = Vec::new();
    for (size, index) in sizes {
        if inline <= INLINE_LIMIT {
            break;
        }
        inline -= size;
        uploads.push(index);
    }
    Ok(uploads)
}

/// Uploads one input and names it in a part; the file must be an image Gemini reads.
async fn upload(context: &Context, input: &str) -> Result<Part, Failure> {
    let path = Path::new(input);
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::Local(format!("{input}: {e}")))?
        .len();
    let bar = context.progress.bytes(size, format!("uploading {input}"));
    let shown = bar.clone();
    let uploaded = context
        .backend
        .client
        .files()
        .upload(
            path,
            UploadOptions::new().on_progress(move |sent, _| shown.set_position(sent)),
        )
        .await;
    bar.finish_and_clear();
    let file = uploaded?;
    let mime_type = file.mime_type.as_deref().unwrap_or("unknown");
    if !gemini_image::media::IMAGE_MIME_TYPES.contains(&mime_type) {
        return Err(Failure::Local(format!(
            "{input} ({mime_type}) is not an image Gemini reads: {}",
            gemini_image::media::IMAGE_MIME_TYPES.join(", ")
        )));
    }
    context.progress.say(&format!(
        "uploaded {input} as {}",
        file.name.as_deref().unwrap_or("?")
    ));
    Ok(file_part(&file))
}
