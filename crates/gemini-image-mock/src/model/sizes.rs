//! Output image sizes of the real models (the tables of the reference notes, §10).

use gemini_image_types::types::{AspectRatio, ImageSize, ImagenAspectRatio, ImagenImageSize};

use super::catalogue::Family;

/// Width and height of a Gemini image.
///
/// The Gemini 3 table is Google's (image-generation docs, "aspect ratios and image size"); its
/// `512` column is half of `1K` on each side. A third-party copy of that table gives 21:9 at
/// `512` as 792x168, which cannot be (it is not 21:9): we take 792x336, half of 1584x672.
pub fn gemini(family: Family, aspect: AspectRatio, size: ImageSize) -> (u32, u32) {
    use AspectRatio as A;
    if family != Family::Gemini3Image {
        // Gemini 2.x image models make 1K images only, whatever imageSize says; they took the
        // ten ratios only (the extreme four are refused before this, see `check_image_config`).
        match aspect {
            A::X11 => return (1024, 1024),
            A::X23 => return (832, 1248),
            A::X32 => return (1248, 832),
            A::X34 => return (864, 1184),
            A::X43 => return (1184, 864),
            A::X45 => return (896, 1152),
            A::X54 => return (1152, 896),
            A::X916 => return (768, 1344),
            A::X169 => return (1344, 768),
            A::X219 => return (1536, 672),
            A::X14 | A::X41 | A::X18 | A::X81 => {}
        }
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
        A::X14 => (512, 2048),
        A::X41 => (2048, 512),
        A::X18 => (384, 3072),
        A::X81 => (3072, 384),
    };
    match size {
        ImageSize::X512 => (width / 2, height / 2),
        ImageSize::X1k => (width, height),
        ImageSize::X2k => (width * 2, height * 2),
        ImageSize::X4k => (width * 4, height * 4),
    }
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

/// The aspect ratio among `allowed` (as the model table writes them, `"16:9"`) closest to
/// `width`:`height`: an edit keeps its input's shape as far as the model can.
pub fn nearest_aspect(allowed: &[&str], width: u32, height: u32) -> AspectRatio {
    let wanted = (f64::from(width.max(1)) / f64::from(height.max(1))).ln();
    let distance = |ratio: &str| {
        let (w, h) = ratio.split_once(':')?;
        let (w, h): (f64, f64) = (w.parse().ok()?, h.parse().ok()?);
        Some(((w / h).ln() - wanted).abs())
    };
    allowed
        .iter()
        .filter_map(|ratio| Some((distance(ratio)?, ratio.parse::<AspectRatio>().ok()?)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(AspectRatio::X11, |(_, ratio)| ratio)
}

/// Tokens billed for one output image. The references give about 1120 at 1K and 2K and 2000 at
/// 4K for the Gemini 3 models; none gives `512`: we count it as 1K until one does.
pub fn output_image_tokens(family: Family, size: ImageSize) -> i32 {
    match (family, size) {
        (Family::Gemini3Image, ImageSize::X4k) => 2000,
        (Family::Gemini3Image, _) => 1120,
        _ => 1290,
    }
}
