//! Huffman codes into bytes: a JPEG's entropy-coded data, most significant bit first, with a
//! zero byte stuffed after every 0xFF (so that no data byte is taken for a marker).

/// Where codes go: the output itself ([`BitWriter`]) or a recording of them to replay later
/// ([`Recorded`]).
pub trait BitSink {
    /// Appends the low `bits` bits of `code` (at most 32).
    fn put(&mut self, code: u32, bits: u32);
}

/// Entropy-coded data being written.
pub struct BitWriter {
    out: Vec<u8>,
    /// Bits not yet written, in the low `pending` bits (higher bits are stale).
    acc: u64,
    pending: u32,
}

impl BitWriter {
    /// A writer whose output starts with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(capacity),
            acc: 0,
            pending: 0,
        }
    }

    /// Writes the bits held so far, the last byte padded with 1 bits as T.81 asks before a
    /// marker, and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let pad = (8 - self.pending % 8) % 8;
        self.put((1 << pad) - 1, pad);
        while self.pending >= 8 {
            self.pending -= 8;
            self.byte((self.acc >> self.pending) as u8);
        }
        self.out
    }

    fn byte(&mut self, byte: u8) {
        self.out.push(byte);
        if byte == 0xFF {
            self.out.push(0);
        }
    }

    fn word(&mut self, word: u32) {
        // Has no byte equal to 0xFF: the common case, written whole.
        let inverted = !word;
        if inverted.wrapping_sub(0x0101_0101) & word & 0x8080_8080 == 0 {
            self.out.extend_from_slice(&word.to_be_bytes());
        } else {
            word.to_be_bytes().into_iter().for_each(|b| self.byte(b));
        }
    }
}

impl BitSink for BitWriter {
    #[inline]
    fn put(&mut self, code: u32, bits: u32) {
        debug_assert!(bits <= 32 && (bits == 32 || code >> bits == 0));
        // pending < 32 on entry, so the accumulator never holds more than 63 live bits.
        self.acc = (self.acc << bits) | u64::from(code);
        self.pending += bits;
        if self.pending >= 32 {
            self.pending -= 32;
            self.word((self.acc >> self.pending) as u32);
        }
    }
}

/// Codes recorded as runs of up to 32 bits, to be written again and again by [`Recorded::replay`].
#[derive(Default)]
pub struct Recorded {
    runs: Vec<(u32, u8)>,
    bits: u64,
}

impl Recorded {
    /// Writes the recorded codes to `sink`.
    #[inline]
    pub fn replay(&self, sink: &mut impl BitSink) {
        for &(code, bits) in &self.runs {
            sink.put(code, u32::from(bits));
        }
    }

    /// How many bits were recorded.
    #[cfg(test)]
    pub fn bits(&self) -> u64 {
        self.bits
    }
}

impl BitSink for Recorded {
    fn put(&mut self, code: u32, bits: u32) {
        self.bits += u64::from(bits);
        match self.runs.last_mut() {
            Some((run, run_bits)) if u32::from(*run_bits) + bits <= 32 => {
                *run = ((u64::from(*run) << bits) | u64::from(code)) as u32;
                *run_bits += bits as u8;
            }
            _ => self.runs.push((code, bits as u8)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_most_significant_bit_first_padded_with_ones_and_0xff_is_stuffed() {
        let mut writer = BitWriter::with_capacity(8);
        writer.put(0b101, 3);
        writer.put(0xFF, 8);
        writer.put(0x1F_FFFF, 21);
        writer.put(0, 2);
        // 101 11111111 111111111111111111111 00 + padding 111111
        assert_eq!(
            writer.finish(),
            [0xBF, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0x3F]
        );
    }

    #[test]
    fn a_recording_replays_the_same_bits() {
        let codes = [
            (0b1, 1),
            (0xABCD, 16),
            (0x3FF, 10),
            (0x1234_5678, 32),
            (0b0110, 4),
        ];
        let mut direct = BitWriter::with_capacity(16);
        let mut recorded = Recorded::default();
        for (code, bits) in codes {
            direct.put(code, bits);
            recorded.put(code, bits);
        }
        let mut replayed = BitWriter::with_capacity(16);
        recorded.replay(&mut replayed);
        assert_eq!(recorded.bits(), 63);
        assert_eq!(direct.finish(), replayed.finish());
    }
}
