//! Any response the spec allows parses, and survives a JSON round trip unchanged.
//! The values come from the spec's own schemas (tests/support/spec_values.rs).

mod support;

use gemini_image::types;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trips<T>(schema: &str, cases: u32)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let spec = support::spec();
    let strategy = support::spec_values::values_of(&spec, schema);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&strategy, |json| {
            let first: T = serde_json::from_value(json.clone()).map_err(|e| {
                TestCaseError::fail(format!(
                    "{schema} the spec allows did not parse: {e}\n{json:#}"
                ))
            })?;
            let text = serde_json::to_string(&first).expect("serializes");
            let second: T = serde_json::from_str(&text).expect("own output parses");
            prop_assert_eq!(&first, &second);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}

#[test]
fn generate_content_responses_round_trip() {
    round_trips::<types::GenerateContentResponse>("GenerateContentResponse", 256);
}

#[test]
fn other_responses_round_trip() {
    round_trips::<types::CountTokensResponse>("CountTokensResponse", 64);
    round_trips::<types::ListModelsResponse>("ListModelsResponse", 64);
    round_trips::<types::PredictResponse>("PredictResponse", 64);
    round_trips::<types::ErrorResponse>("ErrorResponse", 64);
}

#[test]
fn requests_round_trip() {
    round_trips::<types::GenerateContentRequest>("GenerateContentRequest", 128);
    round_trips::<types::PredictRequest>("PredictRequest", 64);
}

/// Any sequence of responses the spec allows, written as Google writes a stream (one line of
/// JSON per event, with any of the three line ends) and read in pieces of any size, streams
/// back as the same responses.
#[test]
fn any_stream_of_spec_responses_reads_back_whatever_the_pieces() {
    use futures_util::StreamExt;
    use gemini_image::{Error, ResponseStream};

    let spec = support::spec();
    let response = support::spec_values::values_of(&spec, "GenerateContentResponse");
    let strategy = (
        proptest::collection::vec(response, 1..4),
        prop_oneof![Just("\r\n"), Just("\n"), Just("\r")],
        proptest::collection::vec(1usize..300, 1..20),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    runner
        .run(&strategy, |(values, line_end, sizes)| {
            let mut expected: Vec<types::GenerateContentResponse> = values
                .iter()
                .map(|v| serde_json::from_value(v.clone()).expect("the spec allows it"))
                .collect();
            // A last event that ends the stream (a blocked prompt), since a stream without its
            // last word is an error; what comes before it is anything the spec allows.
            expected.push(
                serde_json::from_str(r#"{"promptFeedback": {"blockReason": "OTHER"}}"#)
                    .expect("a blocked prompt"),
            );
            let body: Vec<u8> = expected
                .iter()
                .map(|r| {
                    format!(
                        "data: {}{line_end}{line_end}",
                        serde_json::to_string(r).unwrap()
                    )
                })
                .collect::<String>()
                .into_bytes();
            // Cut the body at the given sizes, in turn.
            let mut pieces = Vec::new();
            let mut rest = &body[..];
            for size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, after) = rest.split_at((*size).min(rest.len()));
                pieces.push(Ok::<_, Error>(bytes::Bytes::copy_from_slice(piece)));
                rest = after;
            }
            let read: Vec<types::GenerateContentResponse> = runtime.block_on(async {
                ResponseStream::from_sse(futures_util::stream::iter(pieces))
                    .map(|item| item.expect("reads"))
                    .collect()
                    .await
            });
            prop_assert_eq!(read, expected);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}
