//! A batch's results as `(key, Result<response, error>)`: from the Operation (inline input), or
//! from its results file read while it downloads ([`results_from_pieces`]) — the file is never
//! held whole: each line is parsed as soon as its newline arrives, its images decoded by the
//! codec straight from the line's bytes, and a line longer than [`MAX_RESULT_LINE`] is an error
//! item (its bytes skipped), not an allocation without end.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::{ApiError, Error};
use crate::types::{
    BatchOperation, BatchResultLine, GenerateContentResponse, InlinedResponse, Status,
};

/// The longest results line read (256 MiB): a line is one request's answer, a few images of
/// some tens of megabytes of base64 at most (a 4K PNG is about 30 MB as base64); a longer one
/// is an error, not a buffer without bound.
pub const MAX_RESULT_LINE: usize = 256 * 1024 * 1024;

/// One request's result: its key, and Google's answer or the error that request got.
pub type BatchItem = (String, Result<GenerateContentResponse, ApiError>);

/// A batch's results as they are read — [`BatchItem`]s from
/// [`Batches::results`](crate::Batches::results) and [`results_from_pieces`],
/// [`SavedItem`](crate::SavedItem)s from [`Batches::save_images`](crate::Batches::save_images):
/// a `Stream` of `Result<T, Error>` that is `Unpin` (`next().await` works on it as it is) and
/// `Send`.
pub struct BatchStream<T>(Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>);

impl<T> BatchStream<T> {
    pub(crate) fn new(stream: impl Stream<Item = Result<T, Error>> + Send + 'static) -> Self {
        Self(Box::pin(stream))
    }
}

impl<T> Stream for BatchStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl<T> std::fmt::Debug for BatchStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchStream")
    }
}

/// The results of a batch, as they are read.
pub type BatchResults = BatchStream<BatchItem>;

/// The key of the request whose result came without one: Google's docs say every line and
/// inline response carries it, users report inline responses without it. Results come in
/// input order, so the position stands for the key (`"0"`, `"1"`, …) when the input's own
/// key cannot be found.
fn positional_key(index: u64) -> String {
    index.to_string()
}

/// Reads a results file given as its bytes in pieces of any size (a download's network pieces,
/// a file read in blocks) as the results of its lines, in order, while the pieces arrive.
///
/// An item is `Err` for a line that is not a results line (it says which; the lines after it
/// are still read) and for the pieces' own error (the last item). A request that failed is an
/// `Ok` item whose result is that request's error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use futures_util::{StreamExt, stream};
/// use gemini_image::results_from_pieces;
///
/// let file = concat!(
///     r#"{"response":{"candidates":[{"content":{"parts":[{"text":"hi"}]}}]},"key":"a"}"#, "\n",
///     r#"{"error":{"code":3,"message":"bad request"},"key":"b"}"#, "\n",
/// );
/// // Pieces cut anywhere, as a network cuts them.
/// let pieces: Vec<_> = file.as_bytes().chunks(7).map(|p| Ok(Bytes::copy_from_slice(p))).collect();
/// let mut results = results_from_pieces(stream::iter(pieces));
/// let (key, answer) = results.next().await.ok_or("a first result")??;
/// assert_eq!(key, "a");
/// assert!(answer.is_ok());
/// let (key, answer) = results.next().await.ok_or("a second result")??;
/// assert_eq!(key, "b");
/// assert_eq!(answer.unwrap_err().http_status, 400);
/// assert!(results.next().await.is_none());
/// # Ok(())
/// # }
/// ```
pub fn results_from_pieces<S>(pieces: S) -> BatchResults
where
    S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
{
    BatchResults::new(results_with_limit(pieces, MAX_RESULT_LINE))
}

/// [`results_from_pieces`] with another bound on a line (the tests use a small one).
pub(crate) fn results_with_limit<S>(
    pieces: S,
    max_line: usize,
) -> impl Stream<Item = Result<BatchItem, Error>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
{
    struct Reading<S> {
        pieces: Pin<Box<S>>,
        lines: LineSplitter,
        ready: VecDeque<Line>,
        index: u64,
        ended: bool,
    }
    let state = Reading {
        pieces: Box::pin(pieces),
        lines: LineSplitter::new(max_line),
        ready: VecDeque::new(),
        index: 0,
        ended: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(line) = state.ready.pop_front() {
                let item = match line {
                    Line::Whole(line) => match parse_line(&line, state.index) {
                        Some(item) => item,
                        None => continue, // a blank line
                    },
                    Line::TooLong => Err(Error::Decode {
                        what: "a batch results line",
                        message: format!(
                            "line {} is longer than {} bytes; skipped",
                            state.index + 1,
                            state.lines.max
                        ),
                    }),
                };
                state.index += 1;
                return Some((item, state));
            }
            if state.ended {
                return None;
            }
            match state.pieces.next().await {
                Some(Ok(piece)) => state.lines.push(piece, &mut state.ready),
                Some(Err(error)) => {
                    state.ended = true;
                    return Some((Err(error), state));
                }
                None => {
                    state.lines.finish(&mut state.ready);
                    state.ended = true;
                }
            }
        }
    })
}

/// A line as the splitter hands it out.
#[derive(Debug, PartialEq)]
pub(crate) enum Line {
    /// The line's bytes, without its newline.
    Whole(Bytes),
    /// A line over the bound: its bytes were dropped as they came.
    TooLong,
}

/// Cuts pieces into lines. A line inside one piece is a slice of it (no copy); a line over
/// several is copied once, into a buffer of its exact length, when its newline arrives — the
/// pieces before are kept as they came, not appended one by one into a growing buffer.
pub(crate) struct LineSplitter {
    pieces: Vec<Bytes>,
    held: usize,
    /// Inside a line that was too long: drop until its newline.
    skipping: bool,
    max: usize,
}

impl LineSplitter {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            pieces: Vec::new(),
            held: 0,
            skipping: false,
            max,
        }
    }

    /// Takes the next piece; the lines it completes go to `out`.
    pub(crate) fn push(&mut self, mut piece: Bytes, out: &mut VecDeque<Line>) {
        while let Some(at) = memchr::memchr(b'\n', &piece) {
            let end = piece.split_to(at + 1).slice(..at);
            if self.skipping {
                self.skipping = false;
                continue;
            }
            if self.held + end.len() > self.max {
                self.drop_held();
                out.push_back(Line::TooLong);
                continue;
            }
            out.push_back(Line::Whole(self.take_line(end)));
        }
        if piece.is_empty() || self.skipping {
            return;
        }
        if self.held + piece.len() > self.max {
            self.drop_held();
            self.skipping = true;
            out.push_back(Line::TooLong);
            return;
        }
        self.held += piece.len();
        self.pieces.push(piece);
    }

    /// The end of the input: a last line without its newline goes to `out`.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<Line>) {
        if !self.skipping && !self.pieces.is_empty() {
            let line = self.take_line(Bytes::new());
            out.push_back(Line::Whole(line));
        }
        self.skipping = false;
    }

    /// The held pieces and `end`, as one line.
    fn take_line(&mut self, end: Bytes) -> Bytes {
        if self.pieces.is_empty() {
            return end;
        }
        let mut line = BytesMut::with_capacity(self.held + end.len());
        for piece in self.pieces.drain(..) {
            line.extend_from_slice(&piece);
        }
        line.extend_from_slice(&end);
        self.held = 0;
        line.freeze()
    }

    fn drop_held(&mut self) {
        self.pieces.clear();
        self.held = 0;
    }
}

/// One results line (`index` counts from 0); `None` for a blank line.
fn parse_line(line: &[u8], index: u64) -> Option<Result<BatchItem, Error>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    let parsed: BatchResultLine = match crate::codec::from_body(line) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Some(Err(Error::Decode {
                what: "a batch results line",
                message: format!("line {}: {error}", index + 1),
            }));
        }
    };
    let key = parsed.key.unwrap_or_else(|| positional_key(index));
    Some(outcome(key, parsed.response, parsed.error, || {
        format!("line {}", index + 1)
    }))
}

/// A result from its `response` or `error`; `where_` names it when it has neither.
fn outcome(
    key: String,
    response: Option<GenerateContentResponse>,
    error: Option<Status>,
    where_: impl FnOnce() -> String,
) -> Result<BatchItem, Error> {
    match (response, error) {
        // A line with both is not seen; the error wins, so that a failure is never missed.
        (_, Some(status)) => Ok((key, Err(ApiError::from_rpc_status(status)))),
        (Some(response), None) => Ok((key, Ok(response))),
        (None, None) => Err(Error::Decode {
            what: "a batch result",
            message: format!(
                "{} (key {key:?}) has neither a response nor an error",
                where_()
            ),
        }),
    }
}

/// The results of a batch whose output is inline, in input order: each response's key from its
/// `metadata`, or — when the server left it out — the key of the input request at the same
/// position (if the Operation echoes the input), or the position itself.
pub(crate) fn inline_results(
    batch: &BatchOperation,
    responses: &[InlinedResponse],
) -> Vec<Result<BatchItem, Error>> {
    let input_keys = batch
        .metadata
        .as_ref()
        .and_then(|m| m.input_config.as_ref())
        .and_then(|c| c.requests.as_ref())
        .map(|r| r.requests.as_slice())
        .unwrap_or_default();
    responses
        .iter()
        .enumerate()
        .map(|(i, inlined)| {
            let key = inlined
                .metadata
                .get("key")
                .or_else(|| input_keys.get(i).and_then(|r| r.metadata.get("key")))
                .cloned()
                .unwrap_or_else(|| positional_key(i as u64));
            // Cloning a response shares its images' bytes.
            outcome(key, inlined.response.clone(), inlined.error.clone(), || {
                format!("inline response {}", i + 1)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split_all(pieces: &[&[u8]], max: usize) -> Vec<Line> {
        let mut splitter = LineSplitter::new(max);
        let mut out = VecDeque::new();
        for piece in pieces {
            splitter.push(Bytes::copy_from_slice(piece), &mut out);
        }
        splitter.finish(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn a_line_over_the_bound_is_an_error_and_the_next_lines_are_read() {
        let lines = split_all(&[b"short\nway too long", b" still going", b"\nok\n"], 10);
        assert_eq!(
            lines,
            [
                Line::Whole(Bytes::from_static(b"short")),
                Line::TooLong,
                Line::Whole(Bytes::from_static(b"ok")),
            ]
        );
        // Over the bound inside one piece, newline included.
        let lines = split_all(&[b"0123456789ABC\nok"], 10);
        assert_eq!(
            lines,
            [Line::TooLong, Line::Whole(Bytes::from_static(b"ok"))]
        );
    }

    #[test]
    fn a_line_inside_one_piece_is_not_copied() {
        let piece = Bytes::from_static(b"first\nsecond\n");
        let mut splitter = LineSplitter::new(100);
        let mut out = VecDeque::new();
        splitter.push(piece.clone(), &mut out);
        let Some(Line::Whole(first)) = out.pop_front() else {
            panic!("a line")
        };
        assert_eq!(first.as_ptr(), piece.as_ptr());
    }

    fn results_file() -> (Vec<u8>, Vec<(String, bool)>) {
        let image = crate::Base64Bytes::from(vec![0x5au8; 3000]).encode();
        let mut file = String::new();
        let mut expected = Vec::new();
        for i in 0..4 {
            let key = format!("req-{i}");
            if i == 2 {
                file.push_str(&format!(
                    r#"{{"error":{{"code":8,"message":"quota"}},"key":"{key}"}}"#
                ));
                expected.push((key, false));
            } else {
                file.push_str(&format!(
                    r#"{{"response":{{"candidates":[{{"content":{{"role":"model","parts":[{{"inlineData":{{"mimeType":"image/png","data":"{image}"}}}}]}},"finishReason":"STOP","index":0}}]}},"key":"{key}"}}"#
                ));
                expected.push((key, true));
            }
            file.push_str(if i == 1 { "\r\n" } else { "\n" });
        }
        (file.into_bytes(), expected)
    }

    fn read(pieces: Vec<Bytes>) -> Vec<Result<BatchItem, Error>> {
        let stream = futures_util::stream::iter(pieces.into_iter().map(Ok));
        futures_executor_block_on(results_from_pieces(stream).collect())
    }

    /// A tiny executor: the stream is in memory, nothing waits.
    fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(future))
            .unwrap_or_else(|e| panic!("a runtime: {e}"))
    }

    fn check(results: &[Result<BatchItem, Error>], expected: &[(String, bool)]) {
        assert_eq!(results.len(), expected.len());
        for (result, (key, ok)) in results.iter().zip(expected) {
            let (got_key, answer) = result.as_ref().unwrap();
            assert_eq!(got_key, key);
            assert_eq!(answer.is_ok(), *ok);
            match answer {
                Ok(response) => {
                    let parts = &response.candidates[0].content.as_ref().unwrap().parts;
                    let data = parts[0]
                        .inline_data
                        .as_ref()
                        .unwrap()
                        .data
                        .as_ref()
                        .unwrap();
                    assert_eq!(data.len(), 3000);
                    assert!(data.iter().all(|b| *b == 0x5a));
                }
                Err(error) => assert_eq!(error.http_status, 429),
            }
        }
    }

    #[test]
    fn every_two_way_cut_reads_the_same_results() {
        let (file, expected) = results_file();
        let file = Bytes::from(file);
        for at in 0..=file.len() {
            let results = read(vec![file.slice(..at), file.slice(at..)]);
            check(&results, &expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(18),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_cutting_into_pieces_reads_the_same_results(cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
            let (file, expected) = results_file();
            let file = Bytes::from(file);
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(file.len() + 1)).collect();
            at.sort_unstable();
            let mut pieces = Vec::new();
            let mut from = 0;
            for cut in at.into_iter().chain([file.len()]) {
                pieces.push(file.slice(from..cut));
                from = cut;
            }
            check(&read(pieces), &expected);
        }
    }

    #[test]
    fn a_line_that_is_no_results_line_is_an_error_item_and_reading_goes_on() {
        let file =
            b"{\"key\":\"a\",\"response\":{}}\nnot json\n\n{\"key\":\"c\"}\n{\"response\":{}}";
        let results = read(vec![Bytes::from_static(file)]);
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap().0, "a");
        let bad = results[1].as_ref().unwrap_err().to_string();
        assert!(bad.contains("line 2"), "{bad}");
        let neither = results[2].as_ref().unwrap_err().to_string();
        assert!(neither.contains("neither"), "{neither}");
        // No key: its position.
        assert_eq!(results[3].as_ref().unwrap().0, "3");
    }
}
