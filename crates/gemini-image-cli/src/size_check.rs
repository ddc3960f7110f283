//! Whether an answer's image is the size that was asked for. A model that cannot make a size
//! (a legacy model asked for 4K) answers at the size it can, without a word: the CLI says so,
//! since the user paid for the call expecting another picture.

use gemini_image::types::ImageSize;

/// The sizes, from the smallest, with the pixel count of their square (Google's table:
/// every ratio of a size has about the same number of pixels as its 1:1).
const SIZES: [(ImageSize, f64); 4] = [
    (ImageSize::X512, 512.0 * 512.0),
    (ImageSize::X1k, 1024.0 * 1024.0),
    (ImageSize::X2k, 2048.0 * 2048.0),
    (ImageSize::X4k, 4096.0 * 4096.0),
];

/// The size whose pixel count is nearest `width` × `height` (on a log scale, where the sizes
/// are evenly spaced: each has four times the pixels of the one before).
pub fn nearest_size(width: u32, height: u32) -> ImageSize {
    let pixels = (f64::from(width) * f64::from(height)).max(1.0).ln();
    let distance = |square: f64| (square.ln() - pixels).abs();
    SIZES
        .iter()
        .min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))
        .map_or(ImageSize::X1k, |&(size, _)| size)
}

/// A warning when an image of `width` × `height` is not of the `asked` size.
pub fn mismatch(model: &str, asked: ImageSize, width: u32, height: u32) -> Option<String> {
    let answered = nearest_size(width, height);
    (answered != asked).then(|| {
        format!(
            "warning: asked for --size {asked}, but the image is {width}x{height} (a {answered} \
             size): {model} may not make {asked} images"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ratio_of_googles_table_is_its_own_size() {
        // The extreme ratios of each size, and the 1:1.
        for (asked, sizes) in [
            (ImageSize::X512, [(512, 512), (192, 1536), (792, 336)]),
            (ImageSize::X1k, [(1024, 1024), (384, 3072), (1584, 672)]),
            (ImageSize::X2k, [(2048, 2048), (768, 6144), (3168, 1344)]),
            (ImageSize::X4k, [(4096, 4096), (1536, 12288), (6336, 2688)]),
        ] {
            for (width, height) in sizes {
                assert_eq!(
                    mismatch("m", asked, width, height),
                    None,
                    "{width}x{height}"
                );
            }
        }
        // Gemini 2.x's 1K table.
        assert_eq!(mismatch("m", ImageSize::X1k, 1344, 768), None);
    }

    #[test]
    fn a_4k_ask_answered_1k_is_said() {
        let warning = mismatch("gemini-2.5-flash-image", ImageSize::X4k, 1024, 1024);
        assert_eq!(
            warning.as_deref(),
            Some(
                "warning: asked for --size 4K, but the image is 1024x1024 (a 1K size): \
                 gemini-2.5-flash-image may not make 4K images"
            )
        );
        assert!(mismatch("m", ImageSize::X2k, 64, 48).is_some());
    }
}
