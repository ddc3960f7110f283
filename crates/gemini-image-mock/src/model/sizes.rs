//! Output image sizes of the real models (the tables of the reference notes, §10).

use gemini_image_types::types::{AspectRatio, ImageSize, ImagenAspectRatio, ImagenImageSize};

use super::catalogue::Family;

/// Width and height of a Gemini image.
pub fn gemini(family: Family, aspect: AspectRatio, size: ImageSize) -> (u32, u32) {
    use AspectRatio as A;
    if family != Family::Gemini3Image {
        // Gemini 2.x image models make 1K images only, whatever imageSize says.
        return match aspect {
            A::X11 => (1024, 1024),
            A::X23 => (832, 1248),
            A::X32 => (1248, 832),
            A::X34 => (864, 1184),
            A::X43 => (1184, 864),
            A::X45 => (896, 1152),
            A::X54 => (1152, 896),
            A::X916 => (768, 1344),
            A::X169 => (1344, 768),
            A::X219 => (1536, 672),
        };
    }
    let (width, height) = match aspect {
        A::X11 => (1024, 1024),
        A::X23 => (848, 1264),
        A::X32 => (1264, 848),
        A::X34 => (896, 1200),
        A::X43 => (1200, 896),
        A::X45 => (928, 1152),
        A::X54 => (1152, 928),
        A::X916 => (768, 1376),
        A::X169 => (1376, 768),
        A::X219 => (1584, 672),
    };
    let factor = match size {
        ImageSize::X1k => 1,
        ImageSize::X2k => 2,
        ImageSize::X4k => 4,
    };
    (width * factor, height * factor)
}

/// Width and height of an Imagen image.
pub fn imagen(aspect: ImagenAspectRatio, size: ImagenImageSize) -> (u32, u32) {
    use ImagenAspectRatio as A;
    let (width, height) = match aspect {
        A::X11 => (1024, 1024),
        A::X34 => (896, 1280),
        A::X43 => (1280, 896),
        A::X916 => (768, 1408),
        A::X169 => (1408, 768),
    };
    match size {
        ImagenImageSize::X1k => (width, height),
        ImagenImageSize::X2k => (width * 2, height * 2),
    }
}

/// The supported aspect ratio closest to `width`:`height` (edits keep their input's shape).
pub fn nearest_aspect(width: u32, height: u32) -> AspectRatio {
    let wanted = (width.max(1) as f64 / height.max(1) as f64).ln();
    let ratio = |a: AspectRatio| {
        let (w, h) = gemini(Family::Gemini25Image, a, ImageSize::X1k);
        (w as f64 / h as f64).ln()
    };
    use AspectRatio as A;
    [
        A::X11,
        A::X23,
        A::X32,
        A::X34,
        A::X43,
        A::X45,
        A::X54,
        A::X916,
        A::X169,
        A::X219,
    ]
    .into_iter()
    .min_by(|a, b| {
        (ratio(*a) - wanted)
            .abs()
            .total_cmp(&(ratio(*b) - wanted).abs())
    })
    .unwrap_or(A::X11)
}

/// Tokens billed for one output image.
pub fn output_image_tokens(family: Family, size: ImageSize) -> i32 {
    match (family, size) {
        (Family::Gemini3Image, ImageSize::X4k) => 2000,
        (Family::Gemini3Image, _) => 1120,
        _ => 1290,
    }
}
