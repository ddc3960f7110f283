//! Any response the spec allows parses, and survives a JSON round trip unchanged.
//! The values come from the spec's own schemas (tests/support/spec_values.rs).

mod support;

use gemini_sdk::types;
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
