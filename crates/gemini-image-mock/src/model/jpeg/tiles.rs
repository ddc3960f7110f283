//! The noise that gives a drawn JPEG its weight, prepared once: 256 tiles of 8×8 luma noise,
//! each with its DCT's DC term and its AC coefficients already Huffman-coded. A block whose
//! picture is flat under the noise is then written by computing one DC value and replaying
//! the tile's recorded codes: no DCT, no quantisation, no coding per block.

use std::sync::OnceLock;

use super::super::texture;
use super::bits::Recorded;
use super::block::{self, Samples};
use super::tables::{Huffman, Quant};

/// How many tiles there are: a block's tile is one byte of the noise pool.
pub const COUNT: usize = 256;

/// The tiles of one noise amplitude.
pub struct Tiles {
    /// Each tile's noise, row-major, centred on 0 (added to a block's luma).
    pub samples: Vec<Samples>,
    /// Each tile's unquantised DC term as `block::fdct` leaves it (the sum of its samples).
    pub dc: Vec<f32>,
    /// Each tile's AC coefficients, quantised and coded with the luma AC table.
    pub ac: Vec<Recorded>,
}

impl Tiles {
    /// The tiles of noise of `amplitude` (samples spread over `amplitude` levels), made on first
    /// use.
    pub fn of(amplitude: u8, quant: &Quant, table: &Huffman) -> &'static Tiles {
        static TILES: [OnceLock<Tiles>; 256] = [const { OnceLock::new() }; 256];
        TILES[usize::from(amplitude)].get_or_init(|| Self::make(amplitude, quant, table))
    }

    fn make(amplitude: u8, quant: &Quant, table: &Huffman) -> Tiles {
        let noise = texture::noise_bytes(COUNT * 64);
        let amplitude = f32::from(amplitude);
        let samples: Vec<Samples> = noise
            .chunks_exact(64)
            .map(|tile| {
                std::array::from_fn(|i| {
                    (f32::from(tile[i]) * amplitude / 256.0 - amplitude / 2.0).round()
                })
            })
            .collect();
        let mut dc = Vec::with_capacity(COUNT);
        let mut ac = Vec::with_capacity(COUNT);
        for tile in &samples {
            let mut transformed = *tile;
            block::fdct(&mut transformed);
            dc.push(transformed[0]);
            let mut codes = Recorded::default();
            block::put_ac(&mut codes, &block::quantise(&transformed, quant), table);
            ac.push(codes);
        }
        Tiles { samples, dc, ac }
    }
}
