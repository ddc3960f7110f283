//! A batch's results as `(key, Result<response, error>)`: from the Operation (inline input), or
//! from its results file read while it downloads ([`results_from_pieces`]) — neither the file
//! nor a line is ever held whole: the lines are cut by the types crate's `JsonLinesDecoder`,
//! which decodes each image's base64 straight from the network pieces into the image's own
//! buffer as they arrive, each line is parsed as soon as its newline arrives, and a line longer
//! than [`MAX_RESULT_LINE`] is an error item (its bytes skipped), not an allocation without
//! end.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::{ApiError, Error};
use crate::types::{
    BatchOperation, BatchResultLine, GenerateContentResponse, InlinedResponse, Status,
};
use gemini_image_types::json_lines::{JsonLine, JsonLinesDecoder, Line};

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
        lines: JsonLinesDecoder,
        ready: VecDeque<Line>,
        index: u64,
        ended: bool,
    }
    let state = Reading {
        pieces: Box::pin(pieces),
        lines: JsonLinesDecoder::new(max_line),
        ready: VecDeque::new(),
        index: 0,
        ended: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(line) = state.ready.pop_front() {
                let item = match line {
                    Line::Json(line) => match parse_line(&line, state.index) {
                        Some(item) => item,
                        None => continue, // a blank line
                    },
                    Line::TooLong => Err(Error::Decode {
                        what: "a batch results line",
                        message: format!(
                            "line {} is longer than {} bytes; skipped",
                            state.index + 1,
                            state.lines.max()
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

/// One results line (`index` counts from 0); `None` for a blank line.
fn parse_line(line: &JsonLine, index: u64) -> Option<Result<BatchItem, Error>> {
    if line.is_blank() {
        return None;
    }
    let parsed: BatchResultLine = match line.parse() {
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
        read_with_limit(pieces, MAX_RESULT_LINE)
    }

    fn read_with_limit(pieces: Vec<Bytes>, max_line: usize) -> Vec<Result<BatchItem, Error>> {
        let stream = futures_util::stream::iter(pieces.into_iter().map(Ok));
        futures_executor_block_on(results_with_limit(stream, max_line).collect())
    }

    /// `file` in pieces of `size` bytes, as a download delivers it.
    fn in_pieces(file: &[u8], size: usize) -> Vec<Bytes> {
        file.chunks(size).map(Bytes::copy_from_slice).collect()
    }

    /// A results line with one image whose base64 text is `data`.
    fn image_line(key: &str, data: &str) -> String {
        format!(
            r#"{{"response":{{"candidates":[{{"content":{{"parts":[{{"text":"a fox"}},{{"inlineData":{{"mimeType":"image/png","data":"{data}"}}}}]}}}}]}},"key":"{key}"}}"#
        )
    }

    /// The image of the only part of a result that has one.
    fn image_of(result: &Result<BatchItem, Error>) -> Vec<u8> {
        let (_, answer) = result.as_ref().unwrap_or_else(|e| panic!("{e}"));
        let response = answer.as_ref().unwrap_or_else(|e| panic!("{e:?}"));
        let parts = &response.candidates[0].content.as_ref().unwrap().parts;
        parts
            .iter()
            .find_map(|p| p.inline_data.as_ref()?.data.as_ref())
            .map(|d| d.to_vec())
            .unwrap_or_default()
    }

    fn varied(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
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

    #[test]
    fn an_image_over_many_pieces_is_decoded_as_the_pieces_arrive() {
        let image = varied(300_000);
        let line = image_line("big", &crate::Base64Bytes::from(image.clone()).encode());
        for size in [1000, 4096, 65536, 1 << 20] {
            let results = read(in_pieces(format!("{line}\n{line}").as_bytes(), size));
            assert_eq!(results.len(), 2, "pieces of {size}");
            for result in &results {
                assert!(image_of(result) == image, "pieces of {size}");
            }
        }
    }

    #[test]
    fn an_image_with_escaped_slashes_is_read_as_json_says() {
        // `\/` is legal JSON inside a string, and base64 is full of slashes.
        let image = vec![0xffu8; 100_000];
        let data = crate::Base64Bytes::from(image.clone()).encode();
        assert!(data.contains('/'));
        let line = image_line("escaped", &data.replace('/', "\\/"));
        for size in [7, 1000, 65536] {
            let results = read(in_pieces(line.as_bytes(), size));
            assert_eq!(results.len(), 1);
            assert!(image_of(&results[0]) == image, "pieces of {size}");
        }
        // Escaped only far into the value, after megabytes were decoded on arrival.
        let (head, tail) = data.split_at(data.len() - 8);
        let late = format!("{head}{}", tail.replace('/', "\\/"));
        let results = read(in_pieces(image_line("late", &late).as_bytes(), 4096));
        assert!(image_of(&results[0]) == image);
    }

    #[test]
    fn an_url_safe_image_is_read() {
        let image = vec![0xfbu8; 100_000];
        let data = crate::Base64Bytes::from(image.clone())
            .encode()
            .replace('+', "-")
            .replace('/', "_");
        let results = read(in_pieces(image_line("url", &data).as_bytes(), 4096));
        assert!(image_of(&results[0]) == image);
    }

    #[test]
    fn invalid_base64_is_an_error_item_naming_its_line_and_reading_goes_on() {
        let good = image_line("good", &crate::Base64Bytes::from(varied(90_000)).encode());
        let mut data = crate::Base64Bytes::from(varied(90_000)).encode();
        data.replace_range(50_000..50_001, "!");
        let bad = image_line("bad", &data);
        let file = format!("{good}\n{bad}\n{good}\n");
        let results = read(in_pieces(file.as_bytes(), 4096));
        assert_eq!(results.len(), 3);
        assert!(image_of(&results[0]) == varied(90_000));
        let error = results[1].as_ref().unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");
        assert!(error.contains("'!' at offset 50000"), "{error}");
        assert!(image_of(&results[2]) == varied(90_000));
    }

    #[test]
    fn a_file_cut_inside_an_image_ends_with_an_error() {
        let line = image_line("cut", &crate::Base64Bytes::from(varied(90_000)).encode());
        let file = format!("{line}\n{}", &line[..60_000]);
        let results = read(in_pieces(file.as_bytes(), 4096));
        assert_eq!(results.len(), 2);
        assert!(image_of(&results[0]) == varied(90_000));
        let error = results[1].as_ref().unwrap_err().to_string();
        assert!(error.contains("line 2") && error.contains("EOF"), "{error}");
    }

    #[test]
    fn a_line_over_the_bound_is_an_error_item_even_inside_an_image() {
        let image = crate::Base64Bytes::from(varied(90_000)).encode();
        let long = image_line("long", &image);
        let short = image_line("short", &crate::Base64Bytes::from(varied(900)).encode());
        let file = format!("{short}\n{long}\n{short}\n");
        let results = read_with_limit(in_pieces(file.as_bytes(), 4096), 100_000);
        assert_eq!(results.len(), 3);
        assert!(image_of(&results[0]) == varied(900));
        let error = results[1].as_ref().unwrap_err().to_string();
        assert!(
            error.contains("line 2 is longer than 100000 bytes"),
            "{error}"
        );
        assert!(image_of(&results[2]) == varied(900));
    }

    #[test]
    fn a_data_string_that_is_no_image_stays_text() {
        // A function call's argument named `data`, long and valid base64: the decoder decodes
        // it on arrival, and the line is read again as it came.
        let text = crate::Base64Bytes::from(varied(60_000)).encode();
        let line = format!(
            r#"{{"response":{{"candidates":[{{"content":{{"parts":[{{"functionCall":{{"name":"store","args":{{"data":"{text}"}}}}}}]}}}}]}},"key":"call"}}"#
        );
        let results = read(in_pieces(line.as_bytes(), 4096));
        let (key, answer) = results[0].as_ref().unwrap();
        assert_eq!(key, "call");
        let response = answer.as_ref().unwrap();
        let parts = &response.candidates[0].content.as_ref().unwrap().parts;
        let call = parts[0].function_call.as_ref().unwrap();
        assert_eq!(call.args["data"], serde_json::Value::String(text));
    }
}
