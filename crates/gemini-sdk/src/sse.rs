//! The byte level of a `streamGenerateContent?alt=sse` body: lines, events, and the raw JSON
//! error object Google writes into a 200 stream when generation fails half-way.
//!
//! The decoder is fed the body as it arrives, in chunks of any size: an event may be split
//! across many reads (a whole image is one multi-megabyte `data:` line), and one read may hold
//! many events. Each byte is searched for a line end once, and a `data:` line is handed on as a
//! slice of the buffer it arrived in, without a copy.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

/// What the stream carried.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// The data of one event (its `data:` lines, joined by `\n`).
    Data(Bytes),
    /// A JSON value written outside any event: Google's `{"error": …}` in the middle of a stream.
    Raw(Bytes),
    /// Data still open when the body ended: no blank line closed it.
    Unterminated(Bytes),
    /// Text outside any event that never became a complete JSON value before the body ended.
    Garbage(Bytes),
}

/// Splits an SSE body into [`Event`]s. Lines end with `\r\n`, `\n` or `\r`, as the SSE
/// specification allows; a blank line ends an event.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buffer: BytesMut,
    /// How much of `buffer` has already been searched for a line end.
    searched: usize,
    /// The last line ended with a `\r` that was the last byte read: a `\n` first in the next
    /// read belongs to it.
    after_cr: bool,
    data: Option<Bytes>,
    raw: RawJson,
}

impl SseDecoder {
    /// Feeds one read of the body; complete events are pushed to `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut VecDeque<Event>) {
        let mut chunk = chunk;
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        self.buffer.extend_from_slice(chunk);
        while let Some(offset) = memchr::memchr2(b'\n', b'\r', &self.buffer[self.searched..]) {
            let end = self.searched + offset;
            let terminator = match (self.buffer[end], self.buffer.get(end + 1)) {
                (b'\r', Some(b'\n')) => 2,
                (b'\r', None) => {
                    self.after_cr = true;
                    1
                }
                _ => 1,
            };
            let line = self.buffer.split_to(end).freeze();
            self.buffer.advance(terminator);
            self.searched = 0;
            self.line(line, out);
        }
        self.searched = self.buffer.len();
    }

    /// The body ended: whatever is still open is pushed to `out`.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<Event>) {
        if !self.buffer.is_empty() {
            let line = self.buffer.split().freeze();
            self.searched = 0;
            self.line(line, out);
        }
        if let Some(data) = self.data.take() {
            out.push_back(Event::Unterminated(data));
        }
        if let Some(text) = self.raw.take() {
            out.push_back(Event::Garbage(text));
        }
    }

    fn line(&mut self, line: Bytes, out: &mut VecDeque<Event>) {
        if self.raw.is_open() {
            out.extend(self.raw.push(&line));
            return;
        }
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push_back(Event::Data(data));
            }
            return;
        }
        let (field, value) = match memchr::memchr(b':', &line) {
            Some(colon) => {
                let skip = usize::from(line.get(colon + 1) == Some(&b' '));
                (&line[..colon], line.slice(colon + 1 + skip..))
            }
            None => (&line[..], Bytes::new()),
        };
        match field {
            b"data" => {
                self.data = Some(match self.data.take() {
                    None => value,
                    Some(earlier) => {
                        let mut joined = BytesMut::with_capacity(earlier.len() + 1 + value.len());
                        joined.extend_from_slice(&earlier);
                        joined.extend_from_slice(b"\n");
                        joined.extend_from_slice(&value);
                        joined.freeze()
                    }
                });
            }
            // A comment, or a field Gemini does not use.
            b"" | b"event" | b"id" | b"retry" => {}
            _ => out.extend(self.raw.push(&line)),
        }
    }
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
            decoder.push(chunk, &mut out);
        }
        decoder.finish(&mut out);
        out.into()
    }

    fn data(text: &str) -> Event {
        Event::Data(Bytes::copy_from_slice(text.as_bytes()))
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
                Event::Unterminated(Bytes::from_static(b"{\"b\""))
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

    #[test]
    fn a_five_megabyte_event_read_in_small_pieces() {
        let mut decoder = SseDecoder::default();
        let mut out = VecDeque::new();
        let image = vec![b'A'; 5 << 20];
        decoder.push(b"data: ", &mut out);
        for piece in image.chunks(64 << 10) {
            decoder.push(piece, &mut out);
        }
        decoder.push(b"\r\n\r\n", &mut out);
        assert_eq!(out.len(), 1);
        let Some(Event::Data(data)) = out.pop_front() else {
            panic!()
        };
        assert_eq!(data.len(), image.len());
        assert!(data.iter().all(|b| *b == b'A'));
    }
}
