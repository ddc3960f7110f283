//! The body codec against plain `serde_json`, both ways: `codec::from_body` reads any bytes as
//! serde_json does (the same value, or an error with the same message), and `codec::to_body`
//! writes exactly serde_json's bytes, which serde_json reads back as the same value.

use std::fmt::Debug;
use std::sync::LazyLock;

use gemini_image_types::codec;
use gemini_image_types::types::{GenerateContentRequest, GenerateContentResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Failure, preview};

/// Each `@` of the input is replaced by this much base64, so that small inputs reach the
/// codec's spliced path (values of 32 KiB and more) as well as its plain one.
const LARGE_VALUE_BYTES: usize = 33 * 1024;

static LARGE_VALUE: LazyLock<String> = LazyLock::new(|| {
    let bytes: Vec<u8> = (0..LARGE_VALUE_BYTES)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    gemini_image_types::Base64Bytes::new(bytes).encode()
});

/// The property, on arbitrary bytes read as a response and as a request.
///
/// # Errors
///
/// A description of the first disagreement with serde_json.
pub fn check(input: &[u8]) -> Result<(), Failure> {
    let body = inflate(input);
    agrees::<GenerateContentResponse>(&body)?;
    agrees::<GenerateContentRequest>(&body)
}

/// `input` with each `@` replaced by a large base64 value.
fn inflate(input: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(input.len());
    for piece in input.split(|&byte| byte == b'@').enumerate() {
        if piece.0 > 0 {
            body.extend_from_slice(LARGE_VALUE.as_bytes());
        }
        body.extend_from_slice(piece.1);
    }
    body
}

fn agrees<T>(body: &[u8]) -> Result<(), Failure>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    match (
        codec::from_body::<T>(body),
        serde_json::from_slice::<T>(body),
    ) {
        (Ok(ours), Ok(reference)) if ours == reference => written_as_serde_json_writes(&ours),
        (Err(ours), Err(reference)) if ours.to_string() == reference.to_string() => Ok(()),
        (ours, reference) => Err(format!(
            "reading {} as {}: ours {}, serde_json's {}",
            preview(body),
            std::any::type_name::<T>(),
            outcome(&ours),
            outcome(&reference),
        )),
    }
}

fn written_as_serde_json_writes<T>(value: &T) -> Result<(), Failure>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let ours = codec::to_body(value).map_err(|e| format!("to_body failed: {e}"))?;
    let reference = serde_json::to_vec(value).map_err(|e| format!("serde_json failed: {e}"))?;
    if ours[..] != reference[..] {
        return Err(format!(
            "writing: ours {}, serde_json's {}",
            preview(&ours),
            preview(&reference)
        ));
    }
    match serde_json::from_slice::<T>(&ours) {
        Ok(back) if back == *value => Ok(()),
        other => Err(format!(
            "serde_json reads our {} back as {}",
            preview(&ours),
            outcome(&other)
        )),
    }
}

/// A result, shortly: a value's Debug can be megabytes.
fn outcome<T: Debug>(result: &serde_json::Result<T>) -> String {
    match result {
        Ok(value) => {
            let text = format!("{value:?}");
            format!("Ok({})", text.chars().take(300).collect::<String>())
        }
        Err(error) => format!("Err({error})"),
    }
}
