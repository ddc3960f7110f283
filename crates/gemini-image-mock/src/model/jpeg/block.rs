//! One 8×8 block: its forward DCT (the AAN float algorithm, as IJG's `jfdctflt.c`), its
//! quantised coefficients, and their Huffman coding (T.81 F.1.2).

use super::bits::BitSink;
use super::tables::{Huffman, Quant, ZIGZAG};

/// A block's samples, level-shifted (value − 128), row-major; transformed in place.
pub type Samples = [f32; 64];

/// Quantised coefficients in zigzag order.
pub type Coefficients = [i32; 64];

/// The forward DCT of `block` in place, each coefficient left scaled as [`Quant::factors`]
/// expects.
pub fn fdct(block: &mut Samples) {
    for row in block.chunks_exact_mut(8) {
        fdct_1d(row, 1);
    }
    for column in 0..8 {
        fdct_1d(&mut block[column..], 8);
    }
}

/// The 8-point AAN DCT of `data[0], data[stride], …, data[7 × stride]`, in place.
#[inline]
fn fdct_1d(data: &mut [f32], stride: usize) {
    let d = |i: usize| data[i * stride];
    let (tmp0, tmp7) = (d(0) + d(7), d(0) - d(7));
    let (tmp1, tmp6) = (d(1) + d(6), d(1) - d(6));
    let (tmp2, tmp5) = (d(2) + d(5), d(2) - d(5));
    let (tmp3, tmp4) = (d(3) + d(4), d(3) - d(4));
    // Even part.
    let (tmp10, tmp13) = (tmp0 + tmp3, tmp0 - tmp3);
    let (tmp11, tmp12) = (tmp1 + tmp2, tmp1 - tmp2);
    let z1 = (tmp12 + tmp13) * 0.707_106_77;
    let even = [tmp10 + tmp11, tmp13 + z1, tmp10 - tmp11, tmp13 - z1];
    // Odd part.
    let (tmp10, tmp11, tmp12) = (tmp4 + tmp5, tmp5 + tmp6, tmp6 + tmp7);
    let z5 = (tmp10 - tmp12) * 0.382_683_43;
    let z2 = 0.541_196_1 * tmp10 + z5;
    let z4 = 1.306_563 * tmp12 + z5;
    let z3 = tmp11 * 0.707_106_77;
    let (z11, z13) = (tmp7 + z3, tmp7 - z3);
    data[0] = even[0];
    data[2 * stride] = even[1];
    data[4 * stride] = even[2];
    data[6 * stride] = even[3];
    data[5 * stride] = z13 + z2;
    data[3 * stride] = z13 - z2;
    data[stride] = z11 + z4;
    data[7 * stride] = z11 - z4;
}

/// The transformed `block` quantised by `quant`, in zigzag order, each coefficient within
/// baseline JPEG's range.
pub fn quantise(block: &Samples, quant: &Quant) -> Coefficients {
    std::array::from_fn(|k| {
        let natural = usize::from(ZIGZAG[k]);
        round(block[natural] * quant.factors[natural]).clamp(-1023, 1023)
    })
}

/// `value` rounded half away from zero (inline: `f32::round` is a call into libm on baseline
/// x86-64, and every coefficient goes through it).
#[inline]
pub fn round(value: f32) -> i32 {
    (value + 0.5f32.copysign(value)) as i32
}

/// A value's magnitude category (T.81 F.1.2.1) and the bits that follow its code.
#[inline]
fn category(value: i32) -> (u32, u32) {
    let size = 32 - value.unsigned_abs().leading_zeros();
    let bits = if value < 0 { value - 1 } else { value };
    (size, (bits as u32) & ((1u32 << size) - 1))
}

/// The DC difference `diff` coded with `table`.
#[inline]
pub fn put_dc(sink: &mut impl BitSink, diff: i32, table: &Huffman) {
    let (size, bits) = category(diff.clamp(-2047, 2047));
    let (code, length) = table.codes[size as usize];
    sink.put(u32::from(code), u32::from(length));
    sink.put(bits, size);
}

/// The AC coefficients (`coefficients[1..]`) coded with `table`: runs of zeros, 16-zero runs
/// (ZRL) and the end of block.
pub fn put_ac(sink: &mut impl BitSink, coefficients: &Coefficients, table: &Huffman) {
    let mut run = 0u32;
    for &value in &coefficients[1..] {
        if value == 0 {
            run += 1;
            continue;
        }
        while run >= 16 {
            let (code, length) = table.codes[0xF0];
            sink.put(u32::from(code), u32::from(length));
            run -= 16;
        }
        let (size, bits) = category(value);
        let (code, length) = table.codes[((run << 4) | size) as usize];
        sink.put(u32::from(code), u32::from(length));
        sink.put(bits, size);
        run = 0;
    }
    if run > 0 {
        let (code, length) = table.codes[0x00];
        sink.put(u32::from(code), u32::from(length));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// T.81 A.3.3's DCT, straight from its definition.
    fn reference_dct(samples: &Samples) -> [f64; 64] {
        let c = |k: usize| {
            if k == 0 {
                std::f64::consts::FRAC_1_SQRT_2
            } else {
                1.0
            }
        };
        std::array::from_fn(|i| {
            let (v, u) = (i / 8, i % 8);
            let mut sum = 0.0;
            for y in 0..8 {
                for x in 0..8 {
                    sum += f64::from(samples[y * 8 + x])
                        * (((2 * x + 1) * u) as f64 * std::f64::consts::PI / 16.0).cos()
                        * (((2 * y + 1) * v) as f64 * std::f64::consts::PI / 16.0).cos();
                }
            }
            0.25 * c(u) * c(v) * sum
        })
    }

    #[test]
    fn the_fast_dct_quantises_as_the_definition_does() {
        let quant = Quant::new(true, 90);
        let mut state = 12345u32;
        for _ in 0..50 {
            let samples: Samples = std::array::from_fn(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((state >> 16) % 256) as f32 - 128.0
            });
            let exact = reference_dct(&samples);
            let mut fast = samples;
            fdct(&mut fast);
            let ours = quantise(&fast, &quant);
            for k in 0..64 {
                let natural = usize::from(ZIGZAG[k]);
                let wanted = exact[natural] / f64::from(quant.values[natural]);
                // Rounding may go either way only where the exact value is a hair from .5.
                assert!(
                    (f64::from(ours[k]) - wanted).abs() <= 0.5 + 1e-3,
                    "coefficient {natural}: {} vs {wanted}",
                    ours[k]
                );
            }
        }
    }

    #[test]
    fn categories_follow_t81() {
        assert_eq!(category(0), (0, 0));
        assert_eq!(category(1), (1, 1));
        assert_eq!(category(-1), (1, 0));
        assert_eq!(category(-3), (2, 0));
        assert_eq!(category(5), (3, 5));
        assert_eq!(category(-1023), (10, 0));
    }
}
