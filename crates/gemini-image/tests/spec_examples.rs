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
        CreateInteractionRequest,
        Interaction,
        InteractionErrorResponse,
        InteractionEvent,
        BatchGenerateContentRequest,
        BatchOperation,
        ListBatchesResponse,
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

/// An SSE example: each frame's `data:` line is a value of its own (a response for
/// `streamGenerateContent`, whose frames end `\r\n\r\n`; an event for the Interactions API,
/// whose frames end `\n\n` and carry an `event:` line first, and whose closing `[DONE]` is
/// no value).
fn sse_frames(body: &str) -> Vec<Value> {
    let separator = if body.contains("\r\n\r\n") {
        "\r\n\r\n"
    } else {
        "\n\n"
    };
    body.split(separator)
        .filter(|frame| !frame.is_empty())
        .filter_map(|frame| {
            let data = frame
                .lines()
                .filter(|line| !line.starts_with("event: "))
                .collect::<Vec<_>>();
            let [line] = data.as_slice() else {
                panic!("one data line per frame: {frame:?}");
            };
            let json = line
                .strip_prefix("data: ")
                .expect("every SSE frame has a `data: ` line");
            (json != "[DONE]").then(|| serde_json::from_str(json).expect("SSE frame is JSON"))
        })
        .collect()
}

/// The schema of an SSE example's frames.
fn sse_schema(location: &str) -> &'static str {
    if location.starts_with("createInteraction") {
        "InteractionEvent"
    } else {
        "GenerateContentResponse"
    }
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
            let schema = sse_schema(&example.location);
            values.extend(sse_frames(body).into_iter().map(|v| (schema, v)));
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
    use gemini_image::{ApiError, InteractionStream, OpenUnion, ResponseStream, codec};

    /// The body codec reads `text` exactly as serde does.
    fn codec_reads_as_serde<T>(text: &[u8], location: &str)
    where
        T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let fast: T = codec::from_body(text).unwrap();
        assert_eq!(
            fast,
            serde_json::from_slice::<T>(text).unwrap(),
            "{location}"
        );
    }

    /// The SSE example `body`, in pieces of 7 bytes through the stream `read` makes of them,
    /// gives exactly its frames as serde reads them.
    fn read_sse_example<T, S>(
        runtime: &tokio::runtime::Runtime,
        body: &str,
        location: &str,
        read: impl FnOnce(
            futures_util::stream::Iter<
                std::vec::IntoIter<Result<bytes::Bytes, gemini_image::Error>>,
            >,
        ) -> S,
    ) where
        T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        S: futures_util::Stream<Item = Result<T, gemini_image::Error>>,
    {
        let expected: Vec<T> = sse_frames(body)
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        let pieces: Vec<Result<bytes::Bytes, gemini_image::Error>> = body
            .as_bytes()
            .chunks(7)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let streamed: Vec<T> = runtime.block_on(
            read(futures_util::stream::iter(pieces))
                .map(|item| item.unwrap())
                .collect(),
        );
        assert_eq!(streamed, expected, "{location}");
    }

    let spec = support::spec();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut read = 0;
    for example in support::examples(&spec) {
        let schema = support::ref_name(&example.schema);
        if example.media_type == "text/event-stream" {
            let body = example.value.as_str().expect("SSE example is a string");
            let location = &example.location;
            if sse_schema(location) == "InteractionEvent" {
                read_sse_example::<OpenUnion<types::InteractionEvent>, _>(
                    &runtime,
                    body,
                    location,
                    InteractionStream::from_sse,
                );
            } else {
                read_sse_example::<types::GenerateContentResponse, _>(
                    &runtime,
                    body,
                    location,
                    ResponseStream::from_sse,
                );
            }
            read += 1;
            continue;
        }
        // Written as Google writes it: pretty, two-space indent.
        let text = serde_json::to_vec_pretty(&example.value).unwrap();
        match schema {
            Some("GenerateContentResponse") => {
                codec_reads_as_serde::<types::GenerateContentResponse>(&text, &example.location);
                read += 1;
            }
            Some("Interaction") => {
                codec_reads_as_serde::<types::Interaction>(&text, &example.location);
                read += 1;
            }
            Some("InteractionErrorResponse") => {
                let error = ApiError::from_body(400, &text);
                let expected: types::InteractionErrorResponse =
                    serde_json::from_slice(&text).unwrap();
                let expected = expected.error.unwrap_or_default();
                assert_eq!(error.code, expected.code, "{}", example.location);
                assert_eq!(
                    Some(error.message),
                    expected.message,
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
