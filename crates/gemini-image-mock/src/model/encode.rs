//! Pictures into PNG or JPEG, fast: drawn PNGs and edited pictures (any pixels); drawn JPEGs
//! have their own encoder (`super::jpeg`).
//!
//! * JPEG: `jpeg-encoder` (AVX2 where the CPU has it), 4:2:0 as photographs are, the picture
//!   cut into horizontal strips encoded on every core and joined with restart markers — a JPEG
//!   whose restart interval is one strip decodes as one picture, each strip's entropy-coded
//!   data starting afresh as after a marker.
//! * PNG: the `png` crate's `Fast` level (`fdeflate`, a deflate tuned for filtered rows) with
//!   the `Sub` filter, one pass; the picture's noise would make a stronger search pointless.

use image::RgbImage;

use super::parallel;
use super::render::Format;

/// JPEG quality: Google's JPEGs are photographs at high quality.
const JPEG_QUALITY: u8 = 90;

/// Height of a 4:2:0 JPEG's row of MCUs.
const MCU_ROWS: u32 = 16;

/// Encodes a picture as PNG or JPEG.
pub fn encode(picture: &RgbImage, format: Format) -> Vec<u8> {
    match format {
        Format::Png => png(picture),
        Format::Jpeg => jpeg(picture),
    }
}

fn png(picture: &RgbImage) -> Vec<u8> {
    let (width, height) = picture.dimensions();
    // Worst case: the raw rows and a few headers; the noise keeps most pictures near it.
    let mut out = Vec::with_capacity(picture.as_raw().len() / 2);
    let mut encoder = ::png::Encoder::new(&mut out, width, height);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    encoder.set_compression(::png::Compression::Fast);
    encoder.set_filter(::png::Filter::Sub);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(picture.as_raw()));
    // Encoding an in-memory RGB buffer of the size the header says into a Vec cannot fail
    // short of running out of memory.
    debug_assert!(written.is_ok(), "PNG encoding failed: {written:?}");
    out
}

fn jpeg(picture: &RgbImage) -> Vec<u8> {
    let (width, height) = picture.dimensions();
    let (Ok(w16), Ok(_)) = (u16::try_from(width), u16::try_from(height)) else {
        // Over JPEG's 65,535 a side: cannot be, the model table's largest side is 12,288.
        debug_assert!(false, "{width}x{height} is too large for a JPEG");
        return Vec::new();
    };
    let mcus_across = u32::from(w16).div_ceil(MCU_ROWS);
    let bands = strips(height, mcus_across);
    if bands.len() == 1 {
        return jpeg_strip(picture.as_raw(), width, height, None);
    }
    let row_bytes = width as usize * 3;
    let raw = picture.as_raw();
    let interval = (bands[0].1 / MCU_ROWS) * mcus_across;
    let encoded = parallel::map(&bands, |&(top, rows)| {
        let start = top as usize * row_bytes;
        let rows_bytes = &raw[start..start + rows as usize * row_bytes];
        jpeg_strip(rows_bytes, width, rows, u16::try_from(interval).ok())
    });
    splice(&encoded, height).unwrap_or_else(|| jpeg_strip(raw, width, height, None))
}

/// Rows per strip: a fixed number, not one strip per core, so that the bytes of a picture do
/// not depend on the machine that drew it (the cache and ETags rely on the same request giving
/// the same bytes); a 4K picture makes 16 strips, enough to keep every core busy.
const STRIP_ROWS: u32 = 256;

/// Cuts `height` rows into strips of [`STRIP_ROWS`] (whole MCU rows), fewer rows when a strip
/// would pass 65,535 MCUs (the restart interval's bound).
fn strips(height: u32, mcus_across: u32) -> Vec<(u32, u32)> {
    let by_interval = (u32::from(u16::MAX) / mcus_across.max(1)).max(1);
    let per_strip = (STRIP_ROWS / MCU_ROWS).min(by_interval) * MCU_ROWS;
    (0..height)
        .step_by(per_strip as usize)
        .map(|top| (top, per_strip.min(height - top)))
        .collect()
}

fn jpeg_strip(rows: &[u8], width: u32, height: u32, restart_interval: Option<u16>) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    if let Some(interval) = restart_interval {
        encoder.set_restart_interval(interval);
    }
    // The caller checked that both sides fit JPEG's 16 bits.
    let (w, h) = (width as u16, height as u16);
    let encoded = encoder.encode(rows, w, h, jpeg_encoder::ColorType::Rgb);
    debug_assert!(encoded.is_ok(), "JPEG encoding failed: {encoded:?}");
    out
}

/// One JPEG from strips encoded alone with the same tables and a restart interval of one
/// strip: the first strip's headers (its frame's height made the whole picture's), then each
/// strip's entropy-coded data followed by the next restart marker, then the end marker.
/// `None` when a strip is not the JPEG this expects.
fn splice(strips: &[Vec<u8>], height: u32) -> Option<Vec<u8>> {
    let first = strips.first()?;
    let data_start = scan_data_start(first)?;
    let mut out = Vec::with_capacity(strips.iter().map(Vec::len).sum());
    out.extend_from_slice(&first[..data_start]);
    let frame = find_marker(&out, 0xC0)?;
    // SOF0: marker, length (2), precision (1), height (2), width (2).
    let height = u16::try_from(height).ok()?.to_be_bytes();
    out.get_mut(frame + 5..frame + 7)?.copy_from_slice(&height);
    for (index, strip) in strips.iter().enumerate() {
        let start = scan_data_start(strip)?;
        let end = strip.len().checked_sub(2)?;
        if strip.get(end..)? != [0xFF, 0xD9] || start > end {
            return None;
        }
        if index > 0 {
            out.extend_from_slice(&[0xFF, 0xD0 + ((index - 1) % 8) as u8]);
        }
        out.extend_from_slice(&strip[start..end]);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

/// Where the entropy-coded data begins: just after the start-of-scan segment.
fn scan_data_start(jpeg: &[u8]) -> Option<usize> {
    let sos = find_marker(jpeg, 0xDA)?;
    let length = usize::from(u16::from_be_bytes([
        *jpeg.get(sos + 2)?,
        *jpeg.get(sos + 3)?,
    ]));
    Some(sos + 2 + length)
}

/// The offset of the header segment `marker` (walking segment by segment from SOI, so that a
/// byte in a table is never taken for a marker).
fn find_marker(jpeg: &[u8], marker: u8) -> Option<usize> {
    let mut at = 2; // after SOI
    loop {
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        let kind = *jpeg.get(at + 1)?;
        if kind == marker {
            return Some(at);
        }
        if kind == 0xDA {
            return None; // the scan's data follows: no header after it
        }
        let length = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([
                (x % 251) as u8,
                (y % 241) as u8,
                ((x * 7 + y * 3) % 256) as u8,
            ])
        })
    }

    fn mean_error(a: &RgbImage, b: &RgbImage) -> f64 {
        let total: u64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        total as f64 / a.as_raw().len() as f64
    }

    #[test]
    fn a_jpeg_of_spliced_strips_decodes_to_the_picture() {
        // Eleven strips, the last cut short (and the restart markers past RST7 wrapping), and
        // a width that is not a whole number of MCUs.
        let original = picture(1000, 2560 + 8);
        let bytes = encode(&original, Format::Jpeg);
        assert_eq!(strips(original.height(), 1000u32.div_ceil(16)).len(), 11);
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .expect("the spliced JPEG decodes")
            .to_rgb8();
        assert_eq!(decoded.dimensions(), original.dimensions());
        // A strip out of place or a lost restart would leave whole bands wrong.
        let error = mean_error(&original, &decoded);
        assert!(error < 6.0, "mean error {error}");
        for band in decoded.as_raw().chunks(1000 * 3 * 16) {
            assert!(band.iter().any(|&b| b != 0));
        }
    }

    #[test]
    fn strips_are_whole_mcu_rows_and_cover_the_picture() {
        for (height, across) in [(16, 1), (17, 64), (4096, 256), (1536, 768), (12288, 24)] {
            let cut = strips(height, across);
            let mut next = 0;
            for (index, &(top, rows)) in cut.iter().enumerate() {
                assert_eq!(top, next);
                if index + 1 < cut.len() {
                    assert_eq!(rows % MCU_ROWS, 0);
                    assert!(rows / MCU_ROWS * across <= u32::from(u16::MAX));
                }
                next += rows;
            }
            assert_eq!(next, height);
        }
    }

    #[test]
    fn a_png_decodes_to_the_picture_exactly() {
        let original = picture(333, 77);
        let bytes = encode(&original, Format::Png);
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .expect("the PNG decodes")
            .to_rgb8();
        assert_eq!(decoded, original);
    }

    #[test]
    fn splicing_refuses_what_is_not_a_jpeg() {
        assert!(splice(&[b"not a jpeg".to_vec()], 16).is_none());
        assert!(splice(&[], 16).is_none());
    }
}
