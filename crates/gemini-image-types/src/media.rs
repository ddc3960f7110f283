//! The image formats Gemini reads as input.

/// The MIME types of the images Gemini reads (Google's "supported image formats"): anything
/// else as an image input is refused (`400 Unsupported MIME type: image/gif`). BMP, ICO, GIF
/// and TIFF are not among them.
///
/// ```
/// use gemini_image_types::media::IMAGE_MIME_TYPES;
///
/// assert!(IMAGE_MIME_TYPES.contains(&"image/webp"));
/// assert!(!IMAGE_MIME_TYPES.contains(&"image/bmp"));
/// ```
pub const IMAGE_MIME_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
];
