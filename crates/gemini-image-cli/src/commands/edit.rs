//! `gemini-image edit IN.png [MORE.png] "INSTRUCTION"`.

use std::path::Path;

use gemini_image::{RequestBuilder, image_part_from_path};

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
    let mut request = RequestBuilder::image();
    for input in &inputs {
        let part =
            image_part_from_path(input).map_err(|e| Failure::Local(format!("{input}: {e}")))?;
        request = request.parts(part);
    }
    let request = with_options(request.text(instruction), &args.options).build();
    let model = &args.options.model;
    let response = context.generate(model, &request, "editing").await?;
    let first = Path::new(inputs.first().map(String::as_str).unwrap_or("image"));
    let default_stem = format!("{}-edited", first.with_extension("").to_string_lossy());
    context.save_images(model, &response, args.output.as_deref(), &default_stem)
}
