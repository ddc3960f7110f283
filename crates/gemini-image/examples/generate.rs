//! Generates an image from a prompt and saves it.
//!
//! ```text
//! cargo run -p gemini-image --example generate -- a red bicycle leaning on a wall
//! ```
//! Without `GEMINI_API_KEY` it talks to a `gemini-image-mock` it starts itself.

mod support;

use gemini_image::{Outcome, ResponseExt};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let prompt = support::prompt_or("a red bicycle leaning on a whitewashed wall");

    let response = target.client.generate_image(&model, &prompt).await?;
    let text = response.text();
    if !text.is_empty() {
        println!("{model}: {text}");
    }
    match response.outcome() {
        Outcome::Images(images) => {
            for (n, image) in images.iter().enumerate() {
                let path = image.save(support::output(&format!("generate-{n}"))?)?;
                println!(
                    "wrote {} ({} bytes, {})",
                    path.display(),
                    image.bytes.len(),
                    image.mime_type
                );
            }
        }
        Outcome::NoImage {
            finish_reason,
            message,
            ..
        } => {
            return Err(format!(
                "no image ({finish_reason:?}): {}",
                message.unwrap_or_default()
            )
            .into());
        }
        Outcome::PromptBlocked { reason, message } => {
            return Err(format!(
                "prompt blocked ({reason:?}): {}",
                message.unwrap_or_default()
            )
            .into());
        }
    }
    Ok(())
}
