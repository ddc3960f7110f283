//! The Files API: upload an image once (yours with `--image PATH`, or one generated first), edit
//! from its URI — the request carries a reference, not megabytes of base64 — then delete it.
//!
//! ```text
//! cargo run -p gemini-image --example files -- --image photo.jpg make it a watercolour
//! ```

mod support;

use gemini_image::{ResponseExt, UploadOptions};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let mut args: Vec<String> = std::env::args().skip(1).collect();

    let source: gemini_image::UploadSource = match args.iter().position(|a| a == "--image") {
        Some(at) if at + 1 < args.len() => {
            let path = args.remove(at + 1);
            args.remove(at);
            std::path::PathBuf::from(path).into() // streamed from disk, 8 MiB at a time
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
            image.bytes.into()
        }
    };
    let instruction = if args.is_empty() {
        "make it black and white".to_string()
    } else {
        args.join(" ")
    };

    let files = target.client.files();
    let uploaded = files
        .upload(
            source,
            UploadOptions::new()
                .display_name("files example")
                .on_progress(|sent, total| eprintln!("uploaded {sent} of {total} bytes")),
        )
        .await?;
    let name = uploaded.name.clone().unwrap_or_default();
    eprintln!(
        "{name}: {} bytes, {}, expires {}",
        uploaded.size_bytes.as_deref().unwrap_or("?"),
        uploaded.mime_type.as_deref().unwrap_or("?"),
        uploaded.expiration_time.as_deref().unwrap_or("?")
    );
    // Images are ACTIVE at once; video may be PROCESSING for a while.
    let ready = files
        .wait_active(&name, std::time::Duration::from_secs(60))
        .await?;

    let edited = target
        .client
        .edit_image_from_files(&model, &[ready], &instruction)
        .await?;
    let image = edited
        .images()
        .into_iter()
        .next()
        .ok_or("the edit came back without an image")?;
    let path = image.save(support::output("files-edited")?)?;
    println!("{}", path.display());

    files.delete(&name).await?;
    Ok(())
}
