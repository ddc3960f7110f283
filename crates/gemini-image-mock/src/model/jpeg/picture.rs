//! What a drawn JPEG shows: the scene (`render::Scene`) with its gradient taken once per 16×16
//! block (one MCU of a 4:2:0 JPEG), and a noise tile added to the luma of every 8×8 block. So
//! most MCUs are one colour under their noise (flat), and the encoder writes them from the
//! tiles' recorded codes; the few a disc's edge or the caption crosses are drawn and coded
//! pixel by pixel.

use super::super::render::Scene;
use super::super::texture;
use super::tiles::Tiles;

/// Side of an MCU in pixels.
pub const MCU: u32 = 16;

/// One drawn JPEG's picture.
pub struct Picture<'a> {
    pub scene: &'a Scene,
    pub seed: u64,
    pub tiles: &'static Tiles,
}

impl Picture<'_> {
    /// The gradient's colour for the MCU at (`mx`, `my`): taken at its centre (inside the
    /// picture).
    pub fn mcu_colour(&self, mx: u32, my: u32) -> [u8; 3] {
        let x = (mx * MCU + MCU / 2).min(self.scene.width.saturating_sub(1));
        let y = (my * MCU + MCU / 2).min(self.scene.height.saturating_sub(1));
        self.scene.gradient(x, y)
    }

    /// The one colour of the MCU at (`mx`, `my`) under its noise, or `None` when a disc's
    /// edge or the caption's band crosses it.
    pub fn flat_colour(&self, mx: u32, my: u32) -> Option<[u8; 3]> {
        let (x0, y0) = (i64::from(mx * MCU), i64::from(my * MCU));
        let (x1, y1) = (x0 + i64::from(MCU) - 1, y0 + i64::from(MCU) - 1);
        let caption = &self.scene.caption;
        let band = i64::from(caption.top)..i64::from(caption.top + caption.band_height);
        let in_band = match (band.contains(&y0), band.contains(&y1)) {
            (true, true) => true,
            (false, false) if y0 >= band.end || y1 < band.start => false,
            _ => return None, // the band's edge crosses it
        };
        // Pixel coordinates of an MCU fit in u32: they come from u32s.
        let corners = [x0, y0, x1, y1].map(|c| c as u32);
        if in_band && caption.may_have_glyph(corners[0], corners[1], corners[2], corners[3]) {
            return None;
        }
        let mut colour = self.mcu_colour(mx, my);
        for disc in &self.scene.discs {
            match disc.covers_rect(x0, y0, x1, y1) {
                Some(true) => colour = disc.colour,
                Some(false) => {}
                None => return None,
            }
        }
        Some(if in_band {
            colour.map(|c| c / 4)
        } else {
            colour
        })
    }

    /// The tile of each 8×8 block on block row `by`: one byte of the noise pool per block.
    pub fn tile_row(&self, by: u32, blocks: usize) -> &'static [u8] {
        texture::noise_row(self.seed, u64::from(by), blocks)
    }

    /// Paints `out.len()` pixels of row `y` from column `x0` as the scene shows them (before
    /// the noise).
    pub fn paint_row(&self, y: u32, x0: u32, out: &mut [[u8; 3]]) {
        let my = y / MCU;
        // Pixels of one MCU share its colour: fill them MCU by MCU.
        let mut x = x0;
        let mut rest = &mut out[..];
        while !rest.is_empty() {
            let run = ((MCU - x % MCU) as usize).min(rest.len());
            let (head, tail) = rest.split_at_mut(run);
            head.fill(self.mcu_colour(x / MCU, my));
            (x, rest) = (x + run as u32, tail);
        }
        let (start, end) = (i64::from(x0), i64::from(x0) + out.len() as i64);
        for disc in &self.scene.discs {
            if let Some((from, to)) = disc.span(i64::from(y)) {
                let (from, to) = (from.max(start), to.min(end));
                if from < to {
                    out[(from - start) as usize..(to - start) as usize].fill(disc.colour);
                }
            }
        }
        let caption = &self.scene.caption;
        if caption.in_band(y) {
            let letters = caption.glyph_row(y);
            for (x, pixel) in (x0..).zip(out.iter_mut()) {
                *pixel = if letters.as_ref().is_some_and(|letters| letters(x)) {
                    [255; 3]
                } else {
                    pixel.map(|c| c / 4)
                };
            }
        }
    }
}

/// JFIF's YCbCr of an RGB colour.
pub fn ycbcr([r, g, b]: [u8; 3]) -> [f32; 3] {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0,
        0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0,
    ]
}

#[cfg(test)]
mod tests {
    use super::super::{coder, picture};
    use super::*;

    #[test]
    fn an_mcu_called_flat_is_one_colour_in_every_pixel() {
        // Pictures where discs cross MCUs and the caption's band covers some; partial MCUs at
        // the edges.
        for (width, height, seed) in [
            (1024, 1024, 1),
            (848, 1264, 2),
            (333, 250, 3),
            (2048, 1152, 4),
        ] {
            let scene = Scene::new(width, height, seed, "a red bicycle leaning on a wall");
            let picture = picture(&scene, seed, 34);
            let (mut flat, mut drawn) = (0, 0);
            for my in 0..height.div_ceil(MCU) {
                for mx in 0..width.div_ceil(MCU) {
                    let Some(colour) = picture.flat_colour(mx, my) else {
                        drawn += 1;
                        continue;
                    };
                    flat += 1;
                    let mut row = [[0u8; 3]; MCU as usize];
                    for dy in 0..MCU {
                        picture.paint_row(my * MCU + dy, mx * MCU, &mut row);
                        assert!(
                            row.iter().all(|&p| p == colour),
                            "{width}x{height} MCU ({mx}, {my}) row {dy}: {row:?} is not {colour:?}"
                        );
                    }
                }
            }
            // Most MCUs take the fast path.
            assert!(
                flat > drawn * 2,
                "{width}x{height}: {flat} flat, {drawn} drawn"
            );
        }
        let _ = coder();
    }
}
