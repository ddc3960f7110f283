//! The fast body codec gives exactly what serde_json alone gives — on bodies shaped to tempt it
//! into a mistake (keys named `data` inside text, escaped base64, a large `data` in a free-form
//! map, invalid base64), in any formatting.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gemini_image::codec;
use gemini_image::types::{GenerateContentRequest, GenerateContentResponse};
use proptest::prelude::*;
use serde_json::{Value, json};

const LARGE: usize = 40 * 1024;

/// How a value is written.
#[derive(Clone, Copy, Debug)]
enum Style {
    Compact,
    Pretty,
    /// Google's SSE style: `"key": value` with `,` and no other spaces.
    Google,
}

fn write(value: &Value, style: Style) -> Vec<u8> {
    match style {
        Style::Compact => serde_json::to_vec(value).unwrap(),
        Style::Pretty => serde_json::to_vec_pretty(value).unwrap(),
        Style::Google => serde_json::to_string(value)
            .unwrap()
            .replace("\":", "\": ")
            .into_bytes(),
    }
}

/// A part of a response, of one of the tempting kinds.
fn part() -> impl Strategy<Value = Value> {
    let bytes = proptest::collection::vec(any::<u8>(), LARGE..LARGE + 64);
    prop_oneof![
        // A large image, standard or URL-safe.
        (bytes.clone(), any::<bool>()).prop_map(|(b, url)| {
            let data = if url {
                URL_SAFE_NO_PAD.encode(&b)
            } else {
                STANDARD.encode(&b)
            };
            json!({"inlineData": {"mimeType": "image/png", "data": data}})
        }),
        // A small image.
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(
            |b| json!({"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(b)}})
        ),
        // Text quoting a key named data, with a large base64-looking value.
        bytes
            .clone()
            .prop_map(|b| json!({"text": format!("\"data\": \"{}\"", STANDARD.encode(b))})),
        // A large base64 string under `data` in a free-form map: not an image field.
        bytes
            .clone()
            .prop_map(|b| json!({"toolResponse": {"data": STANDARD.encode(b)}})),
        // Invalid base64 where an image should be.
        bytes.prop_map(|b| {
            let mut data = STANDARD.encode(b);
            data.replace_range(100..101, "!");
            json!({"inlineData": {"mimeType": "image/png", "data": data}})
        }),
        "[a-z \\\\\"]{0,20}".prop_map(|t| json!({"text": t})),
    ]
}

fn response() -> impl Strategy<Value = Value> {
    proptest::collection::vec(part(), 0..4).prop_map(|parts| {
        json!({
            "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 1300},
            "modelVersion": "gemini-3.1-flash-image",
        })
    })
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Compact),
        Just(Style::Pretty),
        Just(Style::Google)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn responses_read_as_serde_json_reads_them(value in response(), style in style(), escape_slashes in any::<bool>()) {
        let mut body = write(&value, style);
        if escape_slashes {
            // Some writers escape `/` as `\/`: base64 with escapes is valid JSON too.
            body = String::from_utf8(body).unwrap().replace('/', "\\/").into_bytes();
        }
        let fast = codec::from_body::<GenerateContentResponse>(&body);
        let plain = serde_json::from_slice::<GenerateContentResponse>(&body);
        match (fast, plain) {
            (Ok(fast), Ok(plain)) => prop_assert_eq!(fast, plain),
            (Err(fast), Err(plain)) => prop_assert_eq!(fast.to_string(), plain.to_string()),
            (fast, plain) => prop_assert!(false, "fast {:?} but serde_json {:?}", fast.err(), plain.err()),
        }
    }

    #[test]
    fn requests_are_written_byte_for_byte_as_serde_json_writes_them(value in response()) {
        // The same parts, as a request (the invalid-base64 ones cannot be made into one).
        let parts = value["candidates"][0]["content"]["parts"].clone();
        let request = json!({"contents": [{"parts": parts, "role": "user"}]});
        let Ok(request) = serde_json::from_value::<GenerateContentRequest>(request) else {
            return Ok(());
        };
        let fast = codec::to_body(&request).unwrap();
        let plain = serde_json::to_vec(&request).unwrap();
        prop_assert!(fast[..] == plain[..]);
    }
}

#[test]
fn a_large_imagen_prediction_reads_the_same() {
    let bytes = vec![0x5a; 100_000];
    let body = json!({"predictions": [{"bytesBase64Encoded": STANDARD.encode(&bytes), "mimeType": "image/png"}]});
    let body = serde_json::to_vec_pretty(&body).unwrap();
    let fast: gemini_image::types::PredictResponse = codec::from_body(&body).unwrap();
    let data = fast.predictions[0].bytes_base64_encoded.as_deref().unwrap();
    assert_eq!(data, &bytes[..]);
}
