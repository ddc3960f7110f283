//! The SSE reader gives the same events, each read the same way, however the body is split
//! into reads: bodies made of the pieces that matter to it (field names, line ends of every
//! kind, base64 keys and values, quotes, escapes, braces), cut at arbitrary places.

use gemini_image_fuzz::sse::same_whatever_the_split;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const PIECES: &[&str] = &[
    "data:",
    "data: ",
    "\"data\":\"",
    "\"bytesBase64Encoded\":\"",
    "QUJD",
    "AAAA",
    "/+8=",
    "\"",
    "\\",
    "\\/",
    "\n",
    "\r",
    "\r\n",
    "{",
    "}",
    "[",
    "]",
    ":",
    " ",
    "x",
    "event: step.delta",
    ": keep-alive",
    "{\"candidates\":[{\"content\":{\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\",",
    "}}]}}]}",
    "{\n  \"error\": {\n    \"code\": 503\n  }\n}\n",
];

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40)
        .prop_map(|pieces| pieces.concat().into_bytes())
}

#[test]
fn the_same_events_whatever_the_split() {
    // A fixed seed and a bounded number of cases: the same run on every machine.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 512,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[23; 32]),
    );
    let strategy = (body(), prop::collection::vec(0usize..64, 0..12));
    runner
        .run(&strategy, |(body, pieces)| {
            same_whatever_the_split(&body, &pieces).map_err(TestCaseError::fail)
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}
