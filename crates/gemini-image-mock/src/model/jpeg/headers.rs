//! The segments before a baseline JPEG's entropy-coded data (T.81 B.2): JFIF, the tables, the
//! frame and the scan, for a three-component 4:2:0 picture.

use super::tables::{Huffman, Quant, ZIGZAG};

/// Appends one marker segment: the marker, its length, its body.
fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// The tables a 4:2:0 picture is coded with: luma (0) and chroma (1).
pub struct Tables<'a> {
    pub luma_quant: &'a Quant,
    pub chroma_quant: &'a Quant,
    pub luma_dc: &'a Huffman,
    pub luma_ac: &'a Huffman,
    pub chroma_dc: &'a Huffman,
    pub chroma_ac: &'a Huffman,
}

/// Everything from SOI to the end of SOS for a `width`×`height` picture; `restart_interval`
/// in MCUs, `None` for none.
pub fn write(
    out: &mut Vec<u8>,
    width: u16,
    height: u16,
    tables: &Tables,
    restart_interval: Option<u16>,
) {
    out.extend_from_slice(&[0xFF, 0xD8]);
    // JFIF 1.01, no density, no thumbnail.
    segment(out, 0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    let mut quant = Vec::with_capacity(130);
    for (id, table) in [(0u8, tables.luma_quant), (1, tables.chroma_quant)] {
        quant.push(id);
        quant.extend(ZIGZAG.iter().map(|&n| table.values[usize::from(n)]));
    }
    segment(out, 0xDB, &quant);
    let [w0, w1] = width.to_be_bytes();
    let [h0, h1] = height.to_be_bytes();
    // 8 bits; three components: Y sampled 2×2 with table 0, Cb and Cr 1×1 with table 1.
    segment(
        out,
        0xC0,
        &[8, h0, h1, w0, w1, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
    );
    let mut huffman = Vec::with_capacity(420);
    for (class_id, table) in [
        (0x00u8, tables.luma_dc),
        (0x10, tables.luma_ac),
        (0x01, tables.chroma_dc),
        (0x11, tables.chroma_ac),
    ] {
        huffman.push(class_id);
        huffman.extend_from_slice(table.lengths);
        huffman.extend_from_slice(table.symbols);
    }
    segment(out, 0xC4, &huffman);
    if let Some(interval) = restart_interval {
        segment(out, 0xDD, &interval.to_be_bytes());
    }
    // Three components (Y with tables 0/0, Cb and Cr with 1/1), spectral 0–63, no
    // approximation.
    segment(out, 0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
}
