//! How an answer travels: whole, or frame by frame with the delays, the mid-stream error or the
//! cut connection that scenarios ask for.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;

use crate::error::{ApiError, InteractionsError};
use crate::scenarios::Scenario;
use crate::scenarios::plan::Plan;

/// How the answer body is framed, which decides where it may be cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// One JSON document.
    Unary,
    /// `data: ...\r\n\r\n` events.
    Sse,
    /// A JSON array of chunks (`streamGenerateContent` without `alt=sse`).
    JsonArray,
    /// `event: …\ndata: ...\n\n` events (the Interactions API), ending `data: [DONE]`.
    Events,
}

/// What the transport scenarios of a plan ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Before the first byte and between frames.
    pub delay: Duration,
    /// Cut the connection before any byte.
    pub reset: bool,
    /// Cut the connection in the middle of an event.
    pub truncate: bool,
    /// Put a raw error object in the middle of the stream.
    pub stream_error: bool,
}

impl Delivery {
    /// The transport part of `plan`.
    pub fn of(plan: &Plan) -> Self {
        Self {
            delay: plan.delay(),
            reset: plan.has(&Scenario::ConnectionReset),
            truncate: plan.has(&Scenario::StreamTruncated),
            stream_error: plan.has(&Scenario::StreamError),
        }
    }

    /// Whether the body can go out as it is.
    pub fn is_plain(&self) -> bool {
        *self == Self::default()
    }
}

/// Long enough for the bytes before a cut to leave the server.
const FLUSH_PAUSE: Duration = Duration::from_millis(25);

fn cut() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "gemini-image-mock cut the connection (scenario)",
    )
}

/// The body of an answer sent the way `delivery` says.
pub fn body(whole: Bytes, framing: Framing, delivery: &Delivery) -> Body {
    if delivery.is_plain() {
        return Body::from(whole);
    }
    let mut pieces: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    // A piece that must reach the client in a read of its own.
    let mut apart = None;
    if delivery.reset {
        pieces.push(Err(cut()));
    } else {
        let frames = split(&whole, framing);
        if delivery.truncate {
            // A whole first event when there are several, then half of the next one.
            let keep = if frames.len() > 1 { 1 } else { 0 };
            pieces.extend(frames[..keep].iter().cloned().map(Ok));
            let next = &frames[keep];
            pieces.push(Ok(next.slice(..next.len() / 2)));
            pieces.push(Err(cut()));
        } else if delivery.stream_error {
            let keep = frames
                .len()
                .div_ceil(2)
                .min(frames.len().saturating_sub(1))
                .max(1);
            pieces.extend(frames[..keep].iter().cloned().map(Ok));
            let error = ApiError::overloaded().to_json();
            // Google's error comes when generation fails, well after the events before it, so
            // it arrives in a read of its own. The JS SDK depends on that: it recognises the
            // error only by JSON-parsing a whole read.
            apart = Some(pieces.len());
            pieces.push(Ok(match framing {
                // Google writes the error object raw, without `data: `, in the 200 stream.
                Framing::Sse | Framing::Unary => Bytes::from(error),
                Framing::JsonArray => Bytes::from(format!(",\r\n{}]", error.trim_end())),
                // The Interactions API reports a failure in its stream as an `error` event.
                Framing::Events => {
                    Bytes::from(InteractionsError(ApiError::overloaded()).to_event())
                }
            }));
        } else {
            pieces.extend(frames.into_iter().map(Ok));
        }
    }
    let delay = delivery.delay;
    let stream = futures_util::stream::unfold(
        (pieces.into_iter().enumerate(), true),
        move |(mut pieces, first)| async move {
            let (index, piece) = pieces.next()?;
            if !delay.is_zero() && (first || piece.is_ok()) {
                tokio::time::sleep(delay).await;
            }
            if (piece.is_err() && !first) || apart == Some(index) {
                // Let what was sent reach the client before the cut, as on a real network;
                // otherwise the server would drop its unflushed buffer with the connection.
                tokio::time::sleep(FLUSH_PAUSE).await;
            }
            Some((piece, (pieces, false)))
        },
    );
    Body::from_stream(stream)
}

/// The frames of a whole answer, each a slice of it (no copies).
fn split(whole: &Bytes, framing: Framing) -> Vec<Bytes> {
    let separator: &[u8] = match framing {
        Framing::Unary => return vec![whole.clone()],
        Framing::Sse => b"\r\n\r\n",
        Framing::JsonArray => b",\r\n",
        Framing::Events => b"\n\n",
    };
    let mut frames = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while let Some(found) = whole[at..]
        .windows(separator.len())
        .position(|w| w == separator)
    {
        let end = at + found + separator.len();
        frames.push(whole.slice(start..end));
        start = end;
        at = end;
    }
    if start < whole.len() || frames.is_empty() {
        frames.push(whole.slice(start..));
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_slices_at_event_boundaries() {
        let sse = Bytes::from_static(b"data: {1}\r\n\r\ndata: {2}\r\n\r\n");
        let frames = split(&sse, Framing::Sse);
        assert_eq!(
            frames,
            [&b"data: {1}\r\n\r\n"[..], &b"data: {2}\r\n\r\n"[..]]
        );
        let array = Bytes::from_static(b"[{\n  1\n},\r\n{\n  2\n}]");
        assert_eq!(split(&array, Framing::JsonArray).len(), 2);
        assert_eq!(split(&array, Framing::Unary).len(), 1);
    }
}
