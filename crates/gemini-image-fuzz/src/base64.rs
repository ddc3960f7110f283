//! `Base64Bytes` against the `base64` crate: the same text for the same bytes, and the same
//! verdict (and bytes) for the same text, in each of the four forms Google accepts (standard or
//! URL-safe alphabet; padded exactly when the length is a multiple of four; canonical last bits).

use ::base64::Engine;
use ::base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use gemini_image_types::Base64Bytes;

use crate::{Failure, preview};

/// The property, on arbitrary bytes: as data to encode, and as text to decode (directly and as a
/// JSON string through serde).
///
/// # Errors
///
/// A description of the first disagreement with the reference.
pub fn check(input: &[u8]) -> Result<(), Failure> {
    let ours = Base64Bytes::new(input.to_vec()).encode();
    let reference = STANDARD.encode(input);
    if ours != reference {
        return Err(format!(
            "encoding {}: ours {ours:?}, base64's {reference:?}",
            preview(input)
        ));
    }
    let ours = Base64Bytes::decode(input).ok().map(Base64Bytes::into_bytes);
    let reference = reference_decode(input);
    if ours.as_deref() != reference.as_deref() {
        return Err(format!(
            "decoding {}: ours {ours:?}, base64's {reference:?}",
            preview(input)
        ));
    }
    // Through serde, as a body carries it (the visitor's own path).
    if let Ok(text) = std::str::from_utf8(input) {
        let json = serde_json::to_vec(text).map_err(|e| e.to_string())?;
        let through_serde = serde_json::from_slice::<Base64Bytes>(&json)
            .ok()
            .map(Base64Bytes::into_bytes);
        if through_serde != ours {
            return Err(format!(
                "decoding {} through serde: {through_serde:?}, directly {ours:?}",
                preview(input)
            ));
        }
    }
    Ok(())
}

/// The reference verdict: padded exactly when the length is a multiple of four, standard
/// alphabet first, then URL-safe.
fn reference_decode(text: &[u8]) -> Option<Vec<u8>> {
    let (standard, url_safe) = if text.len().is_multiple_of(4) {
        (&STANDARD, &URL_SAFE)
    } else {
        (&STANDARD_NO_PAD, &URL_SAFE_NO_PAD)
    };
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}
