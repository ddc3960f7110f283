//! The Interactions API (`/interactions`, Google's recommended interface since June 2026): an
//! image at a size, streamed; then a stored multi-turn edit that sends each instruction with
//! the previous interaction's id only — no image bytes after the first turn.
//!
//! ```text
//! cargo run -p gemini-image --example interactions -- a lighthouse at dusk
//! ```

mod support;

use futures_util::StreamExt;
use gemini_image::types::{AspectRatio, ImageSize, InteractionEvent};
use gemini_image::{
    InteractionAccumulator, InteractionExt, InteractionRequest, OpenUnion, ResponseFormat,
};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let interactions = target.client.interactions();

    // One image, 2K at 16:9, streamed: the image arrives whole in one `step.delta`.
    let request = InteractionRequest::new(&model)
        .text(support::prompt_or("a lighthouse at dusk"))
        .response_format(
            ResponseFormat::image()
                .size(ImageSize::X2k)
                .aspect_ratio(AspectRatio::X169),
        );
    let mut stream = interactions.create_stream(request).await?;
    let mut accumulator = InteractionAccumulator::default();
    while let Some(event) = stream.next().await {
        let event = event?;
        match &event {
            OpenUnion::Known(InteractionEvent::StepDelta {
                delta: Some(delta), ..
            }) => match &delta.data {
                Some(data) => println!("step.delta: {} bytes of {:?}", data.len(), delta.mime_type),
                None => println!("step.delta: {}", delta.type_),
            },
            OpenUnion::Known(other) => println!("{}", event_name(other)),
            OpenUnion::Unknown(_) => println!(
                "(an event newer than this crate: {:?})",
                event.unknown_type()
            ),
        }
        accumulator.push(event);
    }
    let streamed = accumulator.finish();
    let image = streamed
        .output_image()
        .ok_or_else(|| format!("no image: {:?}", streamed.status))?;
    let path = image.save(support::output("interactions-0")?)?;
    println!("wrote {}", path.display());

    // A stored chat: each turn sends only its instruction and the last interaction's id.
    let mut chat = interactions.chat(&model);
    for (turn, instruction) in ["draw a red bicycle", "make it blue"]
        .into_iter()
        .enumerate()
    {
        let answer = chat.send(instruction).await?;
        let image = answer
            .output_image()
            .ok_or_else(|| format!("turn {turn} gave no image: {:?}", answer.status))?;
        let path = image.save(support::output(&format!("interactions-chat-{turn}"))?)?;
        println!(
            "{instruction:?} -> wrote {} (interaction {})",
            path.display(),
            chat.last_interaction_id().unwrap_or("?")
        );
    }
    Ok(())
}

fn event_name(event: &InteractionEvent) -> &'static str {
    match event {
        InteractionEvent::InteractionCreated { .. } => "interaction.created",
        InteractionEvent::InteractionStatusUpdate { .. } => "interaction.status_update",
        InteractionEvent::StepStart { .. } => "step.start",
        InteractionEvent::StepDelta { .. } => "step.delta",
        InteractionEvent::StepStop { .. } => "step.stop",
        InteractionEvent::InteractionCompleted { .. } => "interaction.completed",
        InteractionEvent::Error { .. } => "error",
    }
}
