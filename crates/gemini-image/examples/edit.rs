//! Edits an image: yours (`--image PATH`) or one generated first, as an instruction says.
//!
//! ```text
//! cargo run -p gemini-image --example edit -- --image photo.jpg make it look like a watercolour
//! ```

mod support;

use gemini_image::ResponseExt;

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let mut args: Vec<String> = std::env::args().skip(1).collect();

    let original = match args.iter().position(|a| a == "--image") {
        Some(at) if at + 1 < args.len() => {
            let path = args.remove(at + 1);
            args.remove(at);
            bytes::Bytes::from(std::fs::read(&path)?)
        }
        _ => {
            let first = target
                .client
                .generate_image(&model, "a lighthouse on a cliff")
                .await?;
            let image = first
                .images()
                .into_iter()
                .next()
                .ok_or("the first image did not come")?;
            image.save(support::output("edit-before")?)?;
            image.bytes
        }
    };
    let instruction = if args.is_empty() {
        "make it black and white".to_string()
    } else {
        args.join(" ")
    };

    let edited = target
        .client
        .edit_image(&model, original, &instruction)
        .await?;
    let image = edited
        .images()
        .into_iter()
        .next()
        .ok_or_else(|| format!("no edited image: {:?}", edited.outcome()))?;
    let path = image.save(support::output("edit-after")?)?;
    println!("{instruction:?} -> wrote {}", path.display());
    Ok(())
}
