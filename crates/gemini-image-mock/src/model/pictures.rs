//! Where an answer's pictures come from: the user's files (`--images DIR`) or pictures drawn
//! at the configured weight. Every route that answers with images asks here, so that the
//! choice is made in one place.

use bytes::Bytes;
use image::RgbImage;

use super::canned::CannedImages;
use super::encode::encode;
use super::jpeg;
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
            None => {
                let drawing = Drawing {
                    width,
                    height,
                    seed,
                    caption,
                    format,
                    weight: self.weight,
                };
                (format.mime_type(), drawing.render().into())
            }
        }
    }

    /// An edited picture encoded as `format` (edits keep their input's texture: no noise).
    pub fn edited(&self, picture: &RgbImage, format: Format) -> (&'static str, Bytes) {
        (format.mime_type(), encode(picture, format).into())
    }
}

/// A picture as the mock draws it: its size, the seed and caption that make it, the format it
/// is served in and its weight. The same drawing gives the same bytes.
///
/// ```
/// use gemini_image_mock::{Drawing, ImageWeight, PictureFormat};
///
/// let drawing = Drawing {
///     width: 1344,
///     height: 768,
///     seed: 7,
///     caption: "a fox",
///     format: PictureFormat::Png,
///     weight: ImageWeight::Real,
/// };
/// let png = drawing.render();
/// assert!(png.starts_with(b"\x89PNG"));
/// let reference = ImageWeight::reference_bytes(1344, 768, PictureFormat::Png) as f64;
/// assert!((png.len() as f64 - reference).abs() < reference * 0.25);
/// let light = Drawing { weight: ImageWeight::Light, ..drawing }.render();
/// assert!(light.len() * 4 < png.len());
/// assert_eq!(drawing.pixels().len(), 1344 * 768 * 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drawing<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// What chooses the colours, shapes and texture (the mock's is a hash of the request).
    pub seed: u64,
    /// The text written across the picture (the mock writes the prompt).
    pub caption: &'a str,
    /// The encoding the picture is served in (its weight is set per format).
    pub format: Format,
    /// How heavy the picture is.
    pub weight: ImageWeight,
}

impl Drawing<'_> {
    /// The picture encoded as [`Drawing::format`]: the bytes a `generateContent` or `predict`
    /// answer carries.
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        if self.format == Format::Jpeg
            && let Some(jpeg) = jpeg::encode(&self.scene(), self.seed, self.noise())
        {
            return jpeg;
        }
        encode(&self.draw(), self.format)
    }

    /// The picture [`Drawing::render`] encodes, as RGB pixels row by row (for a caller that
    /// encodes it itself, such as a benchmark comparing encoders).
    #[must_use]
    pub fn pixels(&self) -> Vec<u8> {
        match self.format {
            Format::Jpeg => jpeg::pixels(&self.scene(), self.seed, self.noise()),
            Format::Png => self.draw().into_raw(),
        }
    }

    fn noise(&self) -> u8 {
        self.weight.noise_amplitude(self.format)
    }

    fn scene(&self) -> render::Scene {
        render::Scene::new(self.width, self.height, self.seed, self.caption)
    }

    fn draw(&self) -> RgbImage {
        render::draw(
            self.width,
            self.height,
            self.seed,
            self.caption,
            self.noise(),
        )
    }
}
