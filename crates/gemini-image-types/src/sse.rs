//! The byte level of a `streamGenerateContent?alt=sse` body: lines, events, and the raw JSON
//! error object Google writes into a 200 stream when generation fails half-way.
//!
//! The decoder is fed the body as it arrives, in chunks of any size: an event may be split
//! across many reads (a whole image is one multi-megabyte `data:` line), and one read may hold
//! many events. Lines are kept as the chunks they arrived in (no copy while they grow), and an
//! image's base64 is decoded as it comes off the network: once a line has opened a large base64
//! value, each new chunk is searched only for the closing quote and decoded straight into the
//! image's own buffer, and the chunk is let go — the megabytes are read once, never copied into
//! a line buffer, and never held twice. When the shortcut does not apply after all (an escape,
//! the URL-safe alphabet), the text is given back by encoding the decoded part again: a whole
//! block of strict base64 has only one text.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};
use serde::de::DeserializeOwned;

use crate::base64_bytes::{Base64Stream, splice};
use crate::codec::{open_value_at_end, with_values_encoded};

/// What the stream carried.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The data of one event (its `data:` lines, joined by `\n`).
    Data(Payload),
    /// A JSON value written outside any event: Google's `{"error": …}` in the middle of a stream.
    Raw(Bytes),
    /// Data still open when the body ended: no blank line closed it.
    Unterminated(Payload),
    /// Text outside any event that is no JSON value.
    Garbage(Bytes),
}

/// The data of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// The data, with a placeholder (see `base64_bytes::splice`) where each decoded value was.
    pub(crate) text: Bytes,
    /// The values decoded as they arrived, if any.
    pub(crate) spliced: Option<SplicedValues>,
}

/// Values decoded on arrival, and the nonce of their placeholders.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SplicedValues {
    pub nonce: u64,
    pub values: Vec<Bytes>,
}

impl Payload {
    fn plain(text: Bytes) -> Self {
        Payload {
            text,
            spliced: None,
        }
    }

    /// The data read as `T`: from the values decoded on arrival when there are some, else (or
    /// when that does not apply) from its text — the same value either way.
    ///
    /// # Errors
    ///
    /// The JSON error when the data is not a `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        if let Some(spliced) = &self.spliced
            && let Some(value) =
                crate::codec::from_spliced(&self.text, spliced.nonce, spliced.values.clone())
        {
            return Ok(value);
        }
        crate::codec::from_body(&self.original())
    }

    /// The data, with a short placeholder where each value decoded on arrival was: enough to see
    /// what the event is (an error object, an empty event) without a copy of its megabytes.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The data as it arrived, in one piece: for a spliced payload, its text with each value
    /// encoded again (a copy, for the rare reader the shortcut does not serve).
    pub fn original(&self) -> Bytes {
        match &self.spliced {
            None => self.text.clone(),
            // Every placeholder is in the text: the decoder wrote them.
            Some(spliced) => with_values_encoded(&self.text, spliced.nonce, &spliced.values)
                .map(Bytes::from)
                .unwrap_or_else(|| self.text.clone()),
        }
    }

    /// Drops the first `n` bytes (a `data:` prefix, which no value is part of).
    fn advance(&mut self, n: usize) {
        self.text.advance(n);
    }
}

fn concat(pieces: &[Bytes]) -> Bytes {
    match pieces {
        [one] => one.clone(),
        _ => {
            let mut joined = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
            for piece in pieces {
                joined.extend_from_slice(piece);
            }
            joined.freeze()
        }
    }
}

/// A piece of the current line.
#[derive(Debug)]
enum Piece {
    Text(Bytes),
    /// A base64 value decoded as it arrived.
    Value(Bytes),
}

/// Splits an SSE body into [`Event`]s. Lines end with `\r\n`, `\n` or `\r`, as the SSE
/// specification allows; a blank line ends an event.
///
/// ```
/// use std::collections::VecDeque;
/// use gemini_image_types::sse::{Event, SseDecoder};
/// use gemini_image_types::types::GenerateContentResponse;
///
/// let mut decoder = SseDecoder::default();
/// let mut events = VecDeque::new();
/// decoder.push("data: {\"responseId\": \"r1\"}\r".into(), &mut events);
/// decoder.push("\n\r\n".into(), &mut events);
/// decoder.finish(&mut events);
/// let Some(Event::Data(data)) = events.pop_front() else { panic!("one event") };
/// let response: GenerateContentResponse = data.parse()?;
/// assert_eq!(response.response_id.as_deref(), Some("r1"));
/// assert!(events.is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// The current line, as it arrived.
    line: Vec<Piece>,
    /// A large base64 value of the current line, being decoded as it arrives.
    arriving: Option<Base64Stream>,
    /// The largest value decoded so far: the room a new value gets once it goes on past the
    /// chunk that opened it (the images of one stream are mostly of one size, and a buffer that
    /// grows as it fills copies itself; one that was too large is shrunk at its end).
    largest_value: usize,
    /// The size of the image the reader expects (the last one its client decoded from a
    /// stream): the room a value gets, like `largest_value`, before this stream decoded any.
    expected_value: usize,
    /// The current line gave up decoding on arrival (a value with escapes, or not base64).
    plain_line: bool,
    /// The last line ended with a `\r` that was the last byte read: a `\n` first in the next
    /// read belongs to it.
    after_cr: bool,
    data: Option<Payload>,
    raw: RawJson,
}

impl SseDecoder {
    /// A decoder that makes room for a value of `expected_value` bytes at once, once one goes
    /// on past the read that opened it (a buffer grown as the base64 arrives copies itself at
    /// each step; one made too large is shrunk in place when the value ends).
    ///
    /// ```
    /// use gemini_image_types::sse::SseDecoder;
    ///
    /// let decoder = SseDecoder::expecting(8 << 20);
    /// assert_eq!(decoder.largest_value(), 0);
    /// ```
    pub fn expecting(expected_value: usize) -> Self {
        Self {
            expected_value,
            ..Self::default()
        }
    }

    /// The largest value this decoder decoded as it arrived, in bytes (0 when none).
    pub fn largest_value(&self) -> usize {
        self.largest_value
    }

    /// Feeds one read of the body; complete events are pushed to `out`.
    pub fn push(&mut self, chunk: Bytes, out: &mut VecDeque<Event>) {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest.advance(1);
            }
        }
        while !rest.is_empty() {
            if let Some(arriving) = &mut self.arriving {
                arriving.expect(self.largest_value.max(self.expected_value));
                if arriving.feed_inside(&rest) {
                    break;
                }
                let stop = value_stop(&rest);
                let value = rest.split_to(stop.unwrap_or(rest.len()));
                if !arriving.feed(&value) {
                    // Not strict standard base64: the URL-safe alphabet, or not base64 at all.
                    self.give_up_arriving(value);
                    continue;
                }
                match stop {
                    // The value goes on in the next read.
                    None => {}
                    Some(_) if rest[0] == b'"' => self.value_arrived(),
                    // An escape, or the line ended inside the string: what has come so far
                    // becomes text, and the rest is read as lines, as if it had come in one read.
                    Some(_) => self.give_up_arriving(Bytes::new()),
                }
                continue;
            }
            match memchr::memchr2(b'\n', b'\r', &rest) {
                Some(end) => {
                    let terminator = match (rest[end], rest.get(end + 1)) {
                        (b'\r', Some(b'\n')) => 2,
                        (b'\r', None) => {
                            self.after_cr = true;
                            1
                        }
                        _ => 1,
                    };
                    let text = rest.split_to(end);
                    rest.advance(terminator);
                    if !text.is_empty() {
                        self.line.push(Piece::Text(text));
                    }
                    self.end_line(out);
                }
                None => {
                    self.line.push(Piece::Text(std::mem::take(&mut rest)));
                    self.maybe_start_arriving();
                }
            }
        }
    }

    /// The body ended: whatever is still open is pushed to `out`.
    pub fn finish(&mut self, out: &mut VecDeque<Event>) {
        self.give_up_arriving(Bytes::new());
        if !self.line.is_empty() {
            self.end_line(out);
        }
        if let Some(data) = self.data.take() {
            out.push_back(Event::Unterminated(data));
        }
        if let Some(text) = self.raw.take() {
            out.push_back(Event::Garbage(text));
        }
    }

    /// When the piece just added opened a large base64 value in a `data:` line, decodes it
    /// from here on as it arrives.
    fn maybe_start_arriving(&mut self) {
        if self.plain_line || self.arriving.is_some() || !self.line_starts_with(b"data:") {
            return;
        }
        let Some(Piece::Text(last)) = self.line.last() else {
            return;
        };
        // The end of the line before this piece, in case the key was cut in two.
        let mut before = Vec::new();
        for piece in self.line.iter().rev().skip(1) {
            let Piece::Text(text) = piece else { break };
            let take = (48 - before.len()).min(text.len());
            before.splice(0..0, text[text.len() - take..].iter().copied());
            if before.len() >= 48 {
                break;
            }
        }
        let mut window = before.clone();
        window.extend_from_slice(last);
        let Some(start) = open_value_at_end(&window).filter(|&s| s >= before.len()) else {
            return;
        };
        let split = start - before.len();
        let Some(Piece::Text(mut last)) = self.line.pop() else {
            return;
        };
        let content = last.split_off(split);
        if !last.is_empty() {
            self.line.push(Piece::Text(last));
        }
        let mut stream = Base64Stream::default();
        if !stream.feed(&content) {
            // Not for decoding on arrival: the line is read the ordinary way.
            self.line.push(Piece::Text(content));
            self.plain_line = true;
            return;
        }
        self.arriving = Some(stream);
    }

    fn line_starts_with(&self, prefix: &[u8]) -> bool {
        let mut start = Vec::with_capacity(prefix.len());
        for piece in &self.line {
            let Piece::Text(text) = piece else { break };
            let take = (prefix.len() - start.len()).min(text.len());
            start.extend_from_slice(&text[..take]);
            if start.len() == prefix.len() {
                break;
            }
        }
        start == prefix
    }

    /// The value's closing quote came: it joins the line decoded.
    fn value_arrived(&mut self) {
        let Some(stream) = self.arriving.take() else {
            return;
        };
        match stream.finish() {
            Ok(decoded) => {
                self.largest_value = self.largest_value.max(decoded.len());
                self.line.push(Piece::Value(decoded));
            }
            Err(stream) => {
                self.arriving = Some(stream);
                self.give_up_arriving(Bytes::new());
            }
        }
    }

    /// The value cannot be decoded on arrival: its text so far — what was fed, then `rest`,
    /// not fed — stays text, and the line is read the ordinary way.
    fn give_up_arriving(&mut self, rest: Bytes) {
        let Some(stream) = self.arriving.take() else {
            return;
        };
        self.line.push(Piece::Text(Bytes::from(stream.text())));
        if !rest.is_empty() {
            self.line.push(Piece::Text(rest));
        }
        self.plain_line = true;
    }

    fn end_line(&mut self, out: &mut VecDeque<Event>) {
        self.plain_line = false;
        let pieces = std::mem::take(&mut self.line);
        let payload = if pieces.iter().all(|p| matches!(p, Piece::Text(_))) {
            let texts: Vec<Bytes> = pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Text(text) => Some(text),
                    Piece::Value(_) => None,
                })
                .collect();
            Payload::plain(concat(&texts))
        } else {
            let nonce = fastrand::u64(..);
            let mut text = BytesMut::new();
            let mut values = Vec::new();
            for piece in pieces {
                match piece {
                    Piece::Text(piece) => text.extend_from_slice(&piece),
                    Piece::Value(decoded) => {
                        text.extend_from_slice(splice::placeholder(values.len(), nonce).as_bytes());
                        values.push(decoded);
                    }
                }
            }
            Payload {
                text: text.freeze(),
                spliced: Some(SplicedValues { nonce, values }),
            }
        };
        self.line(payload, out);
    }

    fn line(&mut self, mut line: Payload, out: &mut VecDeque<Event>) {
        if self.raw.is_open() {
            out.extend(self.raw.push(&line.original()));
            return;
        }
        if line.text.is_empty() {
            if let Some(data) = self.data.take() {
                out.push_back(Event::Data(data));
            }
            return;
        }
        let (field, value_at) = match memchr::memchr(b':', &line.text) {
            Some(colon) => {
                let skip = usize::from(line.text.get(colon + 1) == Some(&b' '));
                (&line.text[..colon], colon + 1 + skip)
            }
            None => (&line.text[..], line.text.len()),
        };
        match field {
            b"data" => {
                line.advance(value_at);
                self.data = Some(match self.data.take() {
                    None => line,
                    Some(earlier) => {
                        // Several data lines (which Gemini never sends): joined as plain text.
                        let earlier = earlier.original();
                        let later = line.original();
                        let mut joined = BytesMut::with_capacity(earlier.len() + 1 + later.len());
                        joined.extend_from_slice(&earlier);
                        joined.extend_from_slice(b"\n");
                        joined.extend_from_slice(&later);
                        Payload::plain(joined.freeze())
                    }
                });
            }
            // A comment, or a field Gemini does not use.
            b"" | b"event" | b"id" | b"retry" => {}
            _ => out.extend(self.raw.push(&line.original())),
        }
    }
}

/// Where a base64 value still arriving stops in `chunk`: at its closing quote, or at a byte no
/// base64 value holds that ends the fast path — a backslash (an escape) or a line end (a line
/// never continues past it, so the value must not swallow it: the events would then depend on
/// where the network split the body).
fn value_stop(chunk: &[u8]) -> Option<usize> {
    let first = memchr::memchr3(b'"', b'\\', b'\n', chunk);
    let searched = first.unwrap_or(chunk.len());
    memchr::memchr(b'\r', &chunk[..searched]).or(first)
}

/// Lines outside any event, gathered until their braces balance (Google pretty-prints the error
/// object over many lines).
#[derive(Debug, Default)]
struct RawJson {
    text: BytesMut,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl RawJson {
    fn is_open(&self) -> bool {
        !self.text.is_empty()
    }

    /// Adds a line; returns the whole value once its outermost brace closes, or the line itself
    /// when it is no JSON at all.
    fn push(&mut self, line: &[u8]) -> Option<Event> {
        let mut opened = !self.text.is_empty() && self.depth > 0;
        for &byte in line {
            if self.in_string {
                match (self.escaped, byte) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    opened = true;
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        if !opened {
            self.in_string = false;
            return Some(Event::Garbage(Bytes::copy_from_slice(line)));
        }
        self.text.extend_from_slice(line);
        self.text.extend_from_slice(b"\n");
        if self.depth == 0 {
            self.in_string = false;
            self.escaped = false;
            return Some(Event::Raw(self.text.split().freeze()));
        }
        None
    }

    fn take(&mut self) -> Option<Bytes> {
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        (!self.text.is_empty()).then(|| self.text.split().freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<Event> {
        let mut decoder = SseDecoder::default();
        let mut out = VecDeque::new();
        for chunk in chunks {
            decoder.push(Bytes::copy_from_slice(chunk), &mut out);
        }
        decoder.finish(&mut out);
        out.into()
    }

    fn data(text: &str) -> Event {
        Event::Data(Payload::plain(Bytes::copy_from_slice(text.as_bytes())))
    }

    #[test]
    fn every_line_ending_the_specification_allows() {
        let expected = vec![data("{\"a\":1}"), data("{\"b\":2}")];
        for body in [
            "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n",
            "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n",
            "data: {\"a\":1}\r\rdata: {\"b\":2}\r\r",
            "data:{\"a\":1}\n\ndata:{\"b\":2}\n\n",
        ] {
            assert_eq!(decode(&[body.as_bytes()]), expected, "{body:?}");
            // Split at every byte, including between the \r and the \n of one line end.
            let bytes = body.as_bytes();
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(decode(&singles), expected, "{body:?} byte by byte");
        }
    }

    /// An event as the reader of the stream sees it: its kind and the bytes that arrived.
    fn arrived(events: &[Event]) -> Vec<(&'static str, Bytes)> {
        events
            .iter()
            .map(|event| match event {
                Event::Data(data) => ("data", data.original()),
                Event::Unterminated(data) => ("unterminated", data.original()),
                Event::Raw(raw) => ("raw", raw.clone()),
                Event::Garbage(text) => ("garbage", text.clone()),
            })
            .collect()
    }

    #[test]
    fn a_line_end_inside_a_base64_value_ends_the_line_whatever_the_split() {
        // The fuzz reproducer, and the same with the event closed: byte by byte, the value
        // opened by `"data":"` used to swallow the line ends, so the event was read as left
        // open (an incomplete stream) where the whole body gives an event (a decode error).
        for body in [
            &b"data:\"data\":\"\n"[..],
            b"data:\"data\":\"\n\n",
            b"data:\"data\":\"QUJD\r\n\r\ndata: {}\n\n",
            b"data:\"data\":\"QU\rJD\"\r\r",
        ] {
            let whole = decode(&[body]);
            let singles: Vec<&[u8]> = body.chunks(1).collect();
            assert_eq!(arrived(&decode(&singles)), arrived(&whole), "{body:?}");
        }
        assert_eq!(
            arrived(&decode(&[b"data:\"data\":\"\n\n"])),
            vec![("data", Bytes::from_static(b"\"data\":\""))]
        );
    }

    #[test]
    fn comments_and_unused_fields_are_skipped_and_data_lines_join() {
        let body = b": keep-alive\nevent: message\nid: 7\nretry: 10\ndata: {\"a\":\ndata: 1}\n\n";
        assert_eq!(decode(&[body]), vec![data("{\"a\":\n1}")]);
    }

    #[test]
    fn a_raw_error_object_between_events_is_one_value() {
        let body = "data: {\"a\":1}\r\n\r\n{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"a } in {text\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n";
        let events = decode(&[body.as_bytes()]);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], data("{\"a\":1}"));
        let Event::Raw(raw) = &events[1] else {
            panic!("{events:?}")
        };
        let value: serde_json::Value = serde_json::from_slice(raw).unwrap();
        assert_eq!(value["error"]["code"], 503);
        assert_eq!(value["error"]["message"], "a } in {text");
    }

    #[test]
    fn what_the_body_leaves_open_is_reported() {
        assert_eq!(
            decode(&[b"data: {\"a\":1}\r\n\r\ndata: {\"b\""]),
            vec![
                data("{\"a\":1}"),
                Event::Unterminated(Payload::plain(Bytes::from_static(b"{\"b\"")))
            ]
        );
        assert_eq!(
            decode(&[b"{\n  \"error\": {\n"]),
            vec![Event::Garbage(Bytes::from_static(b"{\n  \"error\": {\n"))]
        );
        assert_eq!(decode(&[b"\r\n\r\n"]), vec![]);
    }

    #[test]
    fn text_that_is_no_json_is_reported_line_by_line() {
        assert_eq!(
            decode(&[b"<html>Bad gateway</html>\ndata: {}\n\n"]),
            vec![
                Event::Garbage(Bytes::from_static(b"<html>Bad gateway</html>")),
                data("{}")
            ]
        );
    }

    /// An image event as Google sends it, with `image` as its data.
    fn image_event(image: &[u8]) -> Vec<u8> {
        let data = crate::Base64Bytes::from(image.to_vec()).encode();
        format!(
            "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"inlineData\": {{\"mimeType\": \"image/png\",\"data\": \"{data}\"}}}}],\"role\": \"model\"}},\"index\": 0}}]}}\r\n\r\n"
        )
        .into_bytes()
    }

    fn payloads(body: &[u8], piece: usize) -> Vec<Payload> {
        let mut decoder = SseDecoder::default();
        let mut out = VecDeque::new();
        for chunk in body.chunks(piece) {
            decoder.push(Bytes::copy_from_slice(chunk), &mut out);
        }
        decoder.finish(&mut out);
        out.into_iter()
            .map(|event| match event {
                Event::Data(payload) => payload,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_five_megabyte_image_is_decoded_as_it_arrives() {
        let image: Vec<u8> = (0..4_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let body = image_event(&image);
        let [payload] = &payloads(&body, 64 << 10)[..] else {
            panic!()
        };
        let spliced = payload.spliced.as_ref().expect("decoded on arrival");
        assert_eq!(spliced.values.len(), 1);
        assert!(spliced.values[0] == image);
        // The placeholder stands where the base64 was, and the original is intact.
        assert!(payload.text.len() < 200);
        let line_end = body.len() - 4;
        assert_eq!(
            payload.original(),
            Bytes::copy_from_slice(&body[6..line_end])
        );
    }

    #[test]
    fn cut_anywhere_the_event_reads_the_same() {
        let image: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
        let body = image_event(&image);
        let expected = Bytes::copy_from_slice(&body[6..body.len() - 4]);
        for piece in (1..130).chain([1000, 1024, 4096]) {
            let payloads = payloads(&body, piece);
            assert_eq!(payloads.len(), 1, "pieces of {piece}");
            assert_eq!(payloads[0].original(), expected, "pieces of {piece}");
            if let Some(spliced) = &payloads[0].spliced {
                assert!(spliced.values[0] == image, "pieces of {piece}");
            }
        }
    }

    #[test]
    fn a_value_that_is_not_plain_base64_stays_text() {
        // An escaped slash: valid JSON, but not for decoding on arrival.
        let body = image_event(&[0xff; 3000]);
        let escaped = String::from_utf8(body)
            .unwrap()
            .replace('/', "\\/")
            .into_bytes();
        let payloads = payloads(&escaped, 100);
        assert!(payloads[0].spliced.is_none());
        assert_eq!(payloads[0].text[..], escaped[6..escaped.len() - 4]);
    }

    #[test]
    fn an_interactions_image_delta_is_decoded_as_it_arrives() {
        // The Interactions stream: an `event:` line, the image under `data` in one `step.delta`,
        // and the closing `[DONE]`.
        let image: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let encoded = crate::Base64Bytes::from(image.clone()).encode();
        let body = format!(
            "event: step.delta\ndata: {{\"index\":2,\"delta\":{{\"mime_type\":\"image/jpeg\",\"data\":\"{encoded}\",\"type\":\"image\"}},\"event_type\":\"step.delta\"}}\n\nevent: done\ndata: [DONE]\n\n"
        );
        let pieces: Vec<&[u8]> = body.as_bytes().chunks(16 * 1024).collect();
        let events = decode(&pieces);
        assert_eq!(events.len(), 2, "{:?}", &events[1..]);
        let Event::Data(delta) = &events[0] else {
            panic!("{:?}", events[0]);
        };
        let spliced = delta.spliced.as_ref().expect("decoded on arrival");
        assert_eq!(spliced.values.len(), 1);
        assert_eq!(&spliced.values[0][..], &image[..]);
        // Read from the values decoded on arrival, not from the text again.
        let event: crate::OpenUnion<crate::types::InteractionEvent> =
            crate::codec::from_spliced(&delta.text, spliced.nonce, spliced.values.clone())
                .expect("the fast path applies to an Interactions event");
        let crate::OpenUnion::Known(crate::types::InteractionEvent::StepDelta {
            delta: Some(delta),
            ..
        }) = event
        else {
            panic!("{event:?}");
        };
        assert_eq!(delta.data.as_deref(), Some(&image[..]));
        assert!(matches!(&events[1], Event::Data(done) if done.text() == b"[DONE]"));
    }
}
