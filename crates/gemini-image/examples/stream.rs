//! Streams an answer: text as it is written, the image when it arrives, the usage at the end.
//!
//! ```text
//! cargo run -p gemini-image --example stream -- a comic strip about a cat who codes
//! ```

mod support;

use std::io::Write;

use futures_util::StreamExt;
use gemini_image::{Accumulator, RequestBuilder, ResponseExt};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let prompt = support::prompt_or("a comic strip about a cat who writes Rust");
    let request = RequestBuilder::image().text(prompt).build();

    let mut stream = target
        .client
        .stream_generate_content(&model, &request)
        .await?;
    let mut whole = Accumulator::default();
    let mut images = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        print!("{}", chunk.text());
        std::io::stdout().flush()?;
        for image in chunk.images() {
            let path = image.save(support::output(&format!("stream-{images}"))?)?;
            println!("\n[image: wrote {}]", path.display());
            images += 1;
        }
        whole.push(chunk);
    }
    let response = whole.finish();
    println!();
    if let Some(usage) = &response.usage_metadata {
        println!(
            "tokens: {} in, {} out",
            usage.prompt_token_count.unwrap_or(0),
            usage.candidates_token_count.unwrap_or(0)
        );
    }
    Ok(())
}
