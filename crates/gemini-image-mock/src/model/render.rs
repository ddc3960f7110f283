//! Deterministic pictures: a function of the request, with the prompt drawn into them so that a
//! person who opens one sees which request made it.

use image::{Rgb, RgbImage};
use xxhash_rust::xxh3::xxh3_64;

use super::{parallel, texture};

/// The file format of a generated image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// PNG: Gemini 2.x's and Imagen's default.
    Png,
    /// JPEG: the Gemini 3 image models' default.
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
/// written across it and, when `noise` is not 0, a seeded noise texture of that strength (up
/// to `noise` added to each channel) that gives it a photograph's weight once encoded
/// (`weight.rs`). Rows are drawn in bands on every core.
pub fn draw(width: u32, height: u32, seed: u64, caption: &str, noise: u8) -> RgbImage {
    let palette = |n: u64| {
        let h = xxh3_64(&(seed ^ n).to_le_bytes());
        [
            (h & 0xff) as i32,
            ((h >> 8) & 0xff) as i32,
            ((h >> 16) & 0xff) as i32,
        ]
    };
    let (from, to) = (palette(1), palette(2));
    // A few discs, placed by the seed, so that different requests differ at a glance.
    let discs: Vec<Disc> = (0..5u64)
        .map(|disc| {
            let h = xxh3_64(&(seed.rotate_left(17) ^ disc).to_le_bytes());
            let short = u64::from(width.min(height));
            Disc {
                cx: (h % u64::from(width.max(1))) as i64,
                cy: ((h >> 20) % u64::from(height.max(1))) as i64,
                radius: (short / 12 + (h >> 40) % (short / 6 + 1)) as i64,
                colour: palette(10 + disc).map(|c| c as u8),
            }
        })
        .collect();
    let row_bytes = width as usize * 3;
    let mut raw = vec![0u8; row_bytes * height as usize];
    // The gradient runs from `from` at the top left to `to` at the bottom right:
    // t = (x / width + y / height) / 2, in 1/2^24ths.
    let step_x = (1u64 << 23) / u64::from(width.max(1));
    let step_y = (1u64 << 23) / u64::from(height.max(1));
    parallel::rows(&mut raw, row_bytes, |y, row| {
        let row_t = y as u64 * step_y;
        for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
            let t = ((row_t + x as u64 * step_x) >> 8) as i32; // 0..65536
            for c in 0..3 {
                pixel[c] = (from[c] + (((to[c] - from[c]) * t) >> 16)) as u8;
            }
        }
        for disc in &discs {
            disc.fill_row(row, y as i64);
        }
        if noise > 0 {
            texture::add_noise(row, seed, y as u64, noise);
        }
    });
    // `raw` holds exactly width × height pixels, so this is always `Some`.
    let mut picture = RgbImage::from_raw(width, height, raw).unwrap_or_default();
    write_caption(&mut picture, caption);
    picture
}

/// A filled circle of one colour.
struct Disc {
    cx: i64,
    cy: i64,
    radius: i64,
    colour: [u8; 3],
}

impl Disc {
    /// Paints the disc's span on row `y` (the pixels whose centre is within the radius).
    fn fill_row(&self, row: &mut [u8], y: i64) {
        let dy = y - self.cy;
        let reach = self.radius * self.radius - dy * dy;
        if dy < -self.radius || dy >= self.radius || reach < 0 {
            return;
        }
        let half = reach.isqrt();
        let width = (row.len() / 3) as i64;
        let from = (self.cx - half).max(self.cx - self.radius).max(0);
        let to = (self.cx + half + 1).min(self.cx + self.radius).min(width);
        if from >= to {
            return;
        }
        for pixel in row[from as usize * 3..to as usize * 3].chunks_exact_mut(3) {
            pixel.copy_from_slice(&self.colour);
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
    darken_rows(picture, top, band_height);
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

/// Darkens `count` rows from `top` to a quarter of their brightness: the band text is
/// written on.
fn darken_rows(picture: &mut RgbImage, top: u32, count: u32) {
    let row_bytes = picture.width() as usize * 3;
    let start = top as usize * row_bytes;
    let end = (start + count as usize * row_bytes).min(picture.len());
    if let Some(band) = picture.get_mut(start..end) {
        band.iter_mut().for_each(|b| *b /= 4);
    }
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
    darken_rows(picture, top, height - top);
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
