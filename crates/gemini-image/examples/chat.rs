//! Edits an image over several turns with a `Chat`, which sends every earlier image and
//! `thoughtSignature` back, as Gemini 3 image models need.
//!
//! ```text
//! cargo run -p gemini-image --example chat
//! ```

mod support;

use gemini_image::ResponseExt;

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_PRO_IMAGE);
    let mut chat = target.client.chat(&model);

    for (turn, message) in ["draw a red bicycle", "make it blue", "add a basket"]
        .into_iter()
        .enumerate()
    {
        let response = chat.send(message).await?;
        let image = response
            .images()
            .into_iter()
            .next()
            .ok_or_else(|| format!("turn {turn} gave no image: {:?}", response.outcome()))?;
        let path = image.save(support::output(&format!("chat-{turn}"))?)?;
        println!("{message:?} -> wrote {}", path.display());
    }
    println!("the history holds {} turns", chat.history().len());
    Ok(())
}
