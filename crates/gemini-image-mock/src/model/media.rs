//! Inline media as Gemini checks it before any model sees it: a MIME type Gemini reads, and, for
//! images, bytes that are an image — wherever the blob sits in the request (any turn, the system
//! instruction, a function's response).

use gemini_image_types::media::IMAGE_MIME_TYPES;
use gemini_image_types::types::{Blob, Content, Part};
use image::{DynamicImage, ImageFormat};

use crate::error::ApiError;

/// The MIME types other than images that Gemini reads inline (the images are
/// [`IMAGE_MIME_TYPES`], shared with the SDK): the lists of Google's "supported file formats"
/// pages (audio, video, documents). Anything else is refused, as Google refuses `image/jpg`,
/// `png` or `application/cu-seeme` ("Unsupported MIME type: …"). `text/x-python`, which the
/// docs once listed, is left out: it was measured refused.
const READABLE_OTHER: &[&str] = &[
    "audio/wav",
    "audio/mp3",
    "audio/mpeg",
    "audio/aiff",
    "audio/aac",
    "audio/ogg",
    "audio/flac",
    "video/mp4",
    "video/mpeg",
    "video/mov",
    "video/avi",
    "video/x-flv",
    "video/mpg",
    "video/webm",
    "video/wmv",
    "video/3gpp",
    "application/pdf",
    "text/plain",
    "text/html",
    "text/css",
    "text/csv",
    "text/markdown",
    "text/xml",
    "text/rtf",
    "application/rtf",
    "text/javascript",
    "application/x-javascript",
    "application/json",
];

/// Google's answer to image bytes it cannot read.
fn unreadable_image() -> ApiError {
    ApiError::invalid_argument(
        "Unable to process input image. Please retry or report in \
         https://developers.generativeai.google/guide/troubleshooting",
    )
}

/// Whether a blob is an image, by its declared type.
pub fn is_image(blob: &Blob) -> bool {
    blob.mime_type
        .as_deref()
        .is_some_and(|mime| mime.starts_with("image/"))
}

/// Refuses a blob Gemini would refuse: a type it does not read, or image bytes that are not an
/// image. Only headers are read; [`decode`] does the full work for the images the mock draws on.
pub fn check(blob: &Blob) -> Result<(), ApiError> {
    let mime = blob.mime_type.as_deref().unwrap_or_default();
    if !IMAGE_MIME_TYPES.contains(&mime) && !READABLE_OTHER.contains(&mime) {
        return Err(ApiError::invalid_argument(format!(
            "Unsupported MIME type: {mime}"
        )));
    }
    if !is_image(blob) {
        return Ok(());
    }
    let data = blob.data.as_deref().unwrap_or_default();
    let dimensions = match image::guess_format(data) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => {
            image::ImageReader::with_format(std::io::Cursor::new(data), format)
                .into_dimensions()
                .ok()
        }
        // HEIC and HEIF are ISO media files: a `ftyp` box first. The mock does not read them
        // further (it never decodes them), so they cost nothing however large they claim to be.
        _ if data.get(4..8) == Some(b"ftyp") => return Ok(()),
        _ => None,
    };
    match dimensions {
        Some((width, height)) if !within_limits(width, height) => {
            Err(image_too_large(width, height))
        }
        Some(_) => Ok(()),
        None => Err(unreadable_image()),
    }
}

/// The most pixels an input image may have, and the most a side may have, read from its header
/// before any pixel is decoded: a few kilobytes of PNG declaring 20000×20000 pixels (a
/// decompression bomb, gigabytes once decoded) are refused at the cost of reading a header.
///
/// Our choice: Google documents no limit on an input image's dimensions that we know of (only
/// the 20 MB of a request). 32 megapixels is above every image Google's models draw — the
/// largest, 1:8 at 4K, is 1536×12288 (18.9 MP), and 21:9 at 4K is 6336×2688 — so a chat that
/// sends the model's own images back is served, and above a 24-megapixel camera's photo; it
/// bounds a decoded picture to 128 MiB of RGBA.
pub const MAX_INPUT_PIXELS: u64 = 32 * 1024 * 1024;

/// The longest side an input image may have (the 12288 pixels of a 1:8 image at 4K, with room).
pub const MAX_INPUT_SIDE: u32 = 16384;

fn within_limits(width: u32, height: u32) -> bool {
    width <= MAX_INPUT_SIDE
        && height <= MAX_INPUT_SIDE
        && u64::from(width) * u64::from(height) <= MAX_INPUT_PIXELS
}

/// An input image over the limits. Google's words for an image it cannot read, then ours for
/// why: the real answer to a huge image is not known.
fn image_too_large(width: u32, height: u32) -> ApiError {
    ApiError::invalid_argument(format!(
        "Unable to process input image. The image is {width}x{height} pixels; \
         gemini-image-mock reads input images of at most {MAX_INPUT_PIXELS} pixels \
         ({} megapixels) and {MAX_INPUT_SIDE} pixels a side.",
        MAX_INPUT_PIXELS / (1024 * 1024)
    ))
}

/// Whether [`decode`] gives a picture for this blob: a format the mock draws on, by its bytes
/// (HEIC and HEIF are vouched for but not drawn on).
pub fn can_draw_on(blob: &Blob) -> bool {
    let data = blob.data.as_deref().unwrap_or_default();
    matches!(
        image::guess_format(data),
        Ok(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)
    )
}

/// The picture in an image blob that passed [`check`], or `None` for a format the mock can
/// vouch for but not draw on (HEIC/HEIF).
///
/// The decoder's limits repeat [`check`]'s: a blob that reaches here unchecked still cannot
/// make the decoder allocate much more than a picture of [`MAX_INPUT_PIXELS`].
pub fn decode(blob: &Blob) -> Result<Option<DynamicImage>, ApiError> {
    let data = blob.data.as_deref().unwrap_or_default();
    let format = match image::guess_format(data) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
        _ => return Ok(None),
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    // Four bytes a pixel (RGBA8, the widest the mock's formats decode to at 8 bits), with
    // room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_INPUT_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().map(Some).map_err(|error| match error {
        image::ImageError::Limits(_) => {
            match image::ImageReader::with_format(std::io::Cursor::new(data), format)
                .into_dimensions()
            {
                Ok((width, height)) => image_too_large(width, height),
                Err(_) => unreadable_image(),
            }
        }
        _ => unreadable_image(),
    })
}

/// Every inline blob of these turns, in order: the parts' own and those of function responses.
pub fn blobs<'a>(turns: impl IntoIterator<Item = &'a Content>) -> impl Iterator<Item = &'a Blob> {
    turns
        .into_iter()
        .flat_map(|turn| &turn.parts)
        .flat_map(part_blobs)
}

fn part_blobs(part: &Part) -> impl Iterator<Item = &Blob> {
    let returned = part
        .function_response
        .iter()
        .flat_map(|response| &response.parts)
        .filter_map(|part| part.inline_data.as_ref());
    part.inline_data.iter().chain(returned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(mime: &str, data: &[u8]) -> Blob {
        Blob {
            mime_type: Some(mime.to_string()),
            data: Some(data.to_vec().into()),
            ..Default::default()
        }
    }

    fn png() -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(2, 3)
            .write_to(&mut out, ImageFormat::Png)
            .map(|()| out.into_inner())
            .unwrap_or_default()
    }

    #[test]
    fn types_gemini_does_not_read_are_refused_by_name() {
        for mime in ["image/jpg", "png", "application/cu-seeme", "image/gif", ""] {
            let error = check(&blob(mime, &png())).unwrap_err();
            assert_eq!(error.message, format!("Unsupported MIME type: {mime}"));
        }
    }

    #[test]
    fn image_bytes_must_be_an_image_but_other_media_are_not_opened() {
        assert!(check(&blob("image/png", &png())).is_ok());
        // The declared image type need not match the bytes: Gemini sniffs them.
        assert!(check(&blob("image/jpeg", &png())).is_ok());
        let error = check(&blob("image/png", b"\x00\x00")).unwrap_err();
        assert!(error.message.starts_with("Unable to process input image"));
        let truncated = &png()[..20];
        assert!(check(&blob("image/png", truncated)).is_err());
        assert!(check(&blob("application/pdf", b"not really a pdf")).is_ok());
        assert!(check(&blob("image/heic", b"\0\0\0\x18ftypheic")).is_ok());
    }

    #[test]
    fn decode_gives_the_picture_or_nothing_for_heic() {
        let picture = decode(&blob("image/png", &png())).ok().flatten();
        assert_eq!(picture.map(|p| (p.width(), p.height())), Some((2, 3)));
        assert!(matches!(
            decode(&blob("image/heic", b"\0\0\0\x18ftypheic")),
            Ok(None)
        ));
    }

    #[test]
    fn blobs_are_found_in_function_responses_too() {
        let turn: Content = serde_json::from_value(serde_json::json!({"parts": [
            {"inlineData": {"mimeType": "image/png", "data": "AA=="}},
            {"functionResponse": {"name": "f", "response": {}, "parts": [
                {"inlineData": {"mimeType": "application/pdf", "data": "AQ=="}}
            ]}}
        ]}))
        .unwrap_or_default();
        let found: Vec<_> = blobs([&turn]).filter_map(|b| b.mime_type.clone()).collect();
        assert_eq!(found, ["image/png", "application/pdf"]);
    }
}
