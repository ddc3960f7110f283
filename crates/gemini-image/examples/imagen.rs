//! Imagen `:predict`: several images for one prompt, for code written before Imagen's end. Google
//! shut Imagen down on 2026-08-17 (a call now answers 404, which the mock also answers by
//! default); this example runs against a mock serving the legacy models.
//!
//! ```text
//! cargo run -p gemini-image --example imagen
//! ```

mod support;

use std::num::NonZeroU32;

use gemini_image::types::{ImagenAspectRatio, ImagenParameters};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect_legacy().await?;
    let model = support::model("imagen-4.0-generate-001");
    let parameters = ImagenParameters {
        sample_count: NonZeroU32::new(2),
        aspect_ratio: Some(ImagenAspectRatio::X169.into()),
        ..Default::default()
    };
    let response = target
        .client
        .generate_images(&model, "a robot tending a rooftop garden", Some(parameters))
        .await?;
    for (n, prediction) in response.predictions.iter().enumerate() {
        match (
            &prediction.bytes_base64_encoded,
            &prediction.rai_filtered_reason,
        ) {
            (Some(bytes), _) => {
                let extension = match prediction.mime_type.as_deref() {
                    Some("image/jpeg") => "jpg",
                    _ => "png",
                };
                let path = support::output(&format!("imagen-{n}.{extension}"))?;
                std::fs::write(&path, bytes)?;
                println!("wrote {} ({} bytes)", path.display(), bytes.len());
            }
            (None, Some(reason)) => println!("image {n} filtered: {reason}"),
            (None, None) => println!("image {n}: empty prediction"),
        }
    }
    Ok(())
}
