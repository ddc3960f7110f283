//! How heavy the mock's drawn pictures are: as heavy as Google's (the default), so that size-,
//! memory- and time-related tests against the mock are not optimistic, or light (flat colours,
//! a tenth of the bytes) for tests that want speed.
//!
//! The weight comes from a seeded noise texture laid over the picture; its strength is set per
//! format so that the encoded size per pixel lands on the reference below. This table is the one
//! place to change when better evidence comes.
//!
//! | model family | format | reference | bytes per pixel | where it comes from |
//! |---|---|---|---:|---|
//! | Gemini 2.x image (1K only) | PNG | 1344x768: 1.8–2.0 MB | 1.84 | `gemini-api.md` §10 **[REAL]**: public captures of a 16:9 PNG, 1.8–2.0 MB; 1.9 MB ÷ 1,032,192 px |
//! | Gemini 3 image, 1K/2K/4K | JPEG | 4K 1:1: 5.9 MB | 0.35 | **decided**: the references give no size; issue 21 says "several MB" at 4K. 0.35 B/px (2.8 bits per pixel) is a detailed photograph at JPEG quality 90 |
//! | Imagen (`:predict`) | PNG | as Gemini 2.x PNG | 1.84 | **decided**: no reference; Imagen's PNGs are the same kind of picture |
//! | any, when asked for the other format (Vertex `imageOutputOptions`, Imagen `outputOptions`) | PNG / JPEG | as above per format | 1.84 / 0.35 | **decided**: the format, not the model, sets the weight |
//!
//! One rate per format at every size: the references have one size per family, so nothing
//! says a 4K picture packs tighter than a 1K one; a real photograph's rate varies more from
//! picture to picture than from size to size.

use super::render::Format;

/// Bytes per pixel of a PNG of real weight: 1.9 MB for Google's 1344x768 PNG.
pub const PNG_BYTES_PER_PIXEL: f64 = 1.84;

/// Bytes per pixel of a JPEG of real weight: 5.9 MB for a 4096x4096 JPEG (see the module's table).
pub const JPEG_BYTES_PER_PIXEL: f64 = 0.35;

/// How heavy drawn pictures are.
///
/// ```
/// use gemini_image_mock::{Config, ImageWeight};
///
/// // Tests that want speed over realism:
/// let config = Config { image_weight: ImageWeight::Light, ..Config::default() };
/// assert_eq!(Config::default().image_weight, ImageWeight::Real);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ImageWeight {
    /// Textured pictures whose encoded size matches Google's per model and size (±25%).
    #[default]
    Real,
    /// Flat colours and the drawn prompt only: a fraction of the bytes and of the time
    /// (`--light-images`).
    Light,
}

impl ImageWeight {
    /// The reference size in bytes of a `width`×`height` picture encoded as `format`.
    ///
    /// ```
    /// use gemini_image_mock::{ImageWeight, PictureFormat};
    ///
    /// let png = ImageWeight::reference_bytes(1344, 768, PictureFormat::Png);
    /// assert!((1_800_000..=2_000_000).contains(&png));
    /// ```
    pub fn reference_bytes(width: u32, height: u32, format: Format) -> u64 {
        let pixels = f64::from(width) * f64::from(height);
        (pixels * bytes_per_pixel(format)) as u64
    }

    /// The strength of the noise laid over a picture (0: none), chosen so that the encoded
    /// size lands on the reference; calibrated against this crate's encoders
    /// (`model::encode`), checked by the tests below for every model and size.
    pub(crate) fn noise_amplitude(self, format: Format) -> u8 {
        match (self, format) {
            (ImageWeight::Light, _) => 0,
            (ImageWeight::Real, Format::Png) => PNG_NOISE,
            (ImageWeight::Real, Format::Jpeg) => JPEG_NOISE,
        }
    }
}

// Found by encoding pictures of every size (PNG with `model::encode`, JPEG with `model::jpeg`,
// whose noise is on luma alone) and reading the sizes off.
const PNG_NOISE: u8 = 12;
const JPEG_NOISE: u8 = 32;

fn bytes_per_pixel(format: Format) -> f64 {
    match format {
        Format::Png => PNG_BYTES_PER_PIXEL,
        Format::Jpeg => JPEG_BYTES_PER_PIXEL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pictures::Drawing;

    const CAPTION: &str = "A nano banana dish in a fancy restaurant with a view of the sea";

    /// A picture drawn with [`CAPTION`] and encoded.
    fn render(width: u32, height: u32, seed: u64, format: Format, weight: ImageWeight) -> Vec<u8> {
        let caption = CAPTION;
        Drawing {
            width,
            height,
            seed,
            caption,
            format,
            weight,
        }
        .render()
    }

    /// Encoded size ÷ reference for a picture of every shape the models make at 1K, and of
    /// the larger sizes at two shapes (a 4K picture is the slow case, not a different one).
    #[test]
    fn real_pictures_weigh_what_googles_do_within_a_quarter() {
        let mut cases: Vec<(u32, u32, Format)> = Vec::new();
        let png_1k = [
            (1024, 1024),
            (832, 1248),
            (1248, 832),
            (864, 1184),
            (1184, 864),
        ];
        let more_png = [
            (896, 1152),
            (1152, 896),
            (768, 1344),
            (1344, 768),
            (1536, 672),
        ];
        // Imagen: its five shapes at 1K, two at 2K.
        let imagen = [
            (896, 1280),
            (768, 1408),
            (1408, 768),
            (2048, 2048),
            (2816, 1536),
        ];
        for (w, h) in png_1k.into_iter().chain(more_png).chain(imagen) {
            cases.push((w, h, Format::Png));
        }
        let jpeg = [
            (1024, 1024),
            (848, 1264),
            (1584, 672),
            (384, 3072),
            (512, 512),
            (2048, 2048),
            (2752, 1536),
            (4096, 4096),
            (5504, 3072),
        ];
        for (w, h) in jpeg {
            cases.push((w, h, Format::Jpeg));
        }
        let mut report = String::new();
        let mut off = Vec::new();
        for (seed, (w, h, format)) in cases.into_iter().enumerate() {
            let bytes = render(w, h, seed as u64, format, ImageWeight::Real);
            let ratio = bytes.len() as f64 / ImageWeight::reference_bytes(w, h, format) as f64;
            report.push_str(&format!(
                "{w}x{h} {format:?}: {} B, {ratio:.2}\n",
                bytes.len()
            ));
            if !(0.75..=1.25).contains(&ratio) {
                off.push(format!("{w}x{h} {format:?}: {ratio:.2}"));
            }
        }
        println!("{report}");
        assert!(
            off.is_empty(),
            "off the reference by more than 25%: {off:?}"
        );
    }

    #[test]
    fn light_pictures_are_a_fraction_of_the_weight() {
        for format in [Format::Png, Format::Jpeg] {
            let light = render(1024, 1024, 1, format, ImageWeight::Light);
            let real = render(1024, 1024, 1, format, ImageWeight::Real);
            assert!(
                light.len() * 3 < real.len(),
                "{format:?}: {} vs {}",
                light.len(),
                real.len()
            );
        }
    }

    #[test]
    fn the_same_request_draws_the_same_bytes() {
        for format in [Format::Png, Format::Jpeg] {
            let a = render(2048, 2048, 9, format, ImageWeight::Real);
            let b = render(2048, 2048, 9, format, ImageWeight::Real);
            assert!(a == b, "{format:?} differs between two renders");
            let other = render(2048, 2048, 10, format, ImageWeight::Real);
            assert!(a != other, "{format:?}: another seed, another picture");
        }
    }
}
