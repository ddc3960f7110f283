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

/// What a picture shows, before any texture: a gradient between two colours, a few discs and
/// the caption, all chosen by the seed. The PNG path draws it pixel by pixel (`draw`); the
/// JPEG path (`super::jpeg`) asks it one 16×16 block at a time.
pub struct Scene {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The gradient's colour at the top left.
    pub from: [i32; 3],
    /// The gradient's colour at the bottom right.
    pub to: [i32; 3],
    /// Discs placed by the seed, painted in order (a later one covers an earlier one).
    pub discs: Vec<Disc>,
    /// Where the caption is written.
    pub caption: CaptionLayout,
}

impl Scene {
    /// The scene `seed` chooses for a `width`×`height` picture with `caption` across it.
    pub fn new(width: u32, height: u32, seed: u64, caption: &str) -> Self {
        let palette = |n: u64| {
            let h = xxh3_64(&(seed ^ n).to_le_bytes());
            [
                (h & 0xff) as i32,
                ((h >> 8) & 0xff) as i32,
                ((h >> 16) & 0xff) as i32,
            ]
        };
        // A few discs, placed by the seed, so that different requests differ at a glance.
        let discs = (0..5u64)
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
        Scene {
            width,
            height,
            from: palette(1),
            to: palette(2),
            discs,
            caption: CaptionLayout::centred(width, height, caption),
        }
    }

    /// The gradient's colour at (`x`, `y`): from `from` at the top left to `to` at the bottom
    /// right, t = (x / width + y / height) / 2 in 1/2^16ths.
    pub fn gradient(&self, x: u32, y: u32) -> [u8; 3] {
        let t = self.gradient_t(x, y);
        std::array::from_fn(|c| (self.from[c] + (((self.to[c] - self.from[c]) * t) >> 16)) as u8)
    }

    /// t at (`x`, `y`), computed as the row loop of `draw` steps it.
    fn gradient_t(&self, x: u32, y: u32) -> i32 {
        let (step_x, step_y) = self.gradient_steps();
        ((u64::from(y) * step_y + u64::from(x) * step_x) >> 8) as i32
    }

    fn gradient_steps(&self) -> (u64, u64) {
        (
            (1u64 << 23) / u64::from(self.width.max(1)),
            (1u64 << 23) / u64::from(self.height.max(1)),
        )
    }
}

/// Draws a `width`×`height` picture whose colours and shapes come from `seed`, with `caption`
/// written across it and, when `noise` is not 0, a seeded noise texture of that strength (up
/// to `noise` added to each channel) that gives it a photograph's weight once encoded
/// (`weight.rs`). Rows are drawn in bands on every core.
pub fn draw(width: u32, height: u32, seed: u64, caption: &str, noise: u8) -> RgbImage {
    let scene = Scene::new(width, height, seed, caption);
    let (from, to) = (scene.from, scene.to);
    let row_bytes = width as usize * 3;
    let mut raw = vec![0u8; row_bytes * height as usize];
    let (step_x, step_y) = scene.gradient_steps();
    parallel::rows(&mut raw, row_bytes, |y, row| {
        let row_t = y as u64 * step_y;
        for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
            let t = ((row_t + x as u64 * step_x) >> 8) as i32; // 0..65536
            for c in 0..3 {
                pixel[c] = (from[c] + (((to[c] - from[c]) * t) >> 16)) as u8;
            }
        }
        for disc in &scene.discs {
            disc.fill_row(row, y as i64);
        }
        if noise > 0 {
            texture::add_noise(row, seed, y as u64, noise);
        }
    });
    // `raw` holds exactly width × height pixels, so this is always `Some`.
    let mut picture = RgbImage::from_raw(width, height, raw).unwrap_or_default();
    scene.caption.paint(&mut picture);
    picture
}

/// A filled circle of one colour.
pub struct Disc {
    cx: i64,
    cy: i64,
    radius: i64,
    /// Its colour.
    pub colour: [u8; 3],
}

impl Disc {
    /// The pixels the disc covers on row `y`: `from..to`, or `None`.
    pub fn span(&self, y: i64) -> Option<(i64, i64)> {
        let dy = y - self.cy;
        let reach = self.radius * self.radius - dy * dy;
        if dy < -self.radius || dy >= self.radius || reach < 0 {
            return None;
        }
        let half = reach.isqrt();
        let from = (self.cx - half).max(self.cx - self.radius);
        let to = (self.cx + half + 1).min(self.cx + self.radius);
        (from < to).then_some((from, to))
    }

    /// Whether the disc covers pixel (`x`, `y`).
    pub fn covers(&self, x: i64, y: i64) -> bool {
        self.span(y)
            .is_some_and(|(from, to)| (from..to).contains(&x))
    }

    /// Whether the disc covers every pixel of the rectangle from (`x0`, `y0`) to (`x1`, `y1`)
    /// inclusive (`Some(true)`), none of it (`Some(false)`), or part of it (`None`).
    pub fn covers_rect(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> Option<bool> {
        let r = self.radius;
        if x1 < self.cx - r || x0 >= self.cx + r || y1 < self.cy - r || y0 >= self.cy + r {
            return Some(false);
        }
        // Every row's span is centred on the disc's centre and narrows as the row moves away
        // from it: the rows farthest from the centre, the first and the last, are the
        // narrowest, so covering both ends of those two rows is covering the rectangle.
        if [y0, y1]
            .iter()
            .all(|&y| self.covers(x0, y) && self.covers(x1, y))
        {
            return Some(true);
        }
        let touched = (y0..=y1)
            .filter_map(|y| self.span(y))
            .any(|(from, to)| from <= x1 && to > x0);
        if touched { None } else { Some(false) }
    }

    /// Paints the disc's span on row `y`.
    fn fill_row(&self, row: &mut [u8], y: i64) {
        let Some((from, to)) = self.span(y) else {
            return;
        };
        let width = (row.len() / 3) as i64;
        let (from, to) = (from.max(0), to.min(width));
        if from >= to {
            return;
        }
        for pixel in row[from as usize * 3..to as usize * 3].chunks_exact_mut(3) {
            pixel.copy_from_slice(&self.colour);
        }
    }
}

/// Where a caption's text goes: a dark band of rows, and lines of 8×8 glyphs drawn `scale`
/// pixels to a glyph pixel, in white.
pub struct CaptionLayout {
    /// The band's first row.
    pub top: u32,
    /// The band's rows.
    pub band_height: u32,
    scale: u32,
    /// Each line's glyphs (their bitmaps) and its top-left corner.
    lines: Vec<(Vec<[u8; 8]>, u32, u32)>,
}

impl CaptionLayout {
    /// `caption` wrapped to fit across the middle of a `width`×`height` picture.
    pub fn centred(width: u32, height: u32, caption: &str) -> Self {
        const COLUMNS: usize = 32;
        const MAX_LINES: usize = 8;
        let scale = (width / (COLUMNS as u32 * 8 + 16)).max(1);
        let glyph = 8 * scale;
        let lines = wrap(caption, COLUMNS, MAX_LINES);
        let band_height = (lines.len() as u32 * (glyph + scale * 2) + glyph).min(height);
        let top = (height - band_height) / 2;
        let lines = lines
            .iter()
            .enumerate()
            .map(|(row, line)| {
                let glyphs = bitmaps(line);
                let y0 = top + glyph / 2 + row as u32 * (glyph + scale * 2);
                let x0 = (width.saturating_sub(glyphs.len() as u32 * glyph)) / 2;
                (glyphs, x0, y0)
            })
            .collect();
        CaptionLayout {
            top,
            band_height,
            scale,
            lines,
        }
    }

    /// `caption` on one line along the bottom edge (edits keep the picture visible).
    pub fn strip(width: u32, height: u32, caption: &str) -> Self {
        let scale = (width / 600).max(1);
        let glyph = 8 * scale;
        let columns = ((width / glyph).saturating_sub(2)) as usize;
        let line = wrap(caption, columns.max(4), 1)
            .into_iter()
            .next()
            .unwrap_or_default();
        let top = height.saturating_sub(glyph * 2);
        CaptionLayout {
            top,
            band_height: height - top,
            scale,
            lines: vec![(bitmaps(&line), glyph, top + glyph / 2)],
        }
    }

    /// Whether row `y` is in the dark band.
    pub fn in_band(&self, y: u32) -> bool {
        (self.top..self.top + self.band_height).contains(&y)
    }

    /// Whether any letter has a pixel in the rectangle from (`x0`, `y0`) to (`x1`, `y1`)
    /// inclusive (judged by the lines' boxes: `true` may still find only the space between
    /// letters).
    pub fn may_have_glyph(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> bool {
        let glyph = 8 * self.scale;
        self.lines.iter().any(|(glyphs, lx, ly)| {
            let right = lx + glyphs.len() as u32 * glyph;
            x0 < right && x1 >= *lx && y0 < ly + glyph && y1 >= *ly
        })
    }

    /// The letter pixels of row `y`: a function of the column, `None` when the row has none.
    pub fn glyph_row(&self, y: u32) -> Option<impl Fn(u32) -> bool + '_> {
        let glyph = 8 * self.scale;
        let (glyphs, x0, y0) = self
            .lines
            .iter()
            .find(|(_, _, y0)| (*y0..y0 + glyph).contains(&y))?;
        let row = ((y - y0) / self.scale) as usize;
        Some(move |x: u32| {
            x >= *x0
                && glyphs
                    .get(((x - x0) / glyph) as usize)
                    .is_some_and(|bitmap| {
                        bitmap[row] & (1 << (((x - x0) % glyph) / self.scale)) != 0
                    })
        })
    }

    /// Darkens the band to a quarter of its brightness and writes the letters on it in white.
    pub fn paint(&self, picture: &mut RgbImage) {
        let width = picture.width();
        let rows = self.top..(self.top + self.band_height).min(picture.height());
        for y in rows {
            let letters = self.glyph_row(y);
            for x in 0..width {
                let pixel = picture.get_pixel_mut(x, y);
                *pixel = if letters.as_ref().is_some_and(|letters| letters(x)) {
                    Rgb([255, 255, 255])
                } else {
                    Rgb(pixel.0.map(|b| b / 4))
                };
            }
        }
    }
}

/// Writes `caption` on a dark strip along the bottom edge (edits keep the picture visible).
pub fn write_caption_strip(picture: &mut RgbImage, caption: &str) {
    CaptionLayout::strip(picture.width(), picture.height(), caption).paint(picture);
}

/// The 8×8 bitmaps of `line`'s characters (a `?` for one the font lacks).
fn bitmaps(line: &str) -> Vec<[u8; 8]> {
    use font8x8::UnicodeFonts;
    line.chars()
        .map(|ch| {
            font8x8::BASIC_FONTS
                .get(ch)
                .or_else(|| font8x8::BASIC_FONTS.get('?'))
                .unwrap_or([0; 8])
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disc_covers_a_rectangle_whole_not_at_all_or_in_part_as_its_pixels_say() {
        let disc = Disc {
            cx: 100,
            cy: 80,
            radius: 37,
            colour: [0; 3],
        };
        for y0 in (20..140).step_by(5) {
            for x0 in (40..160).step_by(5) {
                let (x1, y1) = (x0 + 15, y0 + 15);
                let covered = (y0..=y1)
                    .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
                    .filter(|&(x, y)| disc.covers(x, y))
                    .count();
                let wanted = match covered {
                    0 => Some(false),
                    256 => Some(true),
                    _ => None,
                };
                assert_eq!(disc.covers_rect(x0, y0, x1, y1), wanted, "at ({x0}, {y0})");
            }
        }
    }
}
