//! Deterministic pictures: a function of the request, with the prompt drawn into them so that a
//! person who opens one sees which request made it.

use image::{Rgb, RgbImage};
use xxhash_rust::xxh3::xxh3_64;

/// The file format of a generated image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Jpeg,
}

impl Format {
    /// The IANA media type.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }
}

/// Draws a `width`×`height` picture whose colours and shapes come from `seed`, with `caption`
/// written across it.
pub fn draw(width: u32, height: u32, seed: u64, caption: &str) -> RgbImage {
    let palette = |n: u64| {
        let h = xxh3_64(&(seed ^ n).to_le_bytes());
        [
            (h & 0xff) as f32,
            ((h >> 8) & 0xff) as f32,
            ((h >> 16) & 0xff) as f32,
        ]
    };
    let (from, to) = (palette(1), palette(2));
    let mut picture = RgbImage::from_fn(width, height, |x, y| {
        let t = (x as f32 / width as f32 + y as f32 / height as f32) / 2.0;
        Rgb(std::array::from_fn(|c| {
            (from[c] + (to[c] - from[c]) * t) as u8
        }))
    });
    // A few discs, placed by the seed, so that different requests differ at a glance.
    for disc in 0..5u64 {
        let h = xxh3_64(&(seed.rotate_left(17) ^ disc).to_le_bytes());
        let cx = (h % u64::from(width)) as i64;
        let cy = ((h >> 20) % u64::from(height)) as i64;
        let radius = (u64::from(width.min(height)) / 12
            + (h >> 40) % u64::from(width.min(height) / 6 + 1)) as i64;
        let colour = palette(10 + disc).map(|c| c as u8);
        fill_disc(&mut picture, cx, cy, radius, Rgb(colour));
    }
    write_caption(&mut picture, caption);
    picture
}

fn fill_disc(picture: &mut RgbImage, cx: i64, cy: i64, radius: i64, colour: Rgb<u8>) {
    let (width, height) = (i64::from(picture.width()), i64::from(picture.height()));
    for y in (cy - radius).max(0)..(cy + radius).min(height) {
        for x in (cx - radius).max(0)..(cx + radius).min(width) {
            if (x - cx).pow(2) + (y - cy).pow(2) <= radius * radius {
                picture.put_pixel(x as u32, y as u32, colour);
            }
        }
    }
}

/// Writes `caption` in white on a dark band across the middle, wrapped to fit.
pub fn write_caption(picture: &mut RgbImage, caption: &str) {
    const COLUMNS: usize = 32;
    const MAX_LINES: usize = 8;
    let (width, height) = picture.dimensions();
    let scale = (width / (COLUMNS as u32 * 8 + 16)).max(1);
    let glyph = 8 * scale;
    let lines = wrap(caption, COLUMNS, MAX_LINES);
    let band_height = (lines.len() as u32 * (glyph + scale * 2) + glyph).min(height);
    let top = (height - band_height) / 2;
    for y in top..top + band_height {
        for x in 0..width {
            let Rgb([r, g, b]) = *picture.get_pixel(x, y);
            picture.put_pixel(x, y, Rgb([r / 4, g / 4, b / 4]));
        }
    }
    for (row, line) in lines.iter().enumerate() {
        let y0 = top + glyph / 2 + row as u32 * (glyph + scale * 2);
        let x0 = (width.saturating_sub(line.chars().count() as u32 * glyph)) / 2;
        for (column, ch) in line.chars().enumerate() {
            draw_glyph(picture, ch, x0 + column as u32 * glyph, y0, scale);
        }
    }
}

fn draw_glyph(picture: &mut RgbImage, ch: char, x0: u32, y0: u32, scale: u32) {
    use font8x8::UnicodeFonts;
    let bitmap = font8x8::BASIC_FONTS
        .get(ch)
        .or_else(|| font8x8::BASIC_FONTS.get('?'))
        .unwrap_or([0; 8]);
    for (row, bits) in bitmap.iter().enumerate() {
        for column in 0..8u32 {
            if bits & (1 << column) == 0 {
                continue;
            }
            for dy in 0..scale {
                for dx in 0..scale {
                    let (x, y) = (x0 + column * scale + dx, y0 + row as u32 * scale + dy);
                    if x < picture.width() && y < picture.height() {
                        picture.put_pixel(x, y, Rgb([255, 255, 255]));
                    }
                }
            }
        }
    }
}

/// Greedy word wrap; the last line ends with "..." when the text does not fit.
fn wrap(text: &str, columns: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().take(columns).collect();
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > columns {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let kept: String = last.chars().take(columns - 3).collect();
            *last = format!("{kept}...");
        }
    }
    lines
}

/// Encodes a picture as PNG or JPEG.
pub fn encode(picture: &RgbImage, format: Format) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let result = match format {
        Format::Png => {
            let encoder = image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Adaptive,
            );
            picture.write_with_encoder(encoder)
        }
        Format::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            picture.write_with_encoder(encoder)
        }
    };
    // Encoding an in-memory RGB buffer into a Vec cannot fail short of running out of memory.
    debug_assert!(result.is_ok(), "encoding failed: {result:?}");
    out.into_inner()
}

/// Writes `caption` on a dark strip along the bottom edge (edits keep the picture visible).
pub fn write_caption_strip(picture: &mut RgbImage, caption: &str) {
    let (width, height) = picture.dimensions();
    let scale = (width / 600).max(1);
    let glyph = 8 * scale;
    let columns = ((width / glyph).saturating_sub(2)) as usize;
    let line = wrap(caption, columns.max(4), 1)
        .into_iter()
        .next()
        .unwrap_or_default();
    let top = height.saturating_sub(glyph * 2);
    for y in top..height {
        for x in 0..width {
            let Rgb([r, g, b]) = *picture.get_pixel(x, y);
            picture.put_pixel(x, y, Rgb([r / 4, g / 4, b / 4]));
        }
    }
    for (column, ch) in line.chars().enumerate() {
        draw_glyph(
            picture,
            ch,
            glyph + column as u32 * glyph,
            top + glyph / 2,
            scale,
        );
    }
}
