//! What an Interactions request carries in: the parts a turn is made of (the same
//! [`IntoParts`](crate::IntoParts) as `generateContent`'s, so [`image_part`](crate::image_part),
//! a [`File`] and text work for both APIs) as Interactions content blocks, and the request's
//! inline images for the 20 MB rules of `inline_limit.rs`.

use crate::OpenUnion;
use crate::inline_limit::{InlineImage, InlineImages, PartIndex};
use crate::types::{
    CreateInteractionRequest, File, InteractionContent, InteractionInput,
    InteractionKnownInputItem, InteractionStep, Part,
};

/// A `generateContent` part as an Interactions content block: text as `text`, `inlineData` as
/// an `image` with `data` (standard base64 on the wire) and `mime_type`, `fileData` as an
/// `image` with its `uri`. The bytes are shared, not copied. `None` for a part the Interactions
/// API has no block for (a function call …).
///
/// ```
/// use gemini_image::{content_of_part, image_part};
/// use gemini_image::types::InteractionContent;
///
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// let Some(InteractionContent::Image { data, mime_type, .. }) = content_of_part(image_part(png)?) else {
///     panic!("an image block");
/// };
/// assert_eq!(mime_type.as_deref(), Some("image/png"));
/// assert_eq!(data.unwrap().len(), 16);
/// # Ok::<(), gemini_image::Error>(())
/// ```
pub fn content_of_part(part: Part) -> Option<InteractionContent> {
    if let Some(blob) = part.inline_data {
        return Some(InteractionContent::Image {
            data: blob.data,
            mime_type: blob.mime_type,
            resolution: None,
            uri: None,
        });
    }
    if let Some(file) = part.file_data {
        return Some(InteractionContent::Image {
            data: None,
            mime_type: file.mime_type,
            resolution: None,
            uri: file.file_uri,
        });
    }
    part.text.map(|text| InteractionContent::Text {
        annotations: Vec::new(),
        text: Some(text),
    })
}

/// The `image` block naming an uploaded file by its URI.
pub(crate) fn file_content(file: &File) -> InteractionContent {
    InteractionContent::Image {
        data: None,
        mime_type: file.mime_type.clone(),
        resolution: None,
        uri: file.uri.clone().or_else(|| file.name.clone()),
    }
}

/// One user turn as a step.
pub(crate) fn user_input(content: Vec<OpenUnion<InteractionContent>>) -> InteractionStep {
    InteractionStep::UserInput { content }
}

/// The content blocks of a step of the input: a user's or the model's turn.
fn step_blocks_mut(step: &mut InteractionStep) -> &mut [OpenUnion<InteractionContent>] {
    match step {
        InteractionStep::UserInput { content } | InteractionStep::ModelOutput { content, .. } => {
            content
        }
        _ => &mut [],
    }
}

/// Every content block of the request's `input`, with where it is: `input[turn]`'s block
/// `part` (0 for a block that is an input item of its own).
fn input_blocks_mut(request: &mut CreateInteractionRequest) -> Vec<(PartIndex, BlockMut<'_>)> {
    let mut blocks = Vec::new();
    match request.input.as_mut() {
        Some(InteractionInput::InteractionContentValue(OpenUnion::Known(content))) => {
            blocks.push((PartIndex { turn: 0, part: 0 }, BlockMut(content)));
        }
        Some(InteractionInput::Array(items)) => {
            for (turn, item) in items.iter_mut().enumerate() {
                match item {
                    OpenUnion::Known(InteractionKnownInputItem::Content(content)) => {
                        blocks.push((PartIndex { turn, part: 0 }, BlockMut(content)));
                    }
                    OpenUnion::Known(InteractionKnownInputItem::Step(step)) => {
                        for (part, block) in step_blocks_mut(step).iter_mut().enumerate() {
                            if let OpenUnion::Known(content) = block {
                                blocks.push((PartIndex { turn, part }, BlockMut(content)));
                            }
                        }
                    }
                    OpenUnion::Unknown(_) => {}
                }
            }
        }
        _ => {}
    }
    blocks
}

/// A content block of the input, to read or to replace.
struct BlockMut<'a>(&'a mut InteractionContent);

impl InlineImages for CreateInteractionRequest {
    fn inline_images(&self) -> Vec<InlineImage> {
        // Cloning shares the images' `Bytes`; only the small rest is copied.
        let mut request = self.clone();
        input_blocks_mut(&mut request)
            .into_iter()
            .filter_map(|(at, block)| match &*block.0 {
                InteractionContent::Image {
                    data: Some(data),
                    mime_type,
                    ..
                } => Some(InlineImage {
                    at,
                    data: data.clone(),
                    mime_type: mime_type.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    fn strip_images(&mut self) {
        for (_, block) in input_blocks_mut(self) {
            if let InteractionContent::Image {
                data: Some(data), ..
            } = block.0
            {
                *data = Default::default();
            }
        }
    }

    fn put_file(&mut self, at: PartIndex, file: &File) -> bool {
        let found = input_blocks_mut(self).into_iter().find(|(index, block)| {
            *index == at && matches!(block.0, InteractionContent::Image { data: Some(_), .. })
        });
        match found {
            Some((_, block)) => {
                let resolution = match &*block.0 {
                    InteractionContent::Image { resolution, .. } => resolution.clone(),
                    _ => None,
                };
                let mut named = file_content(file);
                if let InteractionContent::Image { resolution: r, .. } = &mut named {
                    *r = resolution;
                }
                *block.0 = named;
                true
            }
            None => false,
        }
    }
}
