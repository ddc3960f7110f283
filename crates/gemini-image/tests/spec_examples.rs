//! Every example in the spec deserializes into the generated types and serializes back to the
//! same JSON. The typed value is snapshotted, so a field the types lose — or a value that lands
//! in `OpenEnum::Unknown` although the spec knows it — shows up as a diff.

mod support;

use gemini_image::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn typed<T: DeserializeOwned + Serialize + std::fmt::Debug>(value: &Value) -> (Value, String) {
    let parsed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("does not deserialize: {e}\n{value:#}"));
    // Through text, as on the wire: `to_value` would widen f32 fields to f64 digits.
    let text = serde_json::to_string(&parsed).expect("serializes");
    let back = serde_json::from_str(&text).expect("own output parses");
    (back, format!("{parsed:#?}"))
}

/// Round-trips `value` through the generated type named `schema`.
fn round_trip(schema: &str, value: &Value) -> (Value, String) {
    macro_rules! dispatch {
        ($($name:ident),* $(,)?) => {
            match schema {
                $(stringify!($name) => typed::<types::$name>(value),)*
                other => panic!("no round trip registered for schema {other}"),
            }
        };
    }
    dispatch!(
        GenerateContentRequest,
        GenerateContentResponse,
        CountTokensRequest,
        CountTokensResponse,
        ListModelsResponse,
        Model,
        PredictRequest,
        PredictResponse,
        ErrorResponse,
        File,
        ListFilesResponse,
        CreateFileResponse,
        CreateFileRequest,
        Empty,
    )
}

/// JSON equality where `1` and `1.0` are the same number.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The SSE example: each `data:` frame is a response of its own.
fn sse_frames(body: &str) -> Vec<Value> {
    body.split("\r\n\r\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            let json = frame
                .strip_prefix("data: ")
                .expect("every SSE frame starts with `data: `");
            assert!(!json.contains('\n'), "an SSE frame is a single line");
            serde_json::from_str(json).expect("SSE frame is JSON")
        })
        .collect()
}

#[test]
fn every_example_round_trips_through_the_generated_types() {
    let spec = support::spec();
    let examples = support::examples(&spec);
    assert!(
        examples.len() >= 40,
        "expected the spec's examples, found {}",
        examples.len()
    );

    let mut snapshotted = std::collections::BTreeSet::new();
    for example in &examples {
        let mut values = Vec::new();
        if example.media_type == "text/event-stream" {
            let body = example.value.as_str().expect("SSE example is a string");
            values.extend(
                sse_frames(body)
                    .into_iter()
                    .map(|v| ("GenerateContentResponse", v)),
            );
        } else if !example.media_type.contains("json") {
            // Plain text (a chunk refused in plain text) and raw bytes are not JSON: nothing to
            // round-trip, but the example is still a string.
            assert!(example.value.is_string(), "{}", example.location);
            continue;
        } else if let Some(name) = support::ref_name(&example.schema) {
            values.push((name, example.value.clone()));
        } else {
            let items = support::ref_name(&example.schema["items"]).expect("array of a component");
            let array = example.value.as_array().expect("array example");
            values.extend(array.iter().map(|v| (items, v.clone())));
        }
        assert!(!values.is_empty(), "{}: nothing to check", example.location);

        let mut snapshot = String::new();
        for (schema, value) in values {
            let (back, debug) = round_trip(schema, &value);
            assert!(
                same_json(&value, &back),
                "{}: the generated types changed the example\n original: {value:#}\n round-tripped: {back:#}",
                example.location
            );
            snapshot.push_str(&debug);
            snapshot.push('\n');
        }
        // A shared example is snapshotted once, under its component name.
        let name = example
            .component
            .clone()
            .unwrap_or_else(|| example.location.clone());
        if snapshotted.insert(name.clone()) {
            insta::assert_snapshot!(name, snapshot);
        }
    }
}

/// The real bodies (the spec's examples are Google's captured answers) read through the SDK's
/// own paths — the body codec for unary answers and errors, the SSE reader for the stream —
/// give exactly what plain serde gives: the fast paths lose nothing.
#[test]
fn real_bodies_read_through_the_sdk_paths_lose_nothing() {
    use futures_util::StreamExt;
    use gemini_image::{ApiError, ResponseStream, codec};

    let spec = support::spec();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut read = 0;
    for example in support::examples(&spec) {
        let schema = support::ref_name(&example.schema);
        if example.media_type == "text/event-stream" {
            let body = example.value.as_str().expect("SSE example is a string");
            let expected: Vec<types::GenerateContentResponse> = sse_frames(body)
                .into_iter()
                .map(|v| serde_json::from_value(v).unwrap())
                .collect();
            let pieces: Vec<Result<bytes::Bytes, gemini_image::Error>> = body
                .as_bytes()
                .chunks(7)
                .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                .collect();
            let streamed: Vec<_> = runtime.block_on(
                ResponseStream::from_sse(futures_util::stream::iter(pieces))
                    .map(|item| item.unwrap())
                    .collect(),
            );
            assert_eq!(streamed, expected, "{}", example.location);
            read += 1;
            continue;
        }
        // Written as Google writes it: pretty, two-space indent.
        let text = serde_json::to_vec_pretty(&example.value).unwrap();
        match schema {
            Some("GenerateContentResponse") => {
                let fast: types::GenerateContentResponse = codec::from_body(&text).unwrap();
                assert_eq!(
                    fast,
                    serde_json::from_slice(&text).unwrap(),
                    "{}",
                    example.location
                );
                read += 1;
            }
            Some("ErrorResponse") => {
                let status = example.value["error"]["code"].as_u64().unwrap_or(400) as u16;
                let error = ApiError::from_body(status, &text);
                let expected: types::ErrorResponse = serde_json::from_slice(&text).unwrap();
                assert_eq!(
                    error.status.as_deref(),
                    expected.error.as_ref(),
                    "{}",
                    example.location
                );
                assert_eq!(error.http_status, status);
                read += 1;
            }
            _ => {}
        }
    }
    assert!(read >= 15, "only {read} real bodies read");
}
