//! A turn of the Interactions API read into the `GenerateContentRequest` the simulated model
//! answers: the input in any of its forms as steps, the steps as turns of `contents`, the
//! response format as a generation config.

use gemini_image_types::types::{
    AspectRatio, Blob, Content, CreateInteractionRequest, FileData, GenerateContentRequest,
    GenerationConfig, ImageConfig, ImageSize, InteractionContent, InteractionInput,
    InteractionKnownInputItem, InteractionResponseFormat, InteractionResponseFormats,
    InteractionStep, Modality, Part,
};
use gemini_image_types::{OpenEnum, OpenUnion};

use crate::error::ApiError;
use crate::scenarios::Scenario;
use crate::scenarios::pick::take_directives;

/// The step types and content types this mock reads in `input`.
const KNOWN_TYPES: &[&str] = &[
    "user_input",
    "model_output",
    "thought",
    "function_call",
    "function_result",
    "text",
    "image",
    "audio",
    "video",
    "document",
];

/// `input` in any of its forms as steps: a string, one content block or a list of content
/// blocks is one `user_input` step (what Python sends for a list: it wraps it so itself); a
/// list of steps is kept as it is (a stateless history). Content blocks between steps make one
/// `user_input` step each run. A member of a type this mock does not know is refused: the model
/// could not read it.
pub fn input_steps(input: InteractionInput) -> Result<Vec<OpenUnion<InteractionStep>>, ApiError> {
    let user_input = |content| OpenUnion::Known(InteractionStep::UserInput { content });
    let items = match input {
        InteractionInput::String(text) => {
            return Ok(vec![user_input(vec![OpenUnion::Known(
                InteractionContent::Text {
                    text: Some(text),
                    annotations: Vec::new(),
                },
            )])]);
        }
        InteractionInput::InteractionContentValue(content) => {
            check_content(&content, "input")?;
            return Ok(vec![user_input(vec![content])]);
        }
        InteractionInput::Array(items) => items,
    };
    let mut steps = Vec::new();
    let mut run = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match item {
            OpenUnion::Known(InteractionKnownInputItem::Content(content)) => {
                run.push(OpenUnion::Known(content));
            }
            OpenUnion::Known(InteractionKnownInputItem::Step(step)) => {
                if !run.is_empty() {
                    steps.push(user_input(std::mem::take(&mut run)));
                }
                if let InteractionStep::UserInput { content } = &step
                    && content.is_empty()
                {
                    // A user turn with nothing in it: nothing for the model to answer.
                    return Err(ApiError::invalid_request(format!(
                        "input[{index}].content: a user_input step needs content."
                    )));
                }
                if let InteractionStep::UserInput { content }
                | InteractionStep::ModelOutput { content, .. } = &step
                {
                    for (at, block) in content.iter().enumerate() {
                        check_content(block, &format!("input[{index}].content[{at}]"))?;
                    }
                }
                steps.push(OpenUnion::Known(step));
            }
            OpenUnion::Unknown(fields) => {
                let kind = fields.get("type").and_then(|t| t.as_str());
                return Err(unreadable(kind, &format!("input[{index}]")));
            }
        }
    }
    if !run.is_empty() {
        steps.push(user_input(run));
    }
    if steps.is_empty() {
        return Err(ApiError::invalid_request("input must not be empty."));
    }
    Ok(steps)
}

fn check_content(content: &OpenUnion<InteractionContent>, at: &str) -> Result<(), ApiError> {
    match content {
        OpenUnion::Known(_) => Ok(()),
        OpenUnion::Unknown(fields) => {
            Err(unreadable(fields.get("type").and_then(|t| t.as_str()), at))
        }
    }
}

/// A member of `input` the mock cannot read: a type it does not know, or a known type whose
/// fields have the wrong types (an untagged union cannot tell the two apart).
fn unreadable(kind: Option<&str>, at: &str) -> ApiError {
    match kind {
        Some(kind) if KNOWN_TYPES.contains(&kind) => {
            ApiError::invalid_request(format!("{at}: malformed '{kind}' item."))
        }
        Some(kind) => ApiError::invalid_request(format!(
            "{at}: unknown step or content type '{kind}'. Known: {}.",
            KNOWN_TYPES.join(", ")
        )),
        None => ApiError::invalid_request(format!("{at}: every item needs a 'type'.")),
    }
}

/// Takes `[mock:…]` directives out of the text blocks of `steps` (the turn's own input, not
/// the stored history) and returns the scenarios they name.
pub fn take_step_directives(
    steps: &mut [OpenUnion<InteractionStep>],
) -> Result<Vec<Scenario>, ApiError> {
    let mut found = Vec::new();
    for step in steps.iter_mut() {
        if let OpenUnion::Known(InteractionStep::UserInput { content }) = step {
            for block in content.iter_mut() {
                if let OpenUnion::Known(InteractionContent::Text {
                    text: Some(text), ..
                }) = block
                {
                    found.extend(take_directives(text)?);
                }
            }
        }
    }
    Ok(found)
}

/// The `GenerateContentRequest` the model answers for a turn: `history` (the stored
/// conversation) then `steps` (this turn's input) as `contents`; the formats asked for as its
/// generation config.
pub fn to_generate_request(
    request: &CreateInteractionRequest,
    history: &[OpenUnion<InteractionStep>],
    steps: &[OpenUnion<InteractionStep>],
    makes_images: bool,
) -> Result<GenerateContentRequest, ApiError> {
    let contents = history
        .iter()
        .chain(steps)
        .filter_map(|step| match step {
            OpenUnion::Known(InteractionStep::UserInput { content }) => Some(("user", content)),
            OpenUnion::Known(InteractionStep::ModelOutput { content, .. }) => {
                Some(("model", content))
            }
            // A thought's signature carries the real model's visual context; the mock's model
            // edits the last picture of the history without it. Function steps: image models
            // have no function calling.
            _ => None,
        })
        .map(|(role, content)| {
            Ok(Content {
                parts: content.iter().map(to_part).collect::<Result<_, _>>()?,
                role: Some(role.to_string()),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(GenerateContentRequest {
        contents,
        system_instruction: request.system_instruction.as_ref().map(|text| Content {
            parts: vec![Part {
                text: Some(text.clone()),
                ..Default::default()
            }],
            role: None,
        }),
        generation_config: Some(generation_config(request, makes_images)?),
        cached_content: None,
        continuation_token: None,
        labels: Default::default(),
        model: None,
        safety_settings: Vec::new(),
        service_tier: None,
        store: None,
        tool_config: None,
        tools: Vec::new(),
    })
}

/// One content block as a part: text, or media inline (`data`) or by reference (`uri`, which
/// `files::resolve` turns into the stored file's bytes when it names the Files API).
fn to_part(content: &OpenUnion<InteractionContent>) -> Result<Part, ApiError> {
    let (data, uri, mime_type) = match content {
        OpenUnion::Known(InteractionContent::Text { text, .. }) => {
            return Ok(Part {
                text: Some(text.clone().unwrap_or_default()),
                ..Default::default()
            });
        }
        OpenUnion::Known(
            InteractionContent::Image {
                data,
                uri,
                mime_type,
                ..
            }
            | InteractionContent::Audio {
                data,
                uri,
                mime_type,
            }
            | InteractionContent::Video {
                data,
                uri,
                mime_type,
            }
            | InteractionContent::Document {
                data,
                uri,
                mime_type,
            },
        ) => (data, uri, mime_type),
        OpenUnion::Unknown(fields) => {
            return Err(unreadable(
                fields.get("type").and_then(|t| t.as_str()),
                "input",
            ));
        }
    };
    match (data, uri) {
        (Some(data), _) => Ok(Part {
            inline_data: Some(Blob {
                // The Interactions API makes `mime_type` optional: an image's own bytes say it.
                mime_type: mime_type.clone().or_else(|| {
                    image::guess_format(data)
                        .ok()
                        .map(|format| format.to_mime_type().to_string())
                }),
                // `Bytes` shared with the request, not copied.
                data: Some(data.clone()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        (None, Some(uri)) => Ok(Part {
            file_data: Some(FileData {
                file_uri: Some(uri.clone()),
                mime_type: mime_type.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        (None, None) => Err(ApiError::invalid_request(
            "A media content block needs its 'data' (base64) or a 'uri'.",
        )),
    }
}

/// The MIME types each output type takes (the SDK's enums: images only JPEG; text plain or
/// JSON with a `schema`).
fn mime_types_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "image" => &["image/jpeg"],
        "text" => &["text/plain", "application/json"],
        _ => &[],
    }
}

/// Refuses a `mime_type` the output type does not take, and a `delivery` other than `inline`.
fn check_format(format: &InteractionResponseFormat) -> Result<(), ApiError> {
    let kind = format.type_.as_str();
    if let Some(mime) = format.mime_type.as_deref()
        && !mime_types_of(kind).contains(&mime)
    {
        return Err(ApiError::invalid_request(format!(
            "response_format.mime_type: '{mime}' is not supported for {kind} output; the \
             values are {}.",
            mime_types_of(kind).join(", ")
        )));
    }
    match format.delivery.as_deref() {
        None | Some("inline") => Ok(()),
        // The mock's limit: what a `uri` delivery answers is not known.
        Some("uri") => Err(ApiError::invalid_request(
            "response_format.delivery: only 'inline' is served by gemini-image-mock.",
        )),
        Some(other) => Err(ApiError::invalid_request(format!(
            "response_format.delivery: '{other}' is not a delivery (inline or uri)."
        ))),
    }
}

/// The formats asked for: `response_format` (one or a list), else the deprecated
/// `response_modalities` and `generation_config.image_config`, which are still read.
///
/// Without any, an image model answers with an image alone (the docs' get-started reply), a
/// text model with text.
fn generation_config(
    request: &CreateInteractionRequest,
    makes_images: bool,
) -> Result<GenerationConfig, ApiError> {
    let formats: Vec<&InteractionResponseFormat> = match &request.response_format {
        Some(InteractionResponseFormats::InteractionResponseFormat(one)) => vec![one],
        Some(InteractionResponseFormats::Array(list)) => list.iter().collect(),
        None => Vec::new(),
    };
    let legacy = request
        .generation_config
        .as_ref()
        .and_then(|c| c.image_config.as_ref());
    let mut aspect_ratio: Option<OpenEnum<AspectRatio>> =
        legacy.and_then(|c| c.aspect_ratio.clone());
    let mut image_size: Option<OpenEnum<ImageSize>> = legacy.and_then(|c| c.image_size.clone());
    let mut modalities: Vec<OpenEnum<Modality>> = Vec::new();
    for format in &formats {
        check_format(format)?;
        // Read from any format, so that the model judges every value sent (a text format's
        // image settings change nothing, but a value no model takes is still refused).
        aspect_ratio = format.aspect_ratio.clone().or(aspect_ratio);
        image_size = format.image_size.clone().or(image_size);
        let modality = match format.type_.as_str() {
            "image" => Modality::Image,
            "text" => Modality::Text,
            "audio" => Modality::Audio,
            "video" => Modality::Video,
            other => {
                return Err(ApiError::invalid_request(format!(
                    "response_format.type: unknown type '{other}' (image, text, audio or video)."
                )));
            }
        };
        modalities.push(modality.into());
    }
    if formats.is_empty() {
        for modality in &request.response_modalities {
            let mapped = match modality.to_string().to_ascii_lowercase().as_str() {
                "text" => Modality::Text,
                "image" => Modality::Image,
                "audio" => Modality::Audio,
                "video" => Modality::Video,
                other => {
                    return Err(ApiError::invalid_request(format!(
                        "response_modalities: '{other}' cannot be produced."
                    )));
                }
            };
            modalities.push(mapped.into());
        }
    }
    if modalities.is_empty() && makes_images {
        modalities.push(Modality::Image.into());
    }
    let config = request.generation_config.as_ref();
    Ok(GenerationConfig {
        response_modalities: modalities,
        image_config: (aspect_ratio.is_some() || image_size.is_some()).then_some(ImageConfig {
            aspect_ratio,
            image_size,
            ..Default::default()
        }),
        // The seed is an int64 on the wire and an int32 for the model: its low bits.
        seed: config.and_then(|c| c.seed).map(|seed| seed as i32),
        ..Default::default()
    })
}
