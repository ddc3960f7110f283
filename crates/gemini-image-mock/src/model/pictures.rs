//! Where an answer's pictures come from: the user's files (`--images DIR`) or pictures drawn
//! at the configured weight. Every route that answers with images asks here, so that the
//! choice is made in one place.

use bytes::Bytes;
use image::RgbImage;

use super::canned::CannedImages;
use super::encode::encode;
use super::render::{self, Format};
use super::weight::ImageWeight;

/// The pictures a server answers with: cheap to clone into a blocking task.
#[derive(Clone, Debug, Default)]
pub struct Pictures {
    canned: Option<CannedImages>,
    weight: ImageWeight,
}

impl Pictures {
    /// The pictures `config` asks for.
    pub fn new(canned: Option<CannedImages>, weight: ImageWeight) -> Self {
        Self { canned, weight }
    }

    /// The user's files, when they are served instead of drawn pictures.
    pub fn canned(&self) -> Option<&CannedImages> {
        self.canned.as_ref()
    }

    /// A new picture for `seed`: one of the user's files, or drawn with `caption` on it and
    /// encoded as `format`. Returns its media type and bytes.
    pub fn new_picture(
        &self,
        width: u32,
        height: u32,
        seed: u64,
        caption: &str,
        format: Format,
    ) -> (&'static str, Bytes) {
        match &self.canned {
            Some(canned) => {
                let image = canned.pick(seed);
                (image.mime_type, image.bytes.clone())
            }
            None => (
                format.mime_type(),
                render_picture(width, height, seed, caption, format, self.weight).into(),
            ),
        }
    }

    /// An edited picture encoded as `format` (edits keep their input's texture: no noise).
    pub fn edited(&self, picture: &RgbImage, format: Format) -> (&'static str, Bytes) {
        (format.mime_type(), encode(picture, format).into())
    }
}

/// The picture the mock draws for `seed` with `caption` written on it, encoded as `format` at
/// `weight`: the bytes a `generateContent` or `predict` answer carries (same arguments, same
/// bytes).
///
/// ```
/// use gemini_image_mock::{ImageWeight, PictureFormat, render_picture};
///
/// let png = render_picture(1344, 768, 7, "a fox", PictureFormat::Png, ImageWeight::Real);
/// assert!(png.starts_with(b"\x89PNG"));
/// let reference = ImageWeight::reference_bytes(1344, 768, PictureFormat::Png) as f64;
/// assert!((png.len() as f64 - reference).abs() < reference * 0.25);
/// let light = render_picture(1344, 768, 7, "a fox", PictureFormat::Png, ImageWeight::Light);
/// assert!(light.len() * 4 < png.len());
/// ```
pub fn render_picture(
    width: u32,
    height: u32,
    seed: u64,
    caption: &str,
    format: Format,
    weight: ImageWeight,
) -> Vec<u8> {
    let noise = weight.noise_amplitude(format);
    encode(&render::draw(width, height, seed, caption, noise), format)
}

/// The picture [`render_picture`] encodes, as RGB pixels row by row (for a caller that
/// encodes it itself, such as a benchmark comparing encoders).
///
/// ```
/// use gemini_image_mock::{ImageWeight, PictureFormat, draw_picture};
///
/// let pixels = draw_picture(64, 48, 7, "a fox", PictureFormat::Jpeg, ImageWeight::Real);
/// assert_eq!(pixels.len(), 64 * 48 * 3);
/// ```
pub fn draw_picture(
    width: u32,
    height: u32,
    seed: u64,
    caption: &str,
    format: Format,
    weight: ImageWeight,
) -> Vec<u8> {
    render::draw(width, height, seed, caption, weight.noise_amplitude(format)).into_raw()
}
