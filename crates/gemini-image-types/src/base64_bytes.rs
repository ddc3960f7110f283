//! [`Base64Bytes`]: the one type for every `format: byte` field (image data, thought signatures,
//! Imagen's `bytesBase64Encoded`).
//!
//! Images are megabytes of base64 inside JSON. The bytes are decoded once, during
//! deserialization, with a SIMD decoder, straight from the borrowed JSON string into the buffer
//! that the user finally holds (a [`Bytes`], cheap to clone and to hand to other tasks).

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// Decoded bytes that travel as base64 in JSON.
///
/// Deserializing accepts what Google's own parser accepts: the standard and the URL-safe
/// alphabets, padded or not (the official Python SDK sends URL-safe). Serializing writes the
/// standard alphabet with padding, as Google's servers do. Invalid base64 is a deserialization
/// error that says what is wrong — never a panic, never silently wrong bytes.
///
/// `Debug` shows the length and the first bytes, never megabytes of data.
///
/// ```
/// use gemini_image_types::Base64Bytes;
///
/// let standard: Base64Bytes = serde_json::from_str(r#""+/+/""#).unwrap();
/// let url_safe: Base64Bytes = serde_json::from_str(r#""-_-_""#).unwrap();
/// assert_eq!(standard, url_safe);
/// assert_eq!(&standard[..], &[0xfb, 0xff, 0xbf]);
/// assert_eq!(serde_json::to_string(&url_safe).unwrap(), r#""+/+/""#);
///
/// let err = serde_json::from_str::<Base64Bytes>(r#""ab!d""#).unwrap_err();
/// assert!(err.to_string().contains("'!' at offset 2"), "{err}");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Base64Bytes(Bytes);

impl Base64Bytes {
    /// Wraps bytes that are already decoded.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// Decodes base64 text in any of the four forms Google accepts.
    ///
    /// ```
    /// use gemini_image_types::Base64Bytes;
    /// assert_eq!(&Base64Bytes::decode(b"aGk").unwrap()[..], b"hi");
    /// assert!(Base64Bytes::decode(b"a").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`Base64Error`] when `text` is not base64 in either alphabet; it says which character,
    /// where.
    pub fn decode(text: &[u8]) -> Result<Self, Base64Error> {
        decode(text).map(Self)
    }

    /// The standard, padded base64 text of the bytes (what Google's servers send).
    pub fn encode(&self) -> String {
        let mut text = Vec::new();
        engine::encode_append(&self.0, &mut text);
        // Base64 is ASCII.
        String::from_utf8(text).unwrap_or_default()
    }

    /// The decoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The decoded bytes as a cheaply clonable [`Bytes`].
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Base64Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Base64Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Base64Bytes {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for Base64Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for Base64Bytes {
    fn from(bytes: &'static [u8]) -> Self {
        Self(Bytes::from_static(bytes))
    }
}

impl From<Base64Bytes> for Bytes {
    fn from(value: Base64Bytes) -> Self {
        value.0
    }
}

impl fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Base64Bytes({} bytes", self.0.len())?;
        if !self.0.is_empty() {
            f.write_str(": ")?;
            for byte in self.0.iter().take(SHOWN) {
                write!(f, "{byte:02x}")?;
            }
            if self.0.len() > SHOWN {
                f.write_str("…")?;
            }
        }
        f.write_str(")")
    }
}

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Inside `codec::to_body`, a large value leaves a placeholder that the codec replaces
        // with base64 written straight into the body (no intermediate string, no escaping scan).
        if let Some(placeholder) = splice::defer_encode(&self.0) {
            return serializer.serialize_str(&placeholder);
        }
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64Visitor;

        impl Visitor<'_> for Base64Visitor {
            type Value = Base64Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string")
            }

            // `visit_str` sees the string borrowed from the body when it has no escapes, so
            // the only copy is the decode itself.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                // Inside `codec::from_body`, large values were decoded before parsing.
                if let Some(bytes) = splice::take_decoded(text) {
                    return Ok(Base64Bytes(bytes));
                }
                Base64Bytes::decode(text.as_bytes()).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Base64Visitor)
    }
}

/// The hand-over between [`crate::codec`] and the serde impls above: while the codec runs
/// serde on this thread, large base64 values travel as placeholders (`"!gemini-image:INDEX:NONCE"`)
/// and their bytes wait here. The nonce is random per call, so no text a server or user sends
/// can pose as a placeholder; `!` is not base64, so a placeholder is never valid data either.
pub(crate) mod splice {
    use std::cell::RefCell;
    use std::thread::LocalKey;

    use bytes::Bytes;

    /// Values at least this large take the spliced path; smaller ones are not worth it.
    pub const MIN_SPLICED: usize = 32 * 1024;
    const PREFIX: &str = "!gemini-image:";

    #[derive(Default)]
    struct Table {
        nonce: u64,
        values: Vec<Option<Bytes>>,
        taken: usize,
    }

    type Cell = RefCell<Option<Table>>;

    thread_local! {
        static DECODED: Cell = const { RefCell::new(None) };
        static DEFERRED: Cell = const { RefCell::new(None) };
    }

    /// A table installed for the length of one codec call. When the call ends — by returning or
    /// by a panic in a user's serde impl — the table that was there before comes back, so a
    /// table never outlives its call: a later plain `serde_json` call on this thread must never
    /// see a placeholder.
    struct Installed {
        key: &'static LocalKey<Cell>,
        previous: Option<Option<Table>>,
    }

    impl Installed {
        fn install(key: &'static LocalKey<Cell>, table: Table) -> Self {
            let previous = key.with(|cell| cell.replace(Some(table)));
            Self {
                key,
                previous: Some(previous),
            }
        }

        /// Uninstalls the table and returns it.
        fn finish(mut self) -> Option<Table> {
            self.restore()
        }

        fn restore(&mut self) -> Option<Table> {
            let previous = self.previous.take()?;
            self.key
                .try_with(|cell| {
                    cell.try_borrow_mut()
                        .ok()
                        .map(|mut c| std::mem::replace(&mut *c, previous))
                })
                .ok()
                .flatten()
                .flatten()
        }
    }

    impl Drop for Installed {
        fn drop(&mut self) {
            self.restore();
        }
    }

    /// Whether no codec call is running on this thread (no table installed).
    #[cfg(test)]
    pub fn idle() -> bool {
        DECODED.with(|cell| cell.borrow().is_none())
            && DEFERRED.with(|cell| cell.borrow().is_none())
    }

    /// The placeholder text for value `index`.
    pub fn placeholder(index: usize, nonce: u64) -> String {
        format!("{PREFIX}{index}:{nonce:016x}")
    }

    /// Runs `parse` with `values` standing behind placeholders `0..values.len()` made with
    /// `nonce`; returns its result and whether every value was taken by a `Base64Bytes`.
    pub fn with_decoded<T>(nonce: u64, values: Vec<Bytes>, parse: impl FnOnce() -> T) -> (T, bool) {
        let expected = values.len();
        let table = Table {
            nonce,
            values: values.into_iter().map(Some).collect(),
            taken: 0,
        };
        let installed = Installed::install(&DECODED, table);
        let parsed = parse();
        let taken = installed.finish().map_or(0, |t| t.taken);
        (parsed, taken == expected)
    }

    /// The bytes behind `text`, if it is a placeholder of the running `with_decoded`.
    pub fn take_decoded(text: &str) -> Option<Bytes> {
        let rest = text.strip_prefix(PREFIX)?;
        let (index, nonce) = rest.split_once(':')?;
        let index: usize = index.parse().ok()?;
        let nonce = u64::from_str_radix(nonce, 16).ok()?;
        DECODED.with(|cell| {
            let mut cell = cell.borrow_mut();
            let table = cell.as_mut().filter(|t| t.nonce == nonce)?;
            let bytes = table.values.get_mut(index)?.take()?;
            table.taken += 1;
            Some(bytes)
        })
    }

    /// Runs `serialize` collecting large values behind placeholders made with `nonce`; returns
    /// its result and the values in placeholder order.
    pub fn with_deferred<T>(nonce: u64, serialize: impl FnOnce() -> T) -> (T, Vec<Bytes>) {
        let installed = Installed::install(
            &DEFERRED,
            Table {
                nonce,
                ..Table::default()
            },
        );
        let serialized = serialize();
        let values = installed
            .finish()
            .map(|t| t.values.into_iter().flatten().collect())
            .unwrap_or_default();
        (serialized, values)
    }

    /// A placeholder for `bytes`, when a `with_deferred` is running and they are large.
    pub fn defer_encode(bytes: &Bytes) -> Option<String> {
        if bytes.len() < MIN_SPLICED {
            return None;
        }
        DEFERRED.with(|cell| {
            let mut cell = cell.borrow_mut();
            let table = cell.as_mut()?;
            table.values.push(Some(bytes.clone()));
            Some(placeholder(table.values.len() - 1, table.nonce))
        })
    }
}

/// Standard base64 decoded as it arrives in pieces of any size (an image in an SSE event or a
/// results line, read from the network in pieces), with exactly the answers of decoding the
/// whole text at once: the last block, which may hold padding, is decoded only at
/// [`Base64Stream::finish`].
///
/// A stream that fails keeps what it had decoded before the piece that failed, and
/// [`Base64Stream::text`] gives back the text it was fed until then — exactly: a whole block of
/// strict base64 has only one text — so that a reader that dropped the pieces can still read
/// the value the ordinary way.
#[derive(Debug, Default)]
pub(crate) struct Base64Stream {
    out: Vec<u8>,
    /// Characters of a block not yet decoded: up to three, or a whole block held back because
    /// it may be the last.
    carry: [u8; 4],
    carry_len: usize,
    failed: bool,
}

impl Base64Stream {
    /// Makes room for `total` decoded bytes in all, a guess (the stream still grows past it).
    pub fn expect(&mut self, total: usize) {
        if total + LAST_BLOCK > self.out.capacity() {
            self.out.reserve_exact(total + LAST_BLOCK - self.out.len());
        }
    }

    /// Decodes the next piece of text; false once the text is not strict standard base64 (or
    /// holds anything this stream does not handle), after which the stream only fails. A piece
    /// that fails changes nothing: [`Base64Stream::text`] is the text before it.
    pub fn feed(&mut self, text: &[u8]) -> bool {
        if self.failed {
            return false;
        }
        let (decoded, carry, carry_len) = (self.out.len(), self.carry, self.carry_len);
        if self.feed_blocks(text) {
            return true;
        }
        self.out.truncate(decoded);
        (self.carry, self.carry_len) = (carry, carry_len);
        self.failed = true;
        false
    }

    /// Decodes `text` when all of it is strict standard base64 that the value goes on past —
    /// a read from the middle of an image, the common case, which then needs no search for the
    /// value's end before it is decoded (that search cost as much as the decoding); false,
    /// changing nothing and failing nothing, when `text` holds anything else (the value's end,
    /// an escape, a line end, padding): the caller then finds where the value stops and feeds
    /// what comes before it. It never grows the buffer: the read that holds the value's end
    /// also holds what follows it, and room made for that would be copied for nothing (the
    /// search path grows the buffer for the value alone).
    pub fn feed_inside(&mut self, text: &[u8]) -> bool {
        if self.failed || self.room_for(text.len()) > self.out.capacity() {
            return false;
        }
        let (decoded, carry, carry_len) = (self.out.len(), self.carry, self.carry_len);
        // The decoder checks every block it decodes (a quote, a backslash, `=`, whitespace all
        // fail it or change its count); the characters carried to the next read are checked
        // here, as the next read will not see them again.
        if self.feed_blocks(text)
            && self.carry[..self.carry_len]
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        {
            return true;
        }
        self.out.truncate(decoded);
        (self.carry, self.carry_len) = (carry, carry_len);
        false
    }

    fn feed_blocks(&mut self, mut text: &[u8]) -> bool {
        if text.is_empty() {
            return true;
        }
        // Room for this text and for the last block, which `finish` adds (a buffer that grew
        // for those few bytes at the end would copy itself). A stream that did not know its
        // length grows by half, not double: at most 1.5 × the image, never twice.
        let needed = self.room_for(text.len());
        if needed > self.out.capacity() {
            let grown = needed.max(self.out.capacity() + self.out.capacity() / 2);
            self.out.reserve_exact(grown - self.out.len());
        }
        if self.carry_len > 0 {
            if self.carry_len < 4 {
                let take = (4 - self.carry_len).min(text.len());
                self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&text[..take]);
                self.carry_len += take;
                text = &text[take..];
            }
            if text.is_empty() {
                return true;
            }
            // More text follows, so the carried block is not the last.
            if !engine::decode_blocks_append(&self.carry, &mut self.out) {
                return false;
            }
            self.carry_len = 0;
        }
        let mut whole = text.len() / 4 * 4;
        if whole == text.len() {
            // Hold the last block back: it may be the padded end.
            whole -= 4;
        }
        if whole > 0 && !engine::decode_blocks_append(&text[..whole], &mut self.out) {
            return false;
        }
        let rest = &text[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carry_len = rest.len();
        true
    }

    /// The room feeding `text_len` more characters needs: the blocks decoded now, and the last
    /// block, held back (a whole one, when the text ends on a block's end: it may be padded),
    /// which `finish` adds. Counting that block twice grew an exact buffer at its very end.
    fn room_for(&self, text_len: usize) -> usize {
        let characters = self.carry_len + text_len;
        let decoded_now = if characters.is_multiple_of(4) {
            (characters / 4).saturating_sub(1)
        } else {
            characters / 4
        };
        self.out.len() + decoded_now * 3 + LAST_BLOCK
    }

    /// The decoded bytes, once the text has ended; the stream itself back when it was not
    /// valid (to read its [`Base64Stream::text`]).
    pub fn finish(mut self) -> Result<Bytes, Self> {
        // Strict and padded, as Google writes it: only then has the decoded value one text, so
        // that a reader given its text back (encoded again) reads what arrived. Unpadded base64
        // is read the ordinary way (the pure-Rust engine would take it, simdutf would not).
        if self.failed || !self.carry_len.is_multiple_of(4) {
            return Err(self);
        }
        let Some(last) = engine::decode(&self.carry[..self.carry_len], Alphabet::Standard) else {
            return Err(self);
        };
        self.out.extend_from_slice(&last);
        // A stream that did not know its length grew by half: give back what is unused (the
        // image may be held long).
        if self.out.capacity() - self.out.len() > self.out.len() / 16 {
            self.out.shrink_to_fit();
        }
        Ok(Bytes::from(self.out))
    }

    /// The text fed before the piece that failed (all of it, if none did): the decoded blocks
    /// encoded again, then the characters not decoded yet.
    pub fn text(&self) -> Vec<u8> {
        let mut text = Vec::with_capacity(self.out.len() / 3 * 4 + self.carry_len);
        engine::encode_append(&self.out, &mut text);
        text.extend_from_slice(&self.carry[..self.carry_len]);
        text
    }
}

/// The most bytes the last block of base64 decodes to.
const LAST_BLOCK: usize = 3;

/// Decodes strict base64 in either alphabet (for the codec's spliced path).
pub(crate) fn decode_base64(text: &[u8]) -> Option<Bytes> {
    engine::decode(text, Alphabet::Standard)
        .or_else(|| engine::decode(text, Alphabet::UrlSafe))
        .map(Bytes::from)
}

/// Appends the standard, padded base64 of `bytes` (for the codec's spliced path).
pub(crate) fn encode_base64_append(bytes: &[u8], out: &mut Vec<u8>) {
    engine::encode_append(bytes, out);
}

/// Why a string is not base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base64Error {
    reason: String,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid base64: {}", self.reason)
    }
}

impl std::error::Error for Base64Error {}

fn decode(text: &[u8]) -> Result<Bytes, Base64Error> {
    // Servers send standard, padded base64: try that first and pay for nothing else. Only when
    // it fails do we try the URL-safe alphabet, and only when both fail do we spend time
    // finding out what exactly is wrong.
    if let Some(bytes) = engine::decode(text, Alphabet::Standard) {
        return Ok(Bytes::from(bytes));
    }
    if let Some(bytes) = engine::decode(text, Alphabet::UrlSafe) {
        return Ok(Bytes::from(bytes));
    }
    Err(Base64Error {
        reason: diagnose(text),
    })
}

/// The two alphabets Google accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alphabet {
    Standard,
    UrlSafe,
}

/// The SIMD decoder: simdutf (C++, runtime-dispatched up to AVX-512, about the speed of a memory
/// copy) with the default `simdutf` feature, else base64-simd (pure Rust, AVX2). Both give
/// exactly the same answers: strict padding, canonical last bits, no whitespace.
mod engine {
    use super::Alphabet;

    /// The decoded bytes, or `None` when `text` is not strict base64 in `alphabet` (padded when
    /// its length is a multiple of four, unpadded otherwise).
    #[cfg(feature = "simdutf")]
    pub fn decode(text: &[u8], alphabet: Alphabet) -> Option<Vec<u8>> {
        use simdutf::{Base64Options, ErrorCode, LastChunkHandlingOptions};
        let expected = decoded_len(text)?;
        let padded = text.len().is_multiple_of(4);
        let options = match (alphabet, padded) {
            (Alphabet::Standard, true) => Base64Options::Default,
            (Alphabet::Standard, false) => Base64Options::DefaultNoPadding,
            (Alphabet::UrlSafe, true) => Base64Options::UrlWithPadding,
            (Alphabet::UrlSafe, false) => Base64Options::Url,
        };
        // Strict handling wants padding; an unpadded input is decoded loosely and its last
        // character checked for canonical bits below.
        let last_chunk = if padded {
            LastChunkHandlingOptions::Strict
        } else {
            LastChunkHandlingOptions::Loose
        };
        let mut out = Vec::with_capacity(expected);
        // SAFETY: the input is a valid slice; the output has room for `expected` bytes, which
        // `decoded_len` computes as simdutf's maximal length for an input without whitespace,
        // and an input with whitespace decodes to fewer bytes. Only `result.count` bytes, which
        // simdutf wrote, are exposed (after checking it is exactly `expected`).
        unsafe {
            let result = simdutf::base64_to_binary(
                text.as_ptr(),
                text.len(),
                out.as_mut_ptr(),
                options,
                last_chunk,
            );
            if result.error != ErrorCode::Success || result.count != expected {
                // A different count means simdutf skipped whitespace, which Google refuses.
                return None;
            }
            out.set_len(result.count);
        }
        (padded || canonical_end(text, &out, alphabet)).then_some(out)
    }

    /// Whether the last character of unpadded `text` leaves the bits it does not use zero, as
    /// the strict decoders require (`AB` is canonical for one byte, `AF` is not).
    #[cfg(feature = "simdutf")]
    fn canonical_end(text: &[u8], decoded: &[u8], alphabet: Alphabet) -> bool {
        const STANDARD: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const URL_SAFE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let table = match alphabet {
            Alphabet::Standard => STANDARD,
            Alphabet::UrlSafe => URL_SAFE,
        };
        let (Some(&last_char), Some(&last_byte)) = (text.last(), decoded.last()) else {
            return true;
        };
        let expected = match text.len() % 4 {
            2 => table[usize::from(last_byte & 0x03) << 4],
            3 => table[usize::from(last_byte & 0x0f) << 2],
            _ => return true,
        };
        last_char == expected
    }

    /// The decoded bytes, or `None` when `text` is not strict base64 in `alphabet`.
    #[cfg(not(feature = "simdutf"))]
    pub fn decode(text: &[u8], alphabet: Alphabet) -> Option<Vec<u8>> {
        decoded_len(text)?;
        let padded = text.len().is_multiple_of(4);
        let engine = match (alphabet, padded) {
            (Alphabet::Standard, true) => base64_simd::STANDARD,
            (Alphabet::Standard, false) => base64_simd::STANDARD_NO_PAD,
            (Alphabet::UrlSafe, true) => base64_simd::URL_SAFE,
            (Alphabet::UrlSafe, false) => base64_simd::URL_SAFE_NO_PAD,
        };
        engine.decode_to_vec(text).ok()
    }

    /// Appends the bytes of `text`, whole padding-free standard blocks (a length that is a
    /// multiple of four, no `=`), to `out`; false when it is not exactly that.
    #[cfg(feature = "simdutf")]
    pub fn decode_blocks_append(text: &[u8], out: &mut Vec<u8>) -> bool {
        use simdutf::{Base64Options, ErrorCode, LastChunkHandlingOptions};
        if !text.len().is_multiple_of(4) || text.last() == Some(&b'=') {
            return false;
        }
        let expected = text.len() / 4 * 3;
        out.reserve(expected);
        // SAFETY: `out` has room for `expected` more bytes, simdutf's maximal length for this
        // padding-free input; only the `result.count` bytes it wrote are exposed, after checking
        // that count is exactly `expected` (fewer means whitespace was skipped).
        unsafe {
            let result = simdutf::base64_to_binary(
                text.as_ptr(),
                text.len(),
                out.as_mut_ptr().add(out.len()),
                Base64Options::Default,
                LastChunkHandlingOptions::Strict,
            );
            if result.error != ErrorCode::Success || result.count != expected {
                return false;
            }
            out.set_len(out.len() + expected);
        }
        true
    }

    /// Appends the bytes of `text`, whole padding-free standard blocks, to `out`.
    #[cfg(not(feature = "simdutf"))]
    pub fn decode_blocks_append(text: &[u8], out: &mut Vec<u8>) -> bool {
        if !text.len().is_multiple_of(4) || text.last() == Some(&b'=') {
            return false;
        }
        base64_simd::STANDARD.decode_append(text, out).is_ok()
    }

    /// How many bytes `text` decodes to if it is valid: padding counted off, and never for a
    /// length that leaves one character over.
    fn decoded_len(text: &[u8]) -> Option<usize> {
        let len = text.len();
        if len % 4 == 1 {
            return None;
        }
        let padding = if len.is_multiple_of(4) {
            text.iter()
                .rev()
                .take(2)
                .take_while(|&&b| b == b'=')
                .count()
        } else {
            0
        };
        Some((len / 4) * 3 + (len % 4).saturating_sub(1) - padding)
    }

    /// Appends the standard, padded base64 of `bytes` to `out`.
    #[cfg(feature = "simdutf")]
    pub fn encode_append(bytes: &[u8], out: &mut Vec<u8>) {
        use simdutf::Base64Options;
        let len = simdutf::base64_length_from_binary(bytes.len(), Base64Options::Default);
        out.reserve(len);
        // SAFETY: `out` has room for `len` more bytes, which is exactly what simdutf writes for
        // this input and these options; `set_len` exposes only those bytes.
        unsafe {
            let written = simdutf::binary_to_base64(
                bytes.as_ptr(),
                bytes.len(),
                out.as_mut_ptr().add(out.len()),
                Base64Options::Default,
            );
            debug_assert_eq!(written, len);
            out.set_len(out.len() + written.min(len));
        }
    }

    /// Appends the standard, padded base64 of `bytes` to `out`.
    #[cfg(not(feature = "simdutf"))]
    pub fn encode_append(bytes: &[u8], out: &mut Vec<u8>) {
        base64_simd::STANDARD.encode_append(bytes, out);
    }
}

/// Explains why `text` failed to decode in either alphabet.
fn diagnose(text: &[u8]) -> String {
    let is_standard = |b: u8| b == b'+' || b == b'/';
    let is_url_safe = |b: u8| b == b'-' || b == b'_';
    if let Some(offset) = text.iter().position(|&b| {
        !(b.is_ascii_alphanumeric() || is_standard(b) || is_url_safe(b) || b == b'=')
    }) {
        let shown = match text[offset] {
            b if b.is_ascii_graphic() || b == b' ' => format!("'{}'", b as char),
            b => format!("byte 0x{b:02x}"),
        };
        return format!("unexpected character {shown} at offset {offset}");
    }
    let data_len = text.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    if let Some(offset) = text[..data_len].iter().position(|&b| b == b'=') {
        return format!("padding '=' at offset {offset} before the end");
    }
    let padding = text.len() - data_len;
    if padding > 2 || (padding > 0 && !text.len().is_multiple_of(4)) {
        return format!(
            "{padding} padding characters do not fit a length of {}",
            text.len()
        );
    }
    if data_len % 4 == 1 {
        return format!("length {data_len} is not a base64 length (one character is left over)");
    }
    if text.iter().any(|&b| is_standard(b)) && text.iter().any(|&b| is_url_safe(b)) {
        return "mixes the standard ('+', '/') and URL-safe ('-', '_') alphabets".to_string();
    }
    "the last character has bits set that the encoding leaves zero (non-canonical)".to_string()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn in_pieces(text: &[u8], cuts: &[usize]) -> Option<Bytes> {
        let mut stream = Base64Stream::default();
        let mut rest = text;
        for &cut in cuts.iter().cycle().take(text.len() + 1) {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at(cut.min(rest.len()));
            stream.feed(piece);
            rest = after;
        }
        stream.feed(rest);
        stream.finish().ok()
    }

    /// Told the size it will decode, a stream decodes every piece, the padded last block too,
    /// into the buffer it made first: nothing is copied as it grows.
    #[test]
    fn an_exact_expectation_is_never_outgrown() {
        for len in [8_000_000, 7_999_999, 7_999_998] {
            let image: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let text = Base64Bytes::from(image.clone()).encode().into_bytes();
            let mut stream = Base64Stream::default();
            stream.expect(len);
            let buffer = stream.out.as_ptr();
            for piece in text.chunks(16 * 1024) {
                if !stream.feed_inside(piece) {
                    assert!(stream.feed(piece));
                }
                assert_eq!(stream.out.as_ptr(), buffer, "moved for a {len}-byte image");
            }
            let decoded = stream.finish().expect("valid");
            assert_eq!(decoded.as_ptr(), buffer);
            assert!(decoded == image);
        }
    }

    proptest! {
        /// Decoding in pieces gives what decoding the whole standard text gives, valid or not.
        #[test]
        fn pieces_decode_as_the_whole(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![b'=', b' ', b'-', b'A', b'\n'])), 0..2),
            cuts in proptest::collection::vec(1usize..70, 1..8),
        ) {
            let mut text = Base64Bytes::from(bytes).encode().into_bytes();
            for (at, byte) in edits {
                if !text.is_empty() {
                    let at = at.index(text.len());
                    text[at] = byte;
                }
            }
            let whole = engine::decode(&text, Alphabet::Standard).map(Bytes::from);
            prop_assert_eq!(in_pieces(&text, &cuts), whole);
        }

        /// `feed_inside` takes a piece only when all of it is plain base64, and then decodes it
        /// as `feed` would: trying it first changes no answer (as the SSE and JSON-lines
        /// decoders do, falling back to the search path).
        #[test]
        fn a_piece_is_taken_inside_only_when_it_is_all_base64(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![b'=', b'"', b'\\', b'\n', b'\r', b' '])), 0..2),
            cuts in proptest::collection::vec(1usize..70, 1..8),
            room in 0usize..400,
        ) {
            let mut text = Base64Bytes::from(bytes).encode().into_bytes();
            for (at, byte) in edits {
                if !text.is_empty() {
                    let at = at.index(text.len());
                    text[at] = byte;
                }
            }
            let mut tried = Base64Stream::default();
            tried.expect(room);
            let mut rest = &text[..];
            for &cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, after) = rest.split_at(cut.min(rest.len()));
                if tried.feed_inside(piece) {
                    prop_assert!(piece.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'), "{:?}", piece);
                } else {
                    tried.feed(piece);
                }
                rest = after;
            }
            let whole = engine::decode(&text, Alphabet::Standard).map(Bytes::from);
            prop_assert_eq!(tried.finish().ok(), whole);
        }

        /// A stream gives back exactly the text it was fed before the piece that failed.
        #[test]
        fn the_text_fed_comes_back(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            edit in (any::<prop::sample::Index>(), prop::sample::select(vec![b'=', b' ', b'-', b'!'])),
            cuts in proptest::collection::vec(1usize..70, 1..8),
        ) {
            let mut text = Base64Bytes::from(bytes).encode().into_bytes();
            if !text.is_empty() {
                let at = edit.0.index(text.len());
                text[at] = edit.1;
            }
            let mut stream = Base64Stream::default();
            let mut fed = 0;
            for &cut in cuts.iter().cycle() {
                let piece = &text[fed..(fed + cut).min(text.len())];
                if piece.is_empty() || !stream.feed(piece) {
                    break;
                }
                fed += piece.len();
            }
            prop_assert_eq!(&stream.text()[..], &text[..fed]);
            match stream.finish() {
                Ok(decoded) => prop_assert_eq!(Some(decoded), engine::decode(&text, Alphabet::Standard).map(Bytes::from)),
                Err(stream) => prop_assert_eq!(&stream.text()[..], &text[..fed]),
            }
        }
    }
}
