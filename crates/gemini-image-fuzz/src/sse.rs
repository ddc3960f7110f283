//! The SSE reader over arbitrary splits: however the network cuts a body into reads, the same
//! events come out, and each event's data reads as the same value or fails the same way.

use std::collections::VecDeque;

use bytes::Bytes;
use gemini_image_types::sse::{Event, SseDecoder};
use gemini_image_types::types::GenerateContentResponse;

use crate::{Failure, preview};

/// The property, on the fuzzer's bytes: the first byte says how many cuts, that many following
/// bytes are the lengths of the pieces between them, and the rest is the body. The body is also
/// read whole and byte by byte.
///
/// # Errors
///
/// A description of the first split whose events differ from the whole body's.
pub fn check(input: &[u8]) -> Result<(), Failure> {
    let (cuts, body) = match input.split_first() {
        Some((&count, rest)) => rest.split_at(usize::from(count % 16).min(rest.len())),
        None => (&[][..], input),
    };
    let pieces: Vec<usize> = cuts.iter().map(|&length| usize::from(length)).collect();
    same_whatever_the_split(body, &pieces)
}

/// `body` read in pieces of the given lengths (the rest in one piece), byte by byte, and whole:
/// the same events, each with the same reading.
///
/// # Errors
///
/// A description of the first split whose events differ from the whole body's.
pub fn same_whatever_the_split(body: &[u8], pieces: &[usize]) -> Result<(), Failure> {
    let whole = read(std::iter::once(body));
    let singles = read(body.chunks(1));
    if singles != whole {
        return Err(format!(
            "{}: whole {whole:?}, byte by byte {singles:?}",
            preview(body)
        ));
    }
    let mut rest = body;
    let mut chunks = Vec::new();
    for &length in pieces {
        let (chunk, after) = rest.split_at(length.min(rest.len()));
        chunks.push(chunk);
        rest = after;
    }
    chunks.push(rest);
    let split = read(chunks.iter().copied());
    if split != whole {
        return Err(format!(
            "{} in pieces of {pieces:?}: whole {whole:?}, split {split:?}",
            preview(body)
        ));
    }
    Ok(())
}

/// An event as a reader of the stream sees it: its kind, the bytes that arrived, and for data
/// what it reads as (the value, or the error's message).
#[derive(Debug, PartialEq)]
struct Seen {
    kind: &'static str,
    arrived: Bytes,
    reading: Option<Result<Box<GenerateContentResponse>, String>>,
}

fn read<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Vec<Seen> {
    let mut decoder = SseDecoder::default();
    let mut events = VecDeque::new();
    for chunk in chunks {
        decoder.push(Bytes::copy_from_slice(chunk), &mut events);
    }
    decoder.finish(&mut events);
    events
        .into_iter()
        .map(|event| match event {
            Event::Data(data) => Seen {
                kind: "data",
                arrived: data.original(),
                reading: Some(data.parse().map(Box::new).map_err(|e| e.to_string())),
            },
            Event::Unterminated(data) => Seen {
                kind: "unterminated",
                arrived: data.original(),
                reading: Some(data.parse().map(Box::new).map_err(|e| e.to_string())),
            },
            Event::Raw(raw) => Seen {
                kind: "raw",
                arrived: raw,
                reading: None,
            },
            Event::Garbage(text) => Seen {
                kind: "garbage",
                arrived: text,
                reading: None,
            },
        })
        .collect()
}
