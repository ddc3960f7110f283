//! The byte level of a JSON-lines file (a batch's results file), read while it downloads — and
//! of one JSON document (a unary answer's body) read the same way ([`JsonLinesDecoder::document`]).
//!
//! The file comes in pieces of any size; a line is one JSON value, often with a 4K image of
//! some 16 MB of base64 in it. The line is never gathered: once a piece has opened a base64
//! value (under `data` or `bytesBase64Encoded`, as [`crate::codec`] finds them), each next
//! piece is searched only for the closing quote and decoded straight into the image's own
//! buffer, and the piece is let go. What a line keeps is its small rest (structure, text,
//! usage), with a placeholder where each value was, parsed by serde at the line's end with the
//! decoded bytes spliced back in — as the codec and the SSE reader do.
//!
//! A value that cannot be decoded this way — a JSON escape in it (`\/` is legal), the URL-safe
//! alphabet, not base64 at all, a `data` string that is no image — gives the line back as it
//! arrived (the decoded part encoded again: a whole block of strict base64 has only one text),
//! read the ordinary way, with exactly serde_json's answer.

use std::collections::VecDeque;

use bytes::{Buf, Bytes};
use serde::de::DeserializeOwned;

use crate::base64_bytes::{Base64Stream, splice};
use crate::codec::{from_body, from_spliced, open_value_at_end, with_values_encoded};

/// How much of the line before a new piece is searched again with it, for a key cut in two
/// (the longest key, its colon and quote, with room to spare).
const KEY_WINDOW: usize = 48;

/// A line as [`JsonLinesDecoder`] hands it out.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// A line (without its newline).
    Json(JsonLine),
    /// A line longer than the decoder's bound: its bytes were dropped as they came.
    TooLong,
}

/// One line of JSON, its large base64 values already decoded. `Debug` shows sizes, never
/// megabytes of data.
#[derive(Clone, PartialEq)]
pub struct JsonLine {
    /// The line, with a placeholder (see `base64_bytes::splice`) where each decoded value was.
    text: Bytes,
    /// The values decoded as they arrived, and the nonce of their placeholders.
    values: Option<(u64, Vec<Bytes>)>,
}

impl JsonLine {
    /// The line read as `T`: with the values decoded on arrival put back in their places, or —
    /// when a value stood where `T` has no base64 field — from the line as it arrived. The same
    /// value either way, and what serde_json gives for the line.
    ///
    /// # Errors
    ///
    /// The JSON error when the line is not a `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        let Some((nonce, values)) = &self.values else {
            return from_body(&self.text);
        };
        if let Some(value) = from_spliced(&self.text, *nonce, values.clone()) {
            return Ok(value);
        }
        // Every placeholder is in the text: the decoder wrote them.
        let original = with_values_encoded(&self.text, *nonce, values).unwrap_or_default();
        from_body(&original)
    }

    /// Whether the line holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        self.values.is_none() && self.text.trim_ascii().is_empty()
    }
}

impl std::fmt::Debug for JsonLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values = self.values.as_ref().map_or(&[][..], |(_, v)| v);
        f.debug_struct("JsonLine")
            .field("text_bytes", &self.text.len())
            .field(
                "value_bytes",
                &values.iter().map(Bytes::len).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Cuts a JSON-lines file given in pieces into [`Line`]s, decoding large base64 values as they
/// arrive; a line longer than the bound is [`Line::TooLong`] (its bytes skipped), not a buffer
/// without end.
///
/// ```
/// use std::collections::VecDeque;
/// use gemini_image_types::json_lines::{JsonLinesDecoder, Line};
/// use gemini_image_types::types::Blob;
///
/// let image = vec![7u8; 100_000];
/// let data = gemini_image_types::Base64Bytes::from(image.clone()).encode();
/// let file = format!("{{\"mimeType\":\"image/png\",\"data\":\"{data}\"}}\n");
/// let mut decoder = JsonLinesDecoder::new(1 << 20);
/// let mut lines = VecDeque::new();
/// for piece in file.as_bytes().chunks(16 * 1024) {
///     decoder.push(bytes::Bytes::copy_from_slice(piece), &mut lines);
/// }
/// decoder.finish(&mut lines);
/// let Some(Line::Json(line)) = lines.pop_front() else { panic!("one line") };
/// let blob: Blob = line.parse()?;
/// assert_eq!(blob.data.as_deref(), Some(&image[..]));
/// assert!(lines.is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct JsonLinesDecoder {
    max: usize,
    /// The current line so far, with a placeholder where each value decoded on arrival was
    /// (the line itself once it gave up decoding on arrival).
    text: Vec<u8>,
    values: Vec<Bytes>,
    nonce: u64,
    /// The bytes of the current line read so far, its values counted as they arrived.
    length: usize,
    /// A base64 value of the current line, being decoded as it arrives.
    arriving: Option<Base64Stream>,
    /// The current line gave up decoding on arrival: `text` is the line as it arrived.
    plain: bool,
    /// Inside a line that was too long: drop until its newline.
    skipping: bool,
    /// The largest value decoded so far: the room a new value gets. The images of one file are
    /// mostly of one size, and a buffer that grows as it fills copies itself; one that was too
    /// large is shrunk at its end.
    largest_value: usize,
    /// Whether a newline ends a line; not in [`JsonLinesDecoder::document`], where the input is
    /// one value and newlines are whitespace between its tokens.
    split_lines: bool,
}

impl std::fmt::Debug for JsonLinesDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLinesDecoder")
            .field("max", &self.max)
            .field("line_bytes", &self.length)
            .field("arriving", &self.arriving.is_some())
            .finish_non_exhaustive()
    }
}

impl JsonLinesDecoder {
    /// A decoder for lines of at most `max` bytes (newline not counted).
    pub fn new(max: usize) -> Self {
        Self {
            max,
            text: Vec::new(),
            values: Vec::new(),
            nonce: 0,
            length: 0,
            arriving: None,
            plain: false,
            skipping: false,
            largest_value: 0,
            split_lines: true,
        }
    }

    /// A decoder for one JSON document of at most `max` bytes given in pieces — a unary
    /// answer's body as it comes off the network: its large base64 values are decoded from the
    /// pieces as they arrive, and the document is never gathered whole. [`Self::finish`] hands
    /// it out as one [`Line`] (none for an empty input); newlines inside it are whitespace.
    ///
    /// `expected_value` is the room the first large value gets at once (a body's length tells
    /// it: an image is about three quarters of its base64); 0 lets it grow.
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use gemini_image_types::json_lines::{JsonLinesDecoder, Line};
    /// use gemini_image_types::types::Blob;
    ///
    /// let image = vec![7u8; 100_000];
    /// let data = gemini_image_types::Base64Bytes::from(image.clone()).encode();
    /// let body = format!("{{\n  \"mimeType\": \"image/png\",\n  \"data\": \"{data}\"\n}}\n");
    /// let mut decoder = JsonLinesDecoder::document(1 << 20, body.len() / 4 * 3);
    /// let mut out = VecDeque::new();
    /// for piece in body.as_bytes().chunks(16 * 1024) {
    ///     decoder.push(bytes::Bytes::copy_from_slice(piece), &mut out);
    /// }
    /// decoder.finish(&mut out);
    /// let Some(Line::Json(document)) = out.pop_front() else { panic!("one document") };
    /// let blob: Blob = document.parse()?;
    /// assert_eq!(blob.data.as_deref(), Some(&image[..]));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn document(max: usize, expected_value: usize) -> Self {
        Self {
            split_lines: false,
            largest_value: expected_value.min(max),
            ..Self::new(max)
        }
    }

    /// The bound on a line, in bytes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes the next piece; the lines it completes go to `out`.
    pub fn push(&mut self, mut piece: Bytes, out: &mut VecDeque<Line>) {
        while !piece.is_empty() {
            if self.skipping {
                let Some(at) = memchr::memchr(b'\n', &piece).filter(|_| self.split_lines) else {
                    return;
                };
                piece.advance(at + 1);
                self.skipping = false;
                continue;
            }
            if self.arriving.is_some() {
                self.value_piece(&mut piece, out);
                continue;
            }
            let newline = memchr::memchr(b'\n', &piece).filter(|_| self.split_lines);
            match newline {
                Some(at) => {
                    let inside_one_piece = self.length == 0;
                    if !self.grow(at, out) {
                        continue;
                    }
                    let line = piece.split_to(at);
                    piece.advance(1);
                    if inside_one_piece {
                        // A slice of the piece, no copy.
                        self.length = 0;
                        out.push_back(Line::Json(JsonLine {
                            text: line,
                            values: None,
                        }));
                        continue;
                    }
                    self.text.extend_from_slice(&line);
                    out.push_back(self.take_line());
                }
                None => {
                    if !self.grow(piece.len(), out) {
                        continue;
                    }
                    let searched_from = self.text.len().saturating_sub(KEY_WINDOW);
                    self.text.extend_from_slice(&piece);
                    piece.clear();
                    self.maybe_start_arriving(searched_from);
                }
            }
        }
    }

    /// The end of the input: a last line without its newline goes to `out` (a line cut inside
    /// a value as it arrived, which will not parse).
    pub fn finish(&mut self, out: &mut VecDeque<Line>) {
        self.give_up_arriving(&[]);
        if !self.skipping && self.length > 0 {
            out.push_back(self.take_line());
        }
        self.reset();
    }

    /// Counts `n` more bytes of the current line; false (the line dropped, [`Line::TooLong`]
    /// in `out`, its rest to be skipped) when that passes the bound.
    fn grow(&mut self, n: usize, out: &mut VecDeque<Line>) -> bool {
        if self.length + n <= self.max {
            self.length += n;
            return true;
        }
        self.reset();
        self.skipping = true;
        out.push_back(Line::TooLong);
        false
    }

    /// When the text just added opened a base64 value, decodes it from here on as it arrives.
    fn maybe_start_arriving(&mut self, searched_from: usize) {
        if self.plain {
            return;
        }
        let Some(start) = open_value_at_end(&self.text[searched_from..]) else {
            return;
        };
        let start = searched_from + start;
        let mut stream = Base64Stream::default();
        if !stream.feed(&self.text[start..]) {
            // Not for decoding on arrival: the line is read the ordinary way.
            self.plain = true;
            return;
        }
        self.text.truncate(start);
        self.arriving = Some(stream);
    }

    /// Feeds the start of `piece` that belongs to the arriving value, up to its closing quote.
    fn value_piece(&mut self, piece: &mut Bytes, out: &mut VecDeque<Line>) {
        // Most pieces lie wholly inside the value: decoded at once, with no search first.
        if self.length + piece.len() <= self.max
            && let Some(stream) = &mut self.arriving
        {
            stream.expect(self.largest_value);
            if stream.feed_inside(piece) {
                self.length += piece.len();
                piece.clear();
                return;
            }
        }
        // Base64 has no quote, backslash or newline: the first of them ends it here (a newline
        // ends the line, whatever JSON says of it).
        let length = memchr::memchr3(b'"', b'\\', b'\n', piece).unwrap_or(piece.len());
        if !self.grow(length, out) {
            return;
        }
        let value = piece.split_to(length);
        let Some(stream) = &mut self.arriving else {
            return;
        };
        // Room for the value, as large as the largest before, once it goes on past the piece
        // that opened it — not in that piece, which may also hold the line before, not handed
        // out yet: its image and this one's room would be held together.
        stream.expect(self.largest_value);
        if !stream.feed(&value) {
            // Not strict standard base64: the URL-safe alphabet, or not base64 at all.
            self.give_up_arriving(&value);
            return;
        }
        match piece.first() {
            // The value goes on in the next piece.
            None => {}
            Some(b'"') => self.value_arrived(),
            // An escape (legal JSON, not for decoding on arrival), or the line's end.
            Some(_) => self.give_up_arriving(&[]),
        }
    }

    /// The value's closing quote came: it joins the line decoded.
    fn value_arrived(&mut self) {
        let Some(stream) = self.arriving.take() else {
            return;
        };
        match stream.finish() {
            Ok(decoded) => {
                if self.values.is_empty() {
                    self.nonce = fastrand::u64(..);
                }
                let placeholder = splice::placeholder(self.values.len(), self.nonce);
                self.text.extend_from_slice(placeholder.as_bytes());
                self.largest_value = self.largest_value.max(decoded.len());
                self.values.push(decoded);
            }
            Err(stream) => {
                self.arriving = Some(stream);
                self.give_up_arriving(&[]);
            }
        }
    }

    /// The arriving value cannot be decoded on arrival: the line so far becomes text again —
    /// the value's text fed until now, then `rest` (its text not fed) — read the ordinary way.
    fn give_up_arriving(&mut self, rest: &[u8]) {
        let Some(stream) = self.arriving.take() else {
            return;
        };
        if let Some(original) = self.original_text() {
            self.text = original;
        }
        self.text.extend_from_slice(&stream.text());
        self.text.extend_from_slice(rest);
        self.values.clear();
        self.plain = true;
    }

    /// The line so far as it arrived, when values were decoded from it.
    fn original_text(&self) -> Option<Vec<u8>> {
        if self.values.is_empty() {
            return None;
        }
        with_values_encoded(&self.text, self.nonce, &self.values)
    }

    fn take_line(&mut self) -> Line {
        let text = Bytes::from(std::mem::take(&mut self.text));
        let values = std::mem::take(&mut self.values);
        let values = (!values.is_empty()).then_some((self.nonce, values));
        self.reset();
        Line::Json(JsonLine { text, values })
    }

    fn reset(&mut self) {
        self.text.clear();
        self.values.clear();
        self.length = 0;
        self.arriving = None;
        self.plain = false;
        self.skipping = false;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Base64Bytes;

    fn lines(pieces: &[&[u8]], max: usize) -> Vec<Line> {
        let mut decoder = JsonLinesDecoder::new(max);
        let mut out = VecDeque::new();
        for piece in pieces {
            decoder.push(Bytes::copy_from_slice(piece), &mut out);
        }
        decoder.finish(&mut out);
        out.into()
    }

    fn text(line: &Line) -> &[u8] {
        match line {
            Line::Json(line) => &line.text,
            Line::TooLong => b"(too long)",
        }
    }

    #[test]
    fn a_line_over_the_bound_is_dropped_and_the_next_lines_are_read() {
        let got = lines(&[b"short\nway too long", b" still going", b"\nok\n"], 10);
        let got: Vec<&[u8]> = got.iter().map(text).collect();
        assert_eq!(got, [&b"short"[..], b"(too long)", b"ok"]);
        // Over the bound inside one piece, newline included.
        let got = lines(&[b"0123456789ABC\nok"], 10);
        assert_eq!(
            got.iter().map(text).collect::<Vec<_>>(),
            [&b"(too long)"[..], b"ok"]
        );
    }

    #[test]
    fn a_line_inside_one_piece_is_not_copied() {
        let piece = Bytes::from_static(b"first\nsecond\n");
        let mut decoder = JsonLinesDecoder::new(100);
        let mut out = VecDeque::new();
        decoder.push(piece.clone(), &mut out);
        let Some(Line::Json(first)) = out.pop_front() else {
            panic!("a line")
        };
        assert_eq!(first.text.as_ptr(), piece.as_ptr());
    }

    /// A line with two images under both keys, and other JSON around them.
    fn two_images(a: &[u8], b: &[u8]) -> String {
        format!(
            r#"{{"x":{{"data":"{}"}},"t":"a \"data\":\"QUJD\" in text","y":[{{"bytesBase64Encoded":"{}"}}]}}"#,
            Base64Bytes::from(a.to_vec()).encode(),
            Base64Bytes::from(b.to_vec()).encode()
        )
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Two {
        x: X,
        t: String,
        y: Vec<Y>,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct X {
        data: Base64Bytes,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Y {
        bytes_base64_encoded: Base64Bytes,
    }

    #[test]
    fn the_images_are_decoded_on_arrival_and_the_pieces_let_go() {
        let a: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let b: Vec<u8> = (0..70_001u32).map(|i| (i % 241) as u8).collect();
        let line = two_images(&a, &b);
        let pieces: Vec<&[u8]> = line.as_bytes().chunks(1000).collect();
        let got = lines(&pieces, 1 << 20);
        let [Line::Json(json)] = &got[..] else {
            panic!("{got:?}")
        };
        // Only the small rest of the line was kept.
        assert!(json.text.len() < 200, "{}", json.text.len());
        let (_, values) = json.values.as_ref().expect("values decoded on arrival");
        assert_eq!(values.len(), 2);
        let two: Two = json.parse().unwrap();
        assert_eq!(two, serde_json::from_str::<Two>(&line).unwrap());
        assert_eq!(&two.x.data[..], &a[..]);
        assert_eq!(&two.y[0].bytes_base64_encoded[..], &b[..]);
    }

    /// `bytes` in pieces of the lengths `cuts` gives, over and over until it is used up.
    fn cut<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        let mut rest = bytes;
        for &cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at(cut.min(rest.len()));
            pieces.push(piece);
            rest = after;
        }
        pieces
    }

    fn document(pieces: &[&[u8]], max: usize) -> Vec<Line> {
        let mut decoder = JsonLinesDecoder::document(max, 0);
        let mut out = VecDeque::new();
        for piece in pieces {
            decoder.push(Bytes::copy_from_slice(piece), &mut out);
        }
        decoder.finish(&mut out);
        out.into()
    }

    /// `two_images`, pretty-printed as Google writes a unary answer: newlines between tokens.
    fn pretty_two_images(a: &[u8], b: &[u8]) -> Vec<u8> {
        let value: serde_json::Value = serde_json::from_str(&two_images(a, b)).unwrap();
        serde_json::to_vec_pretty(&value).unwrap()
    }

    #[test]
    fn a_document_over_many_lines_is_one_value_its_images_decoded_on_arrival() {
        let a: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let b: Vec<u8> = (0..70_001u32).map(|i| (i % 241) as u8).collect();
        let body = pretty_two_images(&a, &b);
        assert!(body.iter().filter(|b| **b == b'\n').count() > 5);
        let pieces: Vec<&[u8]> = body.chunks(1000).collect();
        let got = document(&pieces, 1 << 20);
        let [Line::Json(json)] = &got[..] else {
            panic!("{got:?}")
        };
        assert!(json.text.len() < 300, "{}", json.text.len());
        assert_eq!(json.values.as_ref().map(|(_, v)| v.len()), Some(2));
        let two: Two = json.parse().unwrap();
        assert_eq!(two, serde_json::from_slice::<Two>(&body).unwrap());
    }

    #[test]
    fn a_document_over_the_bound_is_too_long_and_nothing_after_it_is_read() {
        let got = document(&[b"{\n \"a\": 1,\n", b" \"b\": 2\n}\n"], 12);
        assert_eq!(got, [Line::TooLong]);
        assert!(document(&[b"", b""], 12).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Cut anywhere, with any character of an image changed (an escape, another alphabet,
        /// no base64, the line's end), a line reads as serde_json reads it.
        #[test]
        fn any_cutting_and_any_damage_read_as_serde_json_reads(
            edit in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![b'\\', b'-', b'!', b'"', b'=', b'\n']))),
            cuts in proptest::collection::vec(1usize..3000, 1..6),
        ) {
            let a: Vec<u8> = (0..5_000u32).map(|i| (i * 3 % 256) as u8).collect();
            let b: Vec<u8> = (0..4_000u32).map(|i| (i * 5 % 256) as u8).collect();
            let mut line = two_images(&a, &b).into_bytes();
            if let Some((at, byte)) = edit {
                let at = at.index(line.len());
                line[at] = byte;
                if byte == b'\\' && at + 1 < line.len() && line[at + 1].is_ascii_alphanumeric() {
                    // `\/`: a legal escape.
                    line[at + 1] = b'/';
                }
            }
            let pieces = cut(&line, &cuts);
            let got = lines(&pieces, 1 << 20);
            let expected: Vec<Option<Two>> = line
                .split(|b| *b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .map(|l| serde_json::from_slice(l).ok())
                .collect();
            let got: Vec<Option<Two>> = got
                .iter()
                .filter_map(|l| match l {
                    Line::Json(json) if json.is_blank() => None,
                    Line::Json(json) => Some(json.parse().ok()),
                    Line::TooLong => Some(None),
                })
                .collect();
            prop_assert_eq!(got, expected);
        }

        /// A pretty-printed document cut anywhere, with any character changed, reads as
        /// serde_json reads it whole.
        #[test]
        fn a_document_cut_anywhere_reads_as_serde_json_reads_it(
            edit in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![b'\\', b'-', b'!', b'"', b'=', b'\n', b'}']))),
            cuts in proptest::collection::vec(1usize..3000, 1..6),
        ) {
            let a: Vec<u8> = (0..5_000u32).map(|i| (i * 3 % 256) as u8).collect();
            let b: Vec<u8> = (0..4_000u32).map(|i| (i * 5 % 256) as u8).collect();
            let mut body = pretty_two_images(&a, &b);
            if let Some((at, byte)) = edit {
                let at = at.index(body.len());
                body[at] = byte;
            }
            let pieces = cut(&body, &cuts);
            let got = document(&pieces, 1 << 20);
            let [Line::Json(json)] = &got[..] else {
                return Err(TestCaseError::fail(format!("{got:?}")));
            };
            let got: Result<Two, String> = json.parse().map_err(|e| e.to_string());
            let expected: Result<Two, String> = serde_json::from_slice(&body).map_err(|e| e.to_string());
            prop_assert_eq!(got, expected);
        }
    }
}
