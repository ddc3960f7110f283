//! An event stream cut into its events as its pieces arrive, for recording: each event's raw
//! bytes (its separator included) and when it was whole. Bounded: past its budget the
//! splitter keeps nothing more and says so.

use bytes::{Bytes, BytesMut};

/// Cuts a stream into events.
pub struct Splitter {
    pending: BytesMut,
    separator: Option<&'static str>,
    budget: usize,
    over: bool,
}

impl Splitter {
    /// A splitter that keeps at most `budget` bytes in all.
    pub fn new(budget: usize) -> Self {
        Self {
            pending: BytesMut::new(),
            separator: None,
            budget,
            over: false,
        }
    }

    /// Takes one piece; returns the events it completed.
    pub fn push(&mut self, piece: &[u8]) -> Vec<Bytes> {
        if self.over {
            return Vec::new();
        }
        if piece.len() > self.budget {
            self.over = true;
            self.pending.clear();
            return Vec::new();
        }
        self.budget -= piece.len();
        self.pending.extend_from_slice(piece);
        let mut events = Vec::new();
        loop {
            let separator = match self.separator {
                Some(separator) => separator,
                None => match first_separator(&self.pending) {
                    Some(separator) => *self.separator.insert(separator),
                    None => break,
                },
            };
            let Some(at) = memchr::memmem::find(&self.pending, separator.as_bytes()) else {
                break;
            };
            events.push(self.pending.split_to(at + separator.len()).freeze());
        }
        events
    }

    /// What is left at the end (an event without its separator), if anything.
    pub fn finish(self) -> Option<Bytes> {
        (!self.pending.is_empty() && !self.over).then(|| self.pending.freeze())
    }

    /// The separator the stream uses (`"\r\n\r\n"` when none was seen).
    pub fn separator(&self) -> &'static str {
        self.separator.unwrap_or("\r\n\r\n")
    }

    /// Whether the stream passed the budget (and was not kept whole).
    pub fn over_budget(&self) -> bool {
        self.over
    }
}

/// Google ends events with `\r\n\r\n`, other servers with `\n\n`: whichever comes first.
fn first_separator(bytes: &[u8]) -> Option<&'static str> {
    let crlf = memchr::memmem::find(bytes, b"\r\n\r\n");
    let lf = memchr::memmem::find(bytes, b"\n\n");
    match (crlf, lf) {
        (Some(c), Some(l)) if l < c => Some("\n\n"),
        (Some(_), _) => Some("\r\n\r\n"),
        (None, Some(_)) => Some("\n\n"),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_cut_across_pieces() {
        let mut splitter = Splitter::new(1000);
        assert!(splitter.push(b"data: {\"a\":1}\r").is_empty());
        let events = splitter.push(b"\n\r\ndata: {\"b\":2}\r\n\r\ndata: {");
        assert_eq!(events.len(), 2);
        assert_eq!(&events[1][..], b"data: {\"b\":2}\r\n\r\n");
        assert_eq!(splitter.separator(), "\r\n\r\n");
        assert_eq!(splitter.finish().as_deref(), Some(&b"data: {"[..]));
    }

    #[test]
    fn past_its_budget_it_keeps_nothing() {
        let mut splitter = Splitter::new(10);
        assert!(splitter.push(b"data: 1\n\n").len() == 1);
        assert!(splitter.push(b"data: 2\n\n").is_empty());
        assert!(splitter.over_budget());
    }
}
