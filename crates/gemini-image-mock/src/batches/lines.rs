//! A batch's requests, taken one at a time by the engine: inline (already read with the
//! create body) or the lines of a JSONL file of the Files API (sliced from the file's bytes,
//! each read when its turn comes, so that a malformed line fails alone).

use std::collections::HashMap;
use std::ops::Range;

use bytes::Bytes;
use gemini_image_types::types::{GenerateContentRequest, InlinedRequest};

use crate::error::ApiError;
use crate::files::resolve::usable_file;
use crate::state::AppState;

/// The largest JSONL input file the mock reads (one buffer shared with the file store). Ours:
/// Google takes 2 GB; a test needs far less.
const MAX_INPUT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The requests of a batch not run yet.
pub enum Lines {
    /// From `inputConfig.requests.requests[]`.
    Inline(Vec<InlinedRequest>),
    /// From a JSONL file: its bytes (shared with the file store, not copied) and where each
    /// non-blank line is.
    File {
        bytes: Bytes,
        lines: Vec<Range<usize>>,
    },
}

/// One request, as the engine hands it to a worker.
pub enum Work {
    /// An inline request and its metadata (`key`).
    Inline {
        /// Boxed: a request is kilobytes of struct, a line a pointer.
        request: Option<Box<GenerateContentRequest>>,
        metadata: HashMap<String, String>,
    },
    /// A JSONL line, not parsed yet.
    Line(Bytes),
}

impl Lines {
    /// The lines of a JSONL file: every line with something else than whitespace.
    pub fn of_file(bytes: Bytes) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for end in newline_positions(&bytes).chain(std::iter::once(bytes.len())) {
            if bytes[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
                lines.push(start..end);
            }
            start = (end + 1).min(bytes.len());
        }
        Self::File { bytes, lines }
    }

    /// The lines of the JSONL file `files/{id}`: a missing one is Google's 403, one still
    /// processing its 400, as for `fileData`.
    pub fn of_input_file(state: &AppState, file_name: &str) -> Result<Self, ApiError> {
        let id = file_name.strip_prefix("files/").unwrap_or(file_name);
        let now = state.clock.now();
        let file = usable_file(state, id, now)?;
        if file.size > MAX_INPUT_FILE_BYTES {
            return Err(ApiError::invalid_argument(format!(
                "The mock reads batch input files up to {MAX_INPUT_FILE_BYTES} bytes; files/{id} \
                 has {} (Google takes 2 GB).",
                file.size
            )));
        }
        let bytes = file.contiguous().ok_or_else(ApiError::internal)?;
        Ok(Self::of_file(bytes))
    }

    /// How many requests.
    pub fn len(&self) -> usize {
        match self {
            Self::Inline(requests) => requests.len(),
            Self::File { lines, .. } => lines.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Request `index`, taken out (an inline request's memory goes with it).
    pub fn take(&mut self, index: usize) -> Work {
        match self {
            Self::Inline(requests) => match requests.get_mut(index) {
                Some(inlined) => Work::Inline {
                    request: inlined.request.take().map(Box::new),
                    metadata: std::mem::take(&mut inlined.metadata),
                },
                None => Work::Line(Bytes::new()),
            },
            Self::File { bytes, lines } => Work::Line(
                lines
                    .get(index)
                    .map(|range| bytes.slice(range.clone()))
                    .unwrap_or_default(),
            ),
        }
    }
}

fn newline_positions(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_not_requests() {
        let mut lines = Lines::of_file(Bytes::from_static(
            b"{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\"",
        ));
        assert_eq!(lines.len(), 3);
        let Work::Line(second) = lines.take(1) else {
            panic!("a file's line")
        };
        assert_eq!(&second[..], b"{\"b\":2}\r");
        let Work::Line(third) = lines.take(2) else {
            panic!("a file's line")
        };
        assert_eq!(&third[..], b"{\"c\"");
    }
}
