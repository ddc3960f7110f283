//! Drawn pictures as baseline JPEG in milliseconds: a 4K answer is encoded while the client
//! waits, at a photograph's weight.
//!
//! A general encoder transforms, quantises and codes every 8×8 block (about 130 ms a core for
//! 4K with `jpeg-encoder`'s AVX2). A drawn picture does not need that: it is defined
//! (`picture`) so that almost every 16×16 MCU is one colour under a noise tile, and the
//! coefficients of "one colour + tile" are the tile's own except the DC term. The tiles are
//! transformed and their AC codes recorded once per process (`tiles`); a flat MCU is then four
//! DC values and four replays of recorded bits, and only MCUs a disc's edge or the caption
//! crosses go through the DCT (`block`). The codes are T.81's (`tables`), written with byte
//! stuffing (`bits`) in strips of MCU rows encoded on every core and joined by restart
//! markers, after the usual headers (`headers`).
//!
//! Edited pictures (arbitrary pixels) still go through `encode.rs`'s general encoder.

mod bits;
mod block;
mod headers;
mod picture;
mod tables;
mod tiles;

use std::sync::OnceLock;

use super::parallel;
use super::render::Scene;
use bits::{BitSink, BitWriter};
use block::Samples;
use picture::{MCU, Picture};
use tables::{Huffman, Quant};
use tiles::Tiles;

/// JPEG quality: Google's JPEGs are photographs at high quality.
const QUALITY: u8 = 90;

/// MCU rows per strip: a fixed number, so that a picture's bytes do not depend on the machine
/// that drew it (the cache and ETags rely on that).
const STRIP_MCU_ROWS: u32 = 16;

/// The tables every drawn JPEG is coded with.
struct Coder {
    luma_quant: Quant,
    chroma_quant: Quant,
    luma_dc: Huffman,
    luma_ac: Huffman,
    chroma_dc: Huffman,
    chroma_ac: Huffman,
}

fn coder() -> &'static Coder {
    static CODER: OnceLock<Coder> = OnceLock::new();
    CODER.get_or_init(|| {
        let [luma_dc, luma_ac, chroma_dc, chroma_ac] = tables::typical();
        Coder {
            luma_quant: Quant::new(true, QUALITY),
            chroma_quant: Quant::new(false, QUALITY),
            luma_dc,
            luma_ac,
            chroma_dc,
            chroma_ac,
        }
    })
}

fn picture(scene: &Scene, seed: u64, noise: u8) -> Picture<'_> {
    let coder = coder();
    Picture {
        scene,
        seed,
        tiles: Tiles::of(noise, &coder.luma_quant, &coder.luma_ac),
    }
}

/// `scene` drawn with noise tiles of amplitude `noise`, as a JPEG. `None` when a side is 0 or
/// over JPEG's 65,535.
pub fn encode(scene: &Scene, seed: u64, noise: u8) -> Option<Vec<u8>> {
    let width = u16::try_from(scene.width).ok().filter(|&w| w > 0)?;
    let height = u16::try_from(scene.height).ok().filter(|&h| h > 0)?;
    let picture = picture(scene, seed, noise);
    let coder = coder();
    let (mcus_across, mcu_rows) = (scene.width.div_ceil(MCU), scene.height.div_ceil(MCU));
    // A restart interval counts MCUs in 16 bits.
    let rows_per_strip = STRIP_MCU_ROWS.min(u32::from(u16::MAX) / mcus_across).max(1);
    let strips: Vec<(u32, u32)> = (0..mcu_rows)
        .step_by(rows_per_strip as usize)
        .map(|top| (top, (top + rows_per_strip).min(mcu_rows)))
        .collect();
    let interval = u16::try_from(rows_per_strip * mcus_across).ok();
    let encoded = parallel::map(&strips, |&(top, end)| {
        strip(&picture, coder, mcus_across, top..end)
    });
    let mut out = Vec::with_capacity(encoded.iter().map(Vec::len).sum::<usize>() + 1024);
    let tables = headers::Tables {
        luma_quant: &coder.luma_quant,
        chroma_quant: &coder.chroma_quant,
        luma_dc: &coder.luma_dc,
        luma_ac: &coder.luma_ac,
        chroma_dc: &coder.chroma_dc,
        chroma_ac: &coder.chroma_ac,
    };
    let restart = if strips.len() > 1 { interval } else { None };
    headers::write(&mut out, width, height, &tables, restart);
    for (index, data) in encoded.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(&[0xFF, 0xD0 + ((index - 1) % 8) as u8]);
        }
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

/// The RGB pixels of the picture [`encode`] codes (before the coding's loss), row by row.
pub fn pixels(scene: &Scene, seed: u64, noise: u8) -> Vec<u8> {
    let picture = picture(scene, seed, noise);
    let width = scene.width as usize;
    let blocks = width.div_ceil(8);
    let mut out = vec![0u8; width * 3 * scene.height as usize];
    parallel::rows(&mut out, width * 3, |y, row| {
        let y = y as u32;
        let mut base = vec![[0u8; 3]; width];
        picture.paint_row(y, 0, &mut base);
        let tiles = picture.tile_row(y / 8, blocks);
        for (x, (pixel, colour)) in row.chunks_exact_mut(3).zip(&base).enumerate() {
            // Noise added to luma alone adds the same to R, G and B (JFIF's conversion gives
            // Y a weight of 1 in each), and a decoder clamps the sum.
            let noise =
                picture.tiles.samples[usize::from(tiles[x / 8])][(y as usize % 8) * 8 + x % 8];
            for (channel, &value) in pixel.iter_mut().zip(colour) {
                *channel = (f32::from(value) + noise).clamp(0.0, 255.0) as u8;
            }
        }
    });
    out
}

/// The entropy-coded data of MCU rows `rows`, DC predictions starting afresh (as after a
/// restart marker).
fn strip(
    picture: &Picture,
    coder: &Coder,
    mcus_across: u32,
    rows: std::ops::Range<u32>,
) -> Vec<u8> {
    let blocks = (mcus_across * 2) as usize;
    // Roughly the tiles' weight: a 16-row strip of a 4K picture is a few hundred KB.
    let mut writer = BitWriter::with_capacity(rows.len() * blocks * 64);
    let mut previous = [0i32; 3];
    for my in rows {
        let tile_rows = [
            picture.tile_row(my * 2, blocks),
            picture.tile_row(my * 2 + 1, blocks),
        ];
        for mx in 0..mcus_across {
            // The MCU's four luma blocks, in T.81's order, by their tiles.
            let tiles = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .map(|(bx, by)| usize::from(tile_rows[by][(mx * 2) as usize + bx]));
            match picture.flat_colour(mx, my) {
                Some(colour) => flat_mcu(&mut writer, picture, coder, colour, tiles, &mut previous),
                None => drawn_mcu(&mut writer, picture, coder, (mx, my), tiles, &mut previous),
            }
        }
    }
    writer.finish()
}

/// An MCU of one `colour` under its noise `tiles`: DC values computed, AC codes replayed.
fn flat_mcu(
    writer: &mut BitWriter,
    picture: &Picture,
    coder: &Coder,
    colour: [u8; 3],
    tiles: [usize; 4],
    previous: &mut [i32; 3],
) {
    let [luma, cb, cr] = picture::ycbcr(colour);
    // `block::fdct` leaves a block's DC term as the sum of its 64 level-shifted samples.
    let luma_sum = 64.0 * (luma - 128.0);
    let dc_factor = coder.luma_quant.factors[0];
    for tile in tiles {
        let dc = dc_value((luma_sum + picture.tiles.dc[tile]) * dc_factor);
        block::put_dc(writer, dc - previous[0], &coder.luma_dc);
        previous[0] = dc;
        picture.tiles.ac[tile].replay(writer);
    }
    let (end_code, end_bits) = coder.chroma_ac.codes[0x00];
    for (component, value) in [(1, cb), (2, cr)] {
        let dc = dc_value(64.0 * (value - 128.0) * coder.chroma_quant.factors[0]);
        block::put_dc(writer, dc - previous[component], &coder.chroma_dc);
        previous[component] = dc;
        writer.put(u32::from(end_code), u32::from(end_bits));
    }
}

fn dc_value(scaled: f32) -> i32 {
    block::round(scaled).clamp(-1023, 1023)
}

/// An MCU drawn pixel by pixel, transformed and coded as any JPEG encoder would.
fn drawn_mcu(
    writer: &mut BitWriter,
    picture: &Picture,
    coder: &Coder,
    (mx, my): (u32, u32),
    tiles: [usize; 4],
    previous: &mut [i32; 3],
) {
    let mut luma: [Samples; 4] = [[0.0; 64]; 4];
    let mut chroma: [Samples; 2] = [[0.0; 64]; 2];
    let mut row = [[0u8; 3]; MCU as usize];
    for dy in 0..MCU as usize {
        picture.paint_row(my * MCU + dy as u32, mx * MCU, &mut row);
        for (dx, colour) in row.iter().enumerate() {
            let [y, cb, cr] = picture::ycbcr(*colour);
            let block = (dy / 8) * 2 + dx / 8;
            let at = (dy % 8) * 8 + dx % 8;
            luma[block][at] = y - 128.0 + picture.tiles.samples[tiles[block]][at];
            let half = (dy / 2) * 8 + dx / 2;
            chroma[0][half] += (cb - 128.0) / 4.0;
            chroma[1][half] += (cr - 128.0) / 4.0;
        }
    }
    for block in &mut luma {
        code_block(
            writer,
            block,
            &coder.luma_quant,
            (&coder.luma_dc, &coder.luma_ac),
            &mut previous[0],
        );
    }
    for (component, block) in chroma.iter_mut().enumerate() {
        code_block(
            writer,
            block,
            &coder.chroma_quant,
            (&coder.chroma_dc, &coder.chroma_ac),
            &mut previous[component + 1],
        );
    }
}

fn code_block(
    writer: &mut BitWriter,
    samples: &mut Samples,
    quant: &Quant,
    (dc_table, ac_table): (&Huffman, &Huffman),
    previous: &mut i32,
) {
    block::fdct(samples);
    let coefficients = block::quantise(samples, quant);
    block::put_dc(writer, coefficients[0] - *previous, dc_table);
    *previous = coefficients[0];
    block::put_ac(writer, &coefficients, ac_table);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(width: u32, height: u32, seed: u64) -> Scene {
        Scene::new(
            width,
            height,
            seed,
            "a nano banana dish in a fancy restaurant",
        )
    }

    fn mean_error(a: &[u8], b: &[u8]) -> f64 {
        let total: u64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        total as f64 / a.len() as f64
    }

    #[test]
    fn a_drawn_jpeg_decodes_to_the_picture_it_defines() {
        // One strip; several strips with restart markers past RST7 (2568 rows: 11 strips, the
        // last cut short); sides that are not whole MCUs; a picture with no noise.
        for (width, height, seed, noise) in [
            (64, 48, 1, 34),
            (1000, 2568, 2, 34),
            (848, 1264, 3, 34),
            (333, 77, 4, 34),
            (512, 512, 5, 0),
        ] {
            let scene = scene(width, height, seed);
            let bytes = encode(&scene, seed, noise).expect("a JPEG");
            let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .expect("the drawn JPEG decodes")
                .to_rgb8();
            assert_eq!(decoded.dimensions(), (width, height));
            let wanted = pixels(&scene, seed, noise);
            let error = mean_error(decoded.as_raw(), &wanted);
            // q90 JPEG of this noise: about 3 levels (5 where letters fill the picture); a strip out of place, a wrong DC
            // prediction or a lost restart would leave whole bands tens of levels off.
            assert!(error < 6.5, "{width}x{height}: mean error {error}");
            // Band by band (16 rows): every strip is in its place.
            let band = width as usize * 3 * 16;
            for (got, wanted) in decoded.as_raw().chunks(band).zip(wanted.chunks(band)) {
                let error = mean_error(got, wanted);
                assert!(error < 12.0, "{width}x{height}: a band {error} off");
            }
        }
    }

    #[test]
    fn the_same_drawing_gives_the_same_bytes_and_another_seed_others() {
        let a = encode(&scene(640, 480, 9), 9, 34);
        assert_eq!(a, encode(&scene(640, 480, 9), 9, 34));
        assert_ne!(a, encode(&scene(640, 480, 10), 10, 34));
    }

    #[test]
    fn sides_jpeg_cannot_hold_are_refused() {
        assert!(encode(&scene(0, 10, 1), 1, 34).is_none());
        assert!(encode(&scene(70_000, 16, 1), 1, 34).is_none());
    }

    #[test]
    fn the_huffman_codes_are_t81s() {
        let coder = coder();
        // K.3.1: luma DC category 0 is 00; K.3.2: luma AC end of block 1010, ZRL 11111111001,
        // 0/1 is 00; chroma AC end of block 00.
        assert_eq!(coder.luma_dc.codes[0], (0b00, 2));
        assert_eq!(coder.luma_ac.codes[0x00], (0b1010, 4));
        assert_eq!(coder.luma_ac.codes[0xF0], (0b111_1111_1001, 11));
        assert_eq!(coder.luma_ac.codes[0x01], (0b00, 2));
        assert_eq!(coder.chroma_ac.codes[0x00], (0b00, 2));
        // IJG's quality 90: Annex K's table scaled by 20%.
        assert_eq!(coder.luma_quant.values[0], 3);
        assert_eq!(coder.chroma_quant.values[63], 20);
    }
}
